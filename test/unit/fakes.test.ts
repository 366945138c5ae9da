import { describe, expect, it } from 'vitest';
import type { Pod } from '../../functions/core/k8s';
import { AlreadyExistsError, ConflictError } from '../../functions/core/ports';
import { fakeStores } from './fakes';

// The in-memory stores other tests use must keep the PodStore / NamespaceStore contract of
// functions/core/ports.ts, or those tests prove nothing about the real adapters.

const pod = (name: string): Pod => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { containers: [{ name: 'app', image: 'nginx' }] },
});

describe('fakeStores', () => {
  it('refuses to create a pod whose name is taken', async () => {
    const { pods } = fakeStores();
    await pods.createPod(pod('web'));
    await expect(pods.createPod(pod('web'))).rejects.toBeInstanceOf(AlreadyExistsError);
  });

  it('lets a new pod take the name of a deleted one', async () => {
    const { pods } = fakeStores();
    await pods.createPod(pod('web'));
    const record = await pods.getPod('default', 'web');
    if (!record) throw new Error('missing');
    await pods.deletePod(record);
    await expect(pods.createPod(pod('web'))).resolves.toMatchObject({ metadata: { name: 'web' } });
  });

  it('bumps resourceVersion on every write and shows it in metadata', async () => {
    const { pods } = fakeStores();
    await pods.createPod(pod('web'));
    const first = await pods.getPod('default', 'web');
    if (!first) throw new Error('missing');
    const second = await pods.updatePod(first, { ...first.pod, status: { phase: 'Running' } });
    expect(second.resourceVersion).toBeGreaterThan(first.resourceVersion);
    expect(second.pod.metadata?.resourceVersion).toBe(String(second.resourceVersion));
  });

  it('throws ConflictError for a write based on a stale read', async () => {
    const { pods } = fakeStores();
    await pods.createPod(pod('web'));
    const stale = await pods.getPod('default', 'web');
    if (!stale) throw new Error('missing');
    await pods.updatePod(stale, { ...stale.pod, status: { phase: 'Running' } });
    await expect(pods.updatePod(stale, { ...stale.pod, status: { phase: 'Failed' } })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(pods.deletePod(stale)).rejects.toBeInstanceOf(ConflictError);
  });

  it('keeps a deleted pod only as a DELETED change for watchers', async () => {
    const { pods } = fakeStores();
    await pods.createPod(pod('web'));
    const record = await pods.getPod('default', 'web');
    if (!record) throw new Error('missing');
    await pods.deletePod(record);
    expect(await pods.getPod('default', 'web')).toBeUndefined();
    expect(await pods.listPods('default')).toEqual([]);
    expect((await pods.podChangesSince('default', record.resourceVersion)).map((c) => c.deleted)).toEqual([
      true,
    ]);
  });

  it('takes capacity when binding and gives it back once when the pod finishes', async () => {
    const { pods, nodes } = fakeStores();
    await nodes.putNode({ metadata: { name: 'n1' } }, { cpuMillis: 1000, memoryBytes: 1000, pods: 10 });
    await pods.createPod(pod('web'));
    const record = await pods.getPod('default', 'web');
    const info = nodes.nodeInfo('n1');
    if (!record || !info) throw new Error('missing');
    const bound: Pod = { ...record.pod, spec: { ...record.pod.spec, containers: [], nodeName: 'n1' } };
    expect(await pods.bindPod(record, bound, info, { cpuMillis: 600, memoryBytes: 100 })).toBe('bound');
    expect(nodes.nodeInfo('n1')?.requested).toEqual({ cpuMillis: 600, memoryBytes: 100, pods: 1 });
    const boundRecord = await pods.getPod('default', 'web');
    if (!boundRecord) throw new Error('missing');
    const finished = await pods.finishPod(boundRecord, {
      ...boundRecord.pod,
      status: { phase: 'Succeeded' },
    });
    expect(nodes.nodeInfo('n1')?.requested).toEqual({ cpuMillis: 0, memoryBytes: 0, pods: 0 });
    await pods.deletePod(finished);
    expect(nodes.nodeInfo('n1')?.requested).toEqual({ cpuMillis: 0, memoryBytes: 0, pods: 0 });
  });

  it('refuses to bind past what the node can hold', async () => {
    const { pods, nodes } = fakeStores();
    await nodes.putNode({ metadata: { name: 'n1' } }, { cpuMillis: 500, memoryBytes: 1000, pods: 10 });
    await pods.createPod(pod('web'));
    const record = await pods.getPod('default', 'web');
    const info = nodes.nodeInfo('n1');
    if (!record || !info) throw new Error('missing');
    expect(await pods.bindPod(record, record.pod, info, { cpuMillis: 600, memoryBytes: 0 })).toBe(
      'node-full',
    );
  });

  it('binds a batch as one transaction: all of it, or none and why', async () => {
    const { pods, nodes } = fakeStores();
    await nodes.putNode({ metadata: { name: 'n1' } }, { cpuMillis: 1000, memoryBytes: 1000, pods: 10 });
    await nodes.putNode({ metadata: { name: 'n2' } }, { cpuMillis: 1000, memoryBytes: 1000, pods: 10 });
    for (const name of ['a', 'b', 'c']) await pods.createPod(pod(name));
    const binding = async (name: string, node: string, cpuMillis: number) => {
      const record = await pods.getPod('default', name);
      const info = nodes.nodeInfo(node);
      if (!record || !info) throw new Error('missing');
      const bound: Pod = { ...record.pod, spec: { ...record.pod.spec, containers: [], nodeName: node } };
      return { record, bound, node: info, requests: { cpuMillis, memoryBytes: 0 } };
    };
    // Each fits n1 alone; together they do not.
    const tooMuch = [
      await binding('a', 'n1', 600),
      await binding('b', 'n1', 600),
      await binding('c', 'n2', 100),
    ];
    expect(await pods.bindPods(tooMuch)).toEqual(['node-full', 'node-full', 'cancelled']);
    expect(nodes.nodeInfo('n1')?.requested.pods).toBe(0);
    expect(nodes.nodeInfo('n2')?.requested.pods).toBe(0);
    const fits = [
      await binding('a', 'n1', 600),
      await binding('b', 'n2', 600),
      await binding('c', 'n2', 100),
    ];
    expect(await pods.bindPods(fits)).toEqual(['bound', 'bound', 'bound']);
    expect(nodes.nodeInfo('n2')?.requested).toEqual({ cpuMillis: 700, memoryBytes: 0, pods: 2 });
    // The same records again: every pod moved since.
    expect(await pods.bindPods(fits)).toEqual(['pod-changed', 'pod-changed', 'pod-changed']);
  });

  it('grows the move-request cycle with each request', async () => {
    const { pods } = fakeStores();
    expect(await pods.moveCycle()).toBe(0);
    await pods.requestMove();
    await pods.requestMove();
    expect(await pods.moveCycle()).toBe(2);
  });

  it('refuses to create a namespace twice', async () => {
    const { namespaces } = fakeStores();
    await namespaces.createNamespace({ metadata: { name: 'shop' } });
    await expect(namespaces.createNamespace({ metadata: { name: 'shop' } })).rejects.toBeInstanceOf(
      AlreadyExistsError,
    );
  });
});
