import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface ServingCertificates {
  readonly caCert: string;
  readonly cert: string;
  readonly key: string;
}

/**
 * A local CA and a server certificate it signs for 127.0.0.1 and localhost, made on first start
 * and kept in the state directory. kubectl trusts the CA through the kubeconfig; TLS is needed
 * because kubectl sends bearer tokens only over HTTPS.
 */
export async function ensureCertificates(stateDir: string): Promise<ServingCertificates> {
  const paths = {
    caCert: join(stateDir, 'ca.crt'),
    caKey: join(stateDir, 'ca.key'),
    cert: join(stateDir, 'server.crt'),
    key: join(stateDir, 'server.key'),
  };
  if (Object.values(paths).every((p) => existsSync(p))) {
    return {
      caCert: readFileSync(paths.caCert, 'utf8'),
      cert: readFileSync(paths.cert, 'utf8'),
      key: readFileSync(paths.key, 'utf8'),
    };
  }
  mkdirSync(stateDir, { recursive: true });
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000);
  const ca = await generate([{ name: 'commonName', value: 'podplane-local-ca' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    curve: 'P-256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'podplane-apiserver' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    curve: 'P-256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  writeFileSync(paths.caCert, ca.cert);
  writeFileSync(paths.caKey, ca.private, { mode: 0o600 });
  writeFileSync(paths.cert, server.cert);
  writeFileSync(paths.key, server.private, { mode: 0o600 });
  return { caCert: ca.cert, cert: server.cert, key: server.private };
}
