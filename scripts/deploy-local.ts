import { readFileSync } from 'node:fs';
import {
  deployToLocalStack,
  ensureLocalStack,
  hostAddressForContainers,
  localstackUnavailableReason,
  startSimulatorForLocalStack,
} from '../local/localstack';

/**
 * `npm run deploy:local`: the CDK app on LocalStack, with the ECS simulator on this machine
 * standing in for ECS. The simulator runs until Ctrl-C; pods run only while it does.
 */
const log = (line: string) => process.stderr.write(`${line}\n`);

const unavailable = localstackUnavailableReason();
if (unavailable) {
  log(`cannot deploy to LocalStack: ${unavailable}`);
  process.exit(1);
}
await ensureLocalStack(log);
const simulator = await startSimulatorForLocalStack();
const port = new URL(simulator.endpoint).port;
const ecsEndpoint = `http://${hostAddressForContainers()}:${port}`;
log(`ECS simulator on port ${port}; LocalStack's Lambdas reach it at ${ecsEndpoint}`);

try {
  const deployment = await deployToLocalStack({ ecsEndpoint, stateDir: '.podplane/localstack', log });
  log('');
  log(`API: ${deployment.apiUrl}`);
  log(`kubeconfig: ${deployment.kubeconfigPath}`);
  log('');
  process.stdout.write(`${readFileSync(deployment.kubeconfigPath, 'utf8')}`);
  log('');
  log(`Try: KUBECONFIG=${deployment.kubeconfigPath} kubectl apply -f examples/nginx.yaml`);
  log('     (status comes from the reconcile every minute: LocalStack sends no ECS task events)');
  log('The ECS simulator keeps running for the pods; Ctrl-C stops it.');
} catch (error) {
  log(`deploy failed: ${error instanceof Error ? error.message : String(error)}`);
  await simulator.stop();
  process.exit(1);
}

const stop = async () => {
  await simulator.stop();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
