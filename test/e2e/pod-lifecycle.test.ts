import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { call, eventually, hasKubectl, kubectlFor, processAlive, useControlPlane } from './control-plane';

const podPath = '/api/v1/namespaces/default/pods';

// Once with the handlers' sources, and once with the bundles `cdk synth` writes, each run with
// the environment its template gives it (`npm start -- --bundled`): what deploys, run here.
describe.each([
  ['from source', []],
  ['from the bundles cdk synth writes (--bundled)', ['--bundled']],
])('the local control plane, end to end, %s', (_mode, extraArgs) => {
  const plane = useControlPlane('podplane-e2e-', ['--nodes', '2', ...extraArgs]);

  it('refuses requests without the bearer token but answers /healthz', async () => {
    const denied = await call(plane, 'GET', podPath, { token: null });
    expect(denied.status).toBe(401);
    expect(denied.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    const health = await call(plane, 'GET', '/healthz', { token: null });
    expect(health.status).toBe(200);
    expect(health.body).toBe('ok');
  });

  it('lets a namespaced token act only in its namespaces (403 elsewhere), a bad token nowhere (401)', async () => {
    // Minted as a user does beside `npm start` (`npm run kubeconfig -- --local`).
    const minted = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'bin/kubeconfig.ts',
        '--local',
        '--state-dir',
        plane.stateDir,
        '--namespace',
        'team-a',
        '--subject',
        'alice',
      ],
      { encoding: 'utf8' },
    );
    const teamToken = /token: (\S+)/.exec(minted)?.[1] ?? '';
    expect(teamToken).not.toBe('');
    expect(
      (
        await call(plane, 'POST', '/api/v1/namespaces', {
          body: JSON.stringify({ metadata: { name: 'team-a' } }),
        })
      ).status,
    ).toBe(201);

    const own = await call(plane, 'GET', '/api/v1/namespaces/team-a/pods', { token: teamToken });
    expect(own.status).toBe(200);
    expect(own.json()).toMatchObject({ kind: 'PodList', items: [] });
    for (const path of ['/api/v1/namespaces/default/pods', '/api/v1/nodes', '/api/v1/pods']) {
      const other = await call(plane, 'GET', path, { token: teamToken });
      expect(other.status).toBe(403);
      expect(other.json()).toMatchObject({
        kind: 'Status',
        reason: 'Forbidden',
        code: 403,
        message: 'forbidden: User "alice" may not act outside the namespaces its token grants',
      });
    }
    expect((await call(plane, 'GET', '/api', { token: teamToken })).status).toBe(200);
    expect((await call(plane, 'GET', '/api/v1/namespaces/team-a/pods', { token: 'wrong' })).status).toBe(401);
    expect((await call(plane, 'GET', '/api/v1/nodes')).status).toBe(200);
  });

  it('runs a pod POSTed as YAML, then deletes it', async () => {
    const manifest = readFileSync('examples/nginx.yaml', 'utf8');
    const created = await call(plane, 'POST', podPath, { body: manifest, contentType: 'application/yaml' });
    expect(created.status).toBe(201);
    const pod = created.json<{ metadata: { uid: string }; status: { phase: string } }>();
    expect(pod.status.phase).toBe('Pending');

    const running = await eventually(
      () => call(plane, 'GET', `${podPath}/nginx`),
      (r) => r.json<{ status: { phase: string } }>().status.phase === 'Running',
      'nginx to run',
    );
    const runningPod = running.json<{
      metadata: { uid: string };
      spec: { nodeName: string };
      status: { podIP: string };
    }>();
    expect(runningPod.metadata.uid).toBe(pod.metadata.uid);
    expect(runningPod.spec.nodeName).toMatch(/^i-/);
    expect(runningPod.status.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    const deleted = await call(plane, 'DELETE', `${podPath}/nginx`);
    expect(deleted.status).toBe(200);
    expect(
      deleted.json<{ metadata: { deletionTimestamp?: string } }>().metadata.deletionTimestamp,
    ).toBeDefined();
    const gone = await eventually(
      () => call(plane, 'GET', `${podPath}/nginx`),
      (r) => r.status === 404,
      'nginx to go',
    );
    expect(gone.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
  });

  it('answers bad input with a Kubernetes Status and stores nothing', async () => {
    const broken = await call(plane, 'POST', podPath, { body: '{"kind": "Pod", ' });
    expect(broken.status).toBe(400);
    expect(broken.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    const noContainers = await call(plane, 'POST', podPath, {
      body: JSON.stringify({ metadata: { name: 'empty' }, spec: { containers: [] } }),
    });
    expect(noContainers.status).toBe(422);
    expect(noContainers.json()).toMatchObject({
      reason: 'Invalid',
      details: { causes: [{ field: 'spec.containers', reason: 'FieldValueRequired' }] },
    });
    expect((await call(plane, 'GET', `${podPath}/empty`)).status).toBe(404);
  });

  it.skipIf(!hasKubectl)('works with plain kubectl: apply, get, delete', () => {
    const { run: kubectl } = kubectlFor(plane, { cacheDir: 'kube-cache' });
    expect(kubectl('apply', '-f', 'examples/nginx.yaml').trim()).toBe('pod/nginx created');
    let table = '';
    const deadline = Date.now() + 15_000;
    while (!/^nginx\s+1\/1\s+Running\s+0\s+\d+s$/m.test(table) && Date.now() < deadline)
      table = kubectl('get', 'pods');
    expect(table).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
    expect(table).toMatch(/^nginx\s+1\/1\s+Running\s+0\s+\d+s$/m);
    expect(kubectl('get', 'nodes', '-o', 'name').trim().split('\n')).toHaveLength(2);
    expect(kubectl('delete', 'pod', 'nginx').trim()).toBe('pod "nginx" deleted');
    expect(kubectl('get', 'pods')).toBe('');
  });

  it('serves @kubernetes/client-node: create, list, read status, delete', async () => {
    const config = new KubeConfig();
    config.loadFromFile(plane.kubeconfig);
    const core = config.makeApiClient(CoreV1Api);
    const created = await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'from-client-node', labels: { via: 'client-node' } },
        spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] },
      },
    });
    expect(created.metadata?.uid).toBeDefined();
    const listed = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'via=client-node' });
    expect(listed.items.map((p) => p.metadata?.name)).toEqual(['from-client-node']);
    const status = await eventually(
      () => core.readNamespacedPodStatus({ name: 'from-client-node', namespace: 'default' }),
      (p) => p.status?.phase === 'Running',
      'from-client-node to run',
    );
    expect(status.status?.containerStatuses?.[0]?.ready).toBe(true);
    await core.deleteNamespacedPod({ name: 'from-client-node', namespace: 'default' });
    await eventually(
      () => core.listNamespacedPod({ namespace: 'default', fieldSelector: 'metadata.name=from-client-node' }),
      (list) => list.items.length === 0,
      'from-client-node to go',
    );
  });

  it('stops on Ctrl-C and leaves no DynamoDB Local process behind', async () => {
    expect(processAlive(plane.dynamoDbPid)).toBe(true);
    expect(await plane.interrupt()).toBe(0);
    expect(processAlive(plane.dynamoDbPid)).toBe(false);
  });
});
