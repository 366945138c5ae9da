import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type EcsSimulator, startEcsSimulator } from './ecs-simulator';
import { sleep } from './processes';

/**
 * Deploying the real stack to LocalStack: the same CDK app, with the functions' ECS client
 * pointed at the ECS simulator on this machine (ECS is not in LocalStack's free plan).
 */

export const localstackAccount = '000000000000';
export const localstackRegion = 'us-east-1';
export const localStackName = 'podplane-local';
const clusterName = 'podplane-local';

/** `LOCALSTACK_ENDPOINT`, or the host name LocalStack resolves (with subdomains) to 127.0.0.1. */
export function localstackEndpoint(): URL {
  return new URL(process.env.LOCALSTACK_ENDPOINT ?? 'http://localhost.localstack.cloud:4566');
}

/**
 * The environment for the CDK CLI and SDK clients talking to LocalStack: its endpoint (the CDK
 * CLI honours AWS_ENDPOINT_URL since 2.177), S3 by virtual host, and LocalStack's test account.
 * Profiles and session tokens are dropped so a mistake cannot deploy to a real account.
 */
export function localstackEnvironment(endpoint = localstackEndpoint()): NodeJS.ProcessEnv {
  const { AWS_PROFILE, AWS_DEFAULT_PROFILE, AWS_SESSION_TOKEN, ...rest } = process.env;
  const s3 = new URL(endpoint);
  s3.hostname = `s3.${endpoint.hostname}`;
  return {
    ...rest,
    AWS_ENDPOINT_URL: endpoint.origin,
    AWS_ENDPOINT_URL_S3: s3.origin,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: localstackRegion,
    AWS_DEFAULT_REGION: localstackRegion,
    CDK_DEFAULT_ACCOUNT: localstackAccount,
    CDK_DEFAULT_REGION: localstackRegion,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** Why a LocalStack deployment cannot run here, or undefined when it can. */
export function localstackUnavailableReason(): string | undefined {
  if (!process.env.LOCALSTACK_AUTH_TOKEN) return 'LOCALSTACK_AUTH_TOKEN is not set';
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 });
  } catch {
    return '`docker info` fails: no Docker engine (LocalStack runs Lambdas in containers)';
  }
  return undefined;
}

async function healthy(endpoint: URL): Promise<boolean> {
  try {
    const response = await fetch(new URL('/_localstack/health', endpoint), {
      signal: AbortSignal.timeout(3000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Uses the LocalStack at the endpoint, or starts one in Docker (`LOCALSTACK_IMAGE`, default
 * localstack/localstack-pro, with LOCALSTACK_AUTH_TOKEN and the Docker socket for Lambda). A
 * container it starts is left running for the next deploy: `docker rm -f podplane-localstack`.
 */
export async function ensureLocalStack(
  log: (line: string) => void,
  endpoint = localstackEndpoint(),
): Promise<void> {
  if (await healthy(endpoint)) {
    log(`LocalStack answers at ${endpoint.origin}`);
    return;
  }
  const image = process.env.LOCALSTACK_IMAGE ?? 'localstack/localstack-pro';
  log(`starting LocalStack (${image}) in Docker as podplane-localstack ...`);
  execFileSync(
    'docker',
    [
      'run',
      '--detach',
      '--name',
      'podplane-localstack',
      '--publish',
      `127.0.0.1:${endpoint.port || '4566'}:4566`,
      '--env',
      'LOCALSTACK_AUTH_TOKEN',
      // The functions are arm64 and pure JavaScript: run them natively on an x86 host instead
      // of under emulation.
      '--env',
      'LAMBDA_IGNORE_ARCHITECTURE=1',
      '--volume',
      '/var/run/docker.sock:/var/run/docker.sock',
      image,
    ],
    { stdio: 'inherit', env: process.env },
  );
  const deadline = Date.now() + 180_000;
  while (!(await healthy(endpoint))) {
    if (Date.now() > deadline)
      throw new Error(`LocalStack did not answer at ${endpoint.origin} within 3 minutes`);
    await sleep(2000);
  }
}

/**
 * The address LocalStack's Lambda containers reach this machine at: `PODPLANE_LOCAL_ECS_HOST`,
 * or the gateway of Docker's bridge network (the host's side of it).
 */
export function hostAddressForContainers(): string {
  if (process.env.PODPLANE_LOCAL_ECS_HOST) return process.env.PODPLANE_LOCAL_ECS_HOST;
  try {
    const gateway = execFileSync(
      'docker',
      ['network', 'inspect', 'bridge', '--format', '{{range .IPAM.Config}}{{.Gateway}}{{end}}'],
      { encoding: 'utf8', timeout: 20_000 },
    ).trim();
    if (gateway) return gateway;
  } catch {
    // fall through to Docker's usual default
  }
  return '172.17.0.1';
}

/**
 * The ECS simulator, listening on every interface so Lambda containers can reach it (it holds
 * no secrets; stop it with Ctrl-C). Its account and region are LocalStack's.
 */
export function startSimulatorForLocalStack(
  port = Number(process.env.PODPLANE_LOCAL_ECS_PORT ?? 4599),
): Promise<EcsSimulator> {
  return startEcsSimulator({
    host: '0.0.0.0',
    port,
    region: localstackRegion,
    accountId: localstackAccount,
    clusterName,
    nodes: 3,
    nodeCpu: 4,
    nodeMemoryMiB: 8192,
  });
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', env });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`${command} ${args[0] ?? ''} exited with ${code}`)),
    );
  });
}

export interface LocalDeployment {
  readonly apiUrl: string;
  readonly kubeconfigPath: string;
  readonly token: string;
}

/**
 * `cdk bootstrap` and `cdk deploy` against LocalStack with a deploy-time admin token, then a
 * kubeconfig for it. The API URL is LocalStack's path-style one on its own host name (its
 * certificate is valid for it), since the stack's ApiUrl names amazonaws.com.
 */
export async function deployToLocalStack(options: {
  readonly ecsEndpoint: string;
  readonly stateDir: string;
  readonly log: (line: string) => void;
}): Promise<LocalDeployment> {
  const endpoint = localstackEndpoint();
  const env = localstackEnvironment(endpoint);
  const stateDir = resolve(options.stateDir);
  mkdirSync(stateDir, { recursive: true });
  const outputsFile = join(stateDir, 'outputs.json');
  const cdk = (args: string[]) => run('npx', ['cdk', ...args], env);

  options.log('cdk bootstrap ...');
  await cdk(['bootstrap', `aws://${localstackAccount}/${localstackRegion}`]);
  options.log('cdk deploy ...');
  await cdk([
    'deploy',
    localStackName,
    '--require-approval',
    'never',
    '--outputs-file',
    outputsFile,
    '-c',
    `podplane:stackName=${localStackName}`,
    '-c',
    `podplane:clusterName=${clusterName}`,
    '-c',
    `podplane:ecsEndpoint=${options.ecsEndpoint}`,
    '-c',
    `podplane:podLogsEndpoint=${options.ecsEndpoint}`,
    '-c',
    'podplane:tokens=[{"subject":"admin","namespaces":["*"]}]',
    // LocalStack's REST API invokes every Lambda integration buffered (no response streaming):
    // GETs stay on the apiserver, which answers watches and log follows by long polling.
    '-c',
    'podplane:watchStreaming=false',
  ]);

  const outputs = (JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, Record<string, string>>)[
    localStackName
  ];
  const apiId = /^https:\/\/([^.]+)\.execute-api\./.exec(outputs?.ApiUrl ?? '')?.[1];
  if (!apiId) throw new Error(`no ApiUrl output in ${outputsFile}`);
  const https = new URL(endpoint);
  https.protocol = 'https:';
  const apiUrl = process.env.PODPLANE_LOCAL_API_URL ?? `${https.origin}/_aws/execute-api/${apiId}/api`;

  const kubeconfigPath = join(stateDir, 'kubeconfig');
  const kubeconfig = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'bin/kubeconfig.ts',
      '--stack',
      localStackName,
      '--subject',
      'admin',
      '--server',
      apiUrl,
    ],
    { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });
  const token = /token: (\S+)/.exec(kubeconfig)?.[1] ?? '';
  return { apiUrl, kubeconfigPath, token };
}
