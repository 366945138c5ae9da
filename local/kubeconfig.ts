import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

/** The local bearer token: made once, kept in the state directory for kubectl and curl. */
export function ensureToken(stateDir: string): string {
  const path = join(stateDir, 'token');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(stateDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return token;
}

export interface KubeconfigOptions {
  readonly name: string;
  readonly server: string;
  readonly token: string;
  readonly user: string;
  /** PEM of a private CA to trust; absent for servers with publicly trusted certificates. */
  readonly caCert?: string;
  readonly namespace?: string;
}

/** A kubeconfig document: one cluster, one user (the bearer token), one context. */
export function kubeconfigDocument(options: KubeconfigOptions): string {
  const cluster = {
    server: options.server,
    ...(options.caCert
      ? { 'certificate-authority-data': Buffer.from(options.caCert).toString('base64') }
      : {}),
  };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: options.name, cluster }],
    users: [{ name: options.user, user: { token: options.token } }],
    contexts: [
      {
        name: options.name,
        context: { cluster: options.name, user: options.user, namespace: options.namespace ?? 'default' },
      },
    ],
    'current-context': options.name,
    preferences: {},
  });
}

/** The local control plane's kubeconfig: its CA inline and the admin token. */
export function writeKubeconfig(path: string, server: string, caCert: string, token: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(
    path,
    kubeconfigDocument({ name: 'podplane-local', server, token, user: 'podplane-admin', caCert }),
    { mode: 0o600 },
  );
}

/**
 * What another process needs to reach a running local control plane's token store, kept in the
 * state directory while it runs: `npm run kubeconfig -- --local` mints tokens with it.
 */
export interface LocalControlPlaneInfo {
  readonly url: string;
  readonly dynamoEndpoint: string;
  /** The ECS simulator, so that another process (a test) can see which tasks run. */
  readonly ecsEndpoint?: string;
  readonly table: string;
  readonly region: string;
  /** DynamoDB Local keeps one database per access key ID and region, so the same ID is needed. */
  readonly accessKeyId: string;
  /** The control plane's process, to tell a running one from a file left by a crash. */
  readonly pid: number;
}

const controlPlaneInfoPath = (stateDir: string) => join(stateDir, 'control-plane.json');

export function writeControlPlaneInfo(stateDir: string, info: LocalControlPlaneInfo): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(controlPlaneInfoPath(stateDir), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

/** The running control plane's info, or undefined when none has written it here. */
export function readControlPlaneInfo(stateDir: string): LocalControlPlaneInfo | undefined {
  const path = controlPlaneInfoPath(stateDir);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as LocalControlPlaneInfo;
}

/** Removes the info on stop, unless another control plane has written its own since. */
export function removeControlPlaneInfo(stateDir: string, pid: number): void {
  if (readControlPlaneInfo(stateDir)?.pid === pid) rmSync(controlPlaneInfoPath(stateDir), { force: true });
}
