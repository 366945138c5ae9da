import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { call, eventually, hasKubectl, kubectlFor, useControlPlane, writeManifest } from './control-plane';

/**
 * What real clients send beyond the everyday commands: kubectl's server-side dry runs and diff,
 * `--sort-by` (which asks Tables for whole objects), Go-style booleans in queries, and the
 * official Python client, which podplane's own code does not use.
 */
const hasPythonClient =
  spawnSync('/usr/bin/python3', ['-c', 'import kubernetes'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasKubectl)('API parity with kube-apiserver for real clients', () => {
  const plane = useControlPlane('podplane-parity-', ['--nodes', '1']);
  const { run: kubectl, status: kubectlStatus } = kubectlFor(plane);
  const manifest = (name: string, labels: Record<string, string> = {}) => {
    const labelLines = Object.entries(labels).map(([k, v]) => `    ${k}: ${v}\n`);
    return writeManifest(
      plane,
      `${name}.yaml`,
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n${labelLines.length ? `  labels:\n${labelLines.join('')}` : ''}spec:\n  containers:\n  - name: app\n    image: nginx:1.27\n`,
    );
  };

  it('server-side dry runs of create, apply and delete print "(server dry run)" and change nothing', async () => {
    const file = manifest('dry');
    expect(kubectl('create', '-f', file, '--dry-run=server')).toBe('pod/dry created (server dry run)\n');
    expect(kubectl('apply', '-f', file, '--dry-run=server')).toBe('pod/dry created (server dry run)\n');
    expect(kubectlStatus('get', 'pod', 'dry').out).toContain('pods "dry" not found');

    kubectl('create', '-f', file);
    await eventually(
      async () => kubectl('get', 'pod', 'dry', '-o', 'jsonpath={.status.phase}'),
      (phase) => phase === 'Running',
      'pod dry Running',
    );
    const uid = kubectl('get', 'pod', 'dry', '-o', 'jsonpath={.metadata.uid}');
    expect(kubectl('delete', 'pod', 'dry', '--dry-run=server')).toBe('pod "dry" deleted (server dry run)\n');
    // Still there, still Running, the same object, and no Killing event.
    expect(
      kubectl(
        'get',
        'pod',
        'dry',
        '-o',
        'jsonpath={.metadata.uid} {.status.phase} {.metadata.deletionTimestamp}',
      ),
    ).toBe(`${uid} Running `);
    expect(kubectl('get', 'events', '--field-selector', 'involvedObject.name=dry')).not.toContain('Killing');
  });

  it('kubectl diff shows the change a manifest would make, and makes none', () => {
    kubectl('apply', '-f', manifest('diffed', { tier: 'one' }));
    const diff = kubectlStatus('diff', '-f', manifest('diffed', { tier: 'two' }));
    // diff exits 1 when there are differences.
    expect(diff.code).toBe(1);
    expect(diff.out).toMatch(/^-\s+tier: one$/m);
    expect(diff.out).toMatch(/^\+\s+tier: two$/m);
    expect(kubectl('get', 'pod', 'diffed', '-o', 'jsonpath={.metadata.labels.tier}')).toBe('one');
  });

  it('refuses a dry-run value apiserver does not know, and creates nothing', async () => {
    const reply = await call(plane, 'POST', '/api/v1/namespaces/default/pods?dryRun=Yes', {
      body: JSON.stringify({
        metadata: { name: 'yes' },
        spec: { containers: [{ name: 'a', image: 'nginx' }] },
      }),
      contentType: 'application/json',
    });
    expect(reply.status).toBe(422);
    expect(reply.json()).toMatchObject({ kind: 'Status', reason: 'Invalid' });
    expect(kubectlStatus('get', 'pod', 'yes').out).toContain('pods "yes" not found');
  });

  it('sorts by fields outside metadata (--sort-by asks Tables for whole objects)', async () => {
    kubectl('run', 'sort-b', '--image=nginx:1.27');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    kubectl('run', 'sort-a', '--image=nginx:1.27');
    for (const name of ['sort-a', 'sort-b'])
      await eventually(
        async () => kubectl('get', 'pod', name, '-o', 'jsonpath={.status.startTime}'),
        (time) => time !== '',
        `${name} started`,
      );
    const byStart = kubectl('get', 'pods', '-l', 'run', '--sort-by=.status.startTime', '-o', 'name');
    expect(byStart.trim().split('\n')).toEqual(['pod/sort-b', 'pod/sort-a']);

    const events = kubectl('get', 'events', '--sort-by=.lastTimestamp');
    expect(events).not.toContain('No resources found');
    expect(events).toMatch(/Scheduled\s+pod\/sort-b/);
  });

  it('reads Go booleans in queries: watch=True is a watch, watch=maybe is a 400', async () => {
    const watched = await call(plane, 'GET', '/api/v1/namespaces/default/pods?watch=True&timeoutSeconds=1');
    expect(watched.status).toBe(200);
    const first = JSON.parse(watched.body.split('\n')[0] ?? '');
    expect(first).toMatchObject({ type: 'ADDED', object: { kind: 'Pod' } });

    const refused = await call(plane, 'GET', '/api/v1/namespaces/default/pods?watch=maybe');
    expect(refused.status).toBe(400);
    expect(refused.json()).toMatchObject({
      reason: 'BadRequest',
      message: 'strconv.ParseBool: parsing "maybe": invalid syntax',
    });
  });

  it('works with @kubernetes/client-node: dry run, server-side apply, conflicts and force', async () => {
    const config = new KubeConfig();
    config.loadFromFile(plane.kubeconfig);
    const core = config.makeApiClient(CoreV1Api);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'node-ssa', namespace: 'default', labels: { owner: 'first' } },
      spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
    };
    const dry = await core.createNamespacedPod({ namespace: 'default', body: pod, dryRun: 'All' });
    expect(dry.metadata?.name).toBe('node-ssa');
    await expect(core.readNamespacedPod({ name: 'node-ssa', namespace: 'default' })).rejects.toMatchObject({
      code: 404,
    });

    const apply = (body: object, fieldManager: string, force?: boolean) =>
      core.patchNamespacedPod(
        { name: 'node-ssa', namespace: 'default', body, fieldManager, ...(force ? { force } : {}) },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
    const created = await apply(pod, 'first');
    expect(created.metadata?.managedFields).toEqual([
      expect.objectContaining({ manager: 'first', operation: 'Apply', fieldsType: 'FieldsV1' }),
    ]);
    const other = { ...pod, metadata: { ...pod.metadata, labels: { owner: 'second' } } };
    const conflict = await apply(other, 'second').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(conflict).toBeInstanceOf(ApiException);
    expect((conflict as ApiException<string>).code).toBe(409);
    expect(JSON.parse((conflict as ApiException<string>).body)).toMatchObject({
      reason: 'Conflict',
      details: { causes: [{ reason: 'FieldManagerConflict', field: '.metadata.labels.owner' }] },
    });
    const forced = await apply(other, 'second', true);
    expect(forced.metadata?.labels).toEqual({ owner: 'second' });
  });

  it.skipIf(!hasPythonClient)(
    'works with the official Python client: dry run, watch, patch, selectors',
    () => {
      const run = spawnSync(
        '/usr/bin/python3',
        [join(import.meta.dirname, 'python', 'client_flow.py'), plane.kubeconfig, 'default'],
        { encoding: 'utf8' },
      );
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toEqual({
        dryRunName: 'py-dry',
        dryRunThenGet: 404,
        createdUid: true,
        watchEvents: [['ADDED', 'py-web']],
        patchedLabels: { app: 'py', tier: 'web' },
        selected: ['py-web'],
        afterDryDelete: true,
        badDryRun: [422, 'Invalid'],
      });
    },
  );
});
