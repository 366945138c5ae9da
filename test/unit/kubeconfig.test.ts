import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kubeconfigDocument } from '../../local/kubeconfig';

describe('kubeconfig documents', () => {
  it('holds the server, the bearer token and the CA kubectl must trust', () => {
    const config = parse(
      kubeconfigDocument({
        name: 'podplane-local',
        server: 'https://127.0.0.1:8080',
        token: 't0k',
        user: 'admin',
        caCert: 'PEM',
      }),
    );
    expect(config).toMatchObject({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'podplane-local',
      clusters: [
        {
          name: 'podplane-local',
          cluster: { server: 'https://127.0.0.1:8080', 'certificate-authority-data': 'UEVN' },
        },
      ],
      users: [{ name: 'admin', user: { token: 't0k' } }],
      contexts: [
        {
          name: 'podplane-local',
          context: { cluster: 'podplane-local', user: 'admin', namespace: 'default' },
        },
      ],
    });
  });

  it('trusts the system CAs (no CA data) for a deployed API, and starts in the token’s namespace', () => {
    const config = parse(
      kubeconfigDocument({
        name: 'prod',
        server: 'https://abc.execute-api.eu-west-1.amazonaws.com/api',
        token: 'x',
        user: 'alice',
        namespace: 'team-a',
      }),
    );
    expect(config.clusters[0].cluster).toEqual({
      server: 'https://abc.execute-api.eu-west-1.amazonaws.com/api',
    });
    expect(config.contexts[0].context.namespace).toBe('team-a');
  });
});
