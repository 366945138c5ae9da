import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from '../processes';
import type { FaultInjector } from './injector';

export interface DynamoDbFaultProxy {
  /** For AWS_ENDPOINT_URL_DYNAMODB: the handlers reach DynamoDB Local through here. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

const errorPrefix = 'com.amazonaws.dynamodb.v20120810#';

/**
 * A loopback HTTP proxy in front of DynamoDB Local. Most calls pass through unchanged; a faulted
 * one is answered here, as DynamoDB answers it (HTTP 400 and its JSON error shape), so the
 * SDK's own retries and podplane's handling of what gets past them both run:
 * - `throttle`: ProvisionedThroughputExceededException or ThrottlingException, on any call;
 * - `cancel`: TransactionCanceledException on a TransactWriteItems, one item's reason
 *   `TransactionConflict` (another transaction held it) and the others' `None`.
 */
export async function startDynamoDbFaultProxy(
  target: string,
  injector: FaultInjector,
): Promise<DynamoDbFaultProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const server = createServer((incoming, outgoing) => {
    readAll(incoming)
      .then((body) => {
        const operation = String(incoming.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
        const fault = faultFor(operation, body, injector);
        if (fault) return answer(outgoing, 400, fault);
        forward(incoming, body, outgoing, upstream, agent);
      })
      .catch(() => answer(outgoing, 500, { __type: `${errorPrefix}InternalServerError`, message: 'proxy' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      await closeServer(server);
      agent.destroy();
    },
  };
}

function faultFor(operation: string, body: Buffer, injector: FaultInjector): object | undefined {
  if (operation === 'TransactWriteItems' && injector.roll('cancel', `dynamodb/${operation}`)) {
    const items = transactItemCount(body);
    const conflicted = injector.random.int(0, Math.max(0, items - 1));
    const reasons = Array.from({ length: items }, (_, i) =>
      i === conflicted
        ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }
        : { Code: 'None' },
    );
    return {
      __type: `${errorPrefix}TransactionCanceledException`,
      message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
      CancellationReasons: reasons,
    };
  }
  if (injector.roll('throttle', `dynamodb/${operation}`)) {
    return injector.random.chance(0.5)
      ? {
          __type: `${errorPrefix}ProvisionedThroughputExceededException`,
          message:
            'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
        }
      : {
          __type: `${errorPrefix}ThrottlingException`,
          message: 'Rate of requests exceeds the allowed throughput.',
        };
  }
  return undefined;
}

function transactItemCount(body: Buffer): number {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { TransactItems?: unknown[] };
    return Math.max(1, parsed.TransactItems?.length ?? 1);
  } catch {
    return 1;
  }
}

function forward(
  incoming: IncomingMessage,
  body: Buffer,
  outgoing: ServerResponse,
  upstream: URL,
  agent: Agent,
): void {
  const proxied = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: incoming.method,
      path: incoming.url,
      agent,
      headers: { ...incoming.headers, host: upstream.host },
    },
    (response) => {
      outgoing.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(outgoing);
    },
  );
  proxied.on('error', () => {
    if (!outgoing.headersSent) outgoing.writeHead(502);
    outgoing.end();
  });
  proxied.end(body);
}

function answer(outgoing: ServerResponse, status: number, error: object): void {
  const payload = JSON.stringify(error);
  outgoing.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': `fault-${Date.now()}`,
  });
  outgoing.end(payload);
}

function readAll(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => resolve(Buffer.concat(chunks)));
    incoming.on('error', reject);
  });
}
