import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/** A kubeconfig with one cluster (CA data inline), one user (the token) and one context. */
export function writeKubeconfig(path: string, server: string, caCert: string, token: string): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'podplane-local',
        cluster: { server, 'certificate-authority-data': Buffer.from(caCert).toString('base64') },
      },
    ],
    users: [{ name: 'podplane-admin', user: { token } }],
    contexts: [
      {
        name: 'podplane-local',
        context: { cluster: 'podplane-local', user: 'podplane-admin', namespace: 'default' },
      },
    ],
    'current-context': 'podplane-local',
    preferences: {},
  };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, stringify(config), { mode: 0o600 });
}
