import java.lang.reflect.Field;
import java.util.Arrays;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local listening on one address only. Its jar has no host option: ServerRunner builds a
 * DynamoDBProxyServer whose Jetty server listens on every interface. This builds the server the
 * way ServerRunner does (same arguments, same handler), sets the address on its Jetty connector,
 * and starts it.
 *
 * <p>Usage: {@code java -cp DynamoDBLocal.jar DynamoDbLocalOnLoopback HOST [DynamoDB Local's
 * options]}. Anything unexpected (a newer jar that builds its server differently) is fatal: it
 * never falls back to listening everywhere.
 */
public final class DynamoDbLocalOnLoopback {
  public static void main(String[] args) throws Exception {
    if (args.length < 1) throw new IllegalArgumentException("the first argument is the address to listen on");
    String host = args[0];
    DynamoDBProxyServer proxy =
        ServerRunner.createServerFromCommandLineArgs(Arrays.copyOfRange(args, 1, args.length));
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) throw new IllegalStateException("DynamoDB Local's server has no connector");
    for (Connector connector : connectors) {
      if (!(connector instanceof ServerConnector)) {
        throw new IllegalStateException("unexpected connector " + connector.getClass().getName());
      }
      ((ServerConnector) connector).setHost(host);
    }
    proxy.start();
    // DynamoDBProxyServer.start reports a port it could not bind and stops; say so with an exit code.
    if (!server.isStarted()) System.exit(1);
  }
}
