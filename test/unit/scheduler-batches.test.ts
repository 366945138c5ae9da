import { describe, expect, it } from 'vitest';
import { RetryLater } from '../../functions/core/controllers/retry';
import { createScheduler } from '../../functions/core/controllers/scheduler';
import type { Event } from '../../functions/core/events';
import type { Pod } from '../../functions/core/k8s';
import type { BatchBindOutcome, Binding, BindOutcome, PodRecord } from '../../functions/core/ports';
import { defaultProfile } from '../../functions/core/scheduler/profile';
import { GiB, nodeObject, storedPod } from '../fixtures';
import { type FakeStores, fakeStores } from './fakes';

// Issue 13: the scheduler decides a stream batch against one view and writes its bindings in
// transactions of many pods, falling back to smaller ones when DynamoDB cancels one.

const now = () => '2026-03-01T12:00:00Z';

async function cluster(nodes: Record<string, { cpu?: number; labels?: Record<string, string> }>) {
  const stores = fakeStores();
  for (const [name, n] of Object.entries(nodes))
    await stores.nodes.putNode(
      { ...nodeObject(name), metadata: { name, labels: { 'kubernetes.io/hostname': name, ...n.labels } } },
      { cpuMillis: n.cpu ?? 4000, memoryBytes: 8 * GiB, pods: 110 },
    );
  return stores;
}

/** The stores with every binding call written down: which pods, and what came back. */
function recorded(stores: FakeStores) {
  const calls: { kind: 'bindPod' | 'bindPods'; pods: string[]; outcomes: string[] }[] = [];
  const writes: Event[][] = [];
  const names = (bindings: readonly Pick<Binding, 'record'>[]) =>
    bindings.map((b) => b.record.pod.metadata?.name ?? '');
  const pods = {
    ...stores.pods,
    async bindPod(...args: Parameters<FakeStores['pods']['bindPod']>): Promise<BindOutcome> {
      const outcome = await stores.pods.bindPod(...args);
      calls.push({ kind: 'bindPod', pods: names([{ record: args[0] }]), outcomes: [outcome] });
      return outcome;
    },
    async bindPods(bindings: readonly Binding[]): Promise<BatchBindOutcome[]> {
      const outcomes = await stores.pods.bindPods(bindings);
      calls.push({ kind: 'bindPods', pods: names(bindings), outcomes });
      return outcomes;
    },
  };
  const events = {
    ...stores.events,
    async recordMany(batch: readonly Event[]) {
      writes.push([...batch]);
      await stores.events.recordMany(batch);
    },
  };
  return { deps: { ...stores, pods, events, profile: defaultProfile, now }, calls, writes };
}

const seed = (stores: FakeStores, names: readonly string[], cpu = '500m') =>
  names.map((name) => stores.pods.seed(storedPod(name, { cpu })));

const nodeOf = async (stores: FakeStores, name: string) =>
  (await stores.pods.getPod('default', name))?.pod.spec?.nodeName;

describe('a batch of pods', () => {
  it('is bound in one transaction set and told in one event write', async () => {
    const stores = await cluster({ a: {}, b: {}, c: {} });
    const { deps, calls, writes } = recorded(stores);
    const names = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
    const results = await createScheduler(deps).scheduleBatch(seed(stores, names));
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(calls.map((c) => ({ ...c, pods: [...c.pods].sort() }))).toEqual([
      { kind: 'bindPods', pods: names, outcomes: names.map(() => 'bound') },
    ]);
    expect(writes).toHaveLength(1);
    expect(writes[0]?.map((e) => `${e.involvedObject.name} ${e.reason}`).sort()).toEqual(
      names.map((n) => `${n} Scheduled`),
    );
    // Spread evenly, as if decided one after another: the view held each earlier choice.
    for (const node of ['a', 'b', 'c']) expect(stores.nodes.nodeInfo(node)?.requested.pods).toBe(2);
  });

  it('is scheduled as one batch when its records are handed over together, as the handler does', async () => {
    const stores = await cluster({ a: {} });
    const { deps, calls } = recorded(stores);
    const scheduler = createScheduler(deps);
    await Promise.all(seed(stores, ['p1', 'p2', 'p3']).map((record) => scheduler.schedule(record)));
    expect(calls.map((c) => [c.kind, c.pods.length])).toEqual([['bindPods', 3]]);
  });

  it('falls back to a transaction per node, then to one pod at a time, when transactions are cancelled', async () => {
    const stores = await cluster({ a: {}, b: {} });
    const { deps, calls } = recorded(stores);
    // DynamoDB cancels every transaction of more than one pod (another writer on the same items).
    const pods = {
      ...deps.pods,
      async bindPods(bindings: readonly Binding[]): Promise<BatchBindOutcome[]> {
        calls.push({
          kind: 'bindPods',
          pods: bindings.map((b) => b.record.pod.metadata?.name ?? ''),
          outcomes: [],
        });
        return bindings.map(() => 'conflict');
      },
    };
    const names = ['p1', 'p2', 'p3', 'p4'];
    await createScheduler({ ...deps, pods }).scheduleBatch(seed(stores, names));
    const shape = calls.map((c) => `${c.kind}:${c.pods.length}`);
    expect(shape.slice(0, 3)).toEqual(['bindPods:4', 'bindPods:2', 'bindPods:2']);
    expect(shape.slice(3).sort()).toEqual(['bindPod:1', 'bindPod:1', 'bindPod:1', 'bindPod:1']);
    for (const name of names) expect(await nodeOf(stores, name)).toMatch(/^[ab]$/);
  });

  it('writes the others again when one pod changed and cancelled their transaction', async () => {
    const stores = await cluster({ a: {}, b: {} });
    const { deps, calls } = recorded(stores);
    const [p1, p2, p3] = seed(stores, ['p1', 'p2', 'p3']) as [PodRecord, PodRecord, PodRecord];
    // p2 is relabelled after the stream record was read: its binding's condition fails.
    await stores.pods.updatePod(p2, { ...p2.pod, metadata: { ...p2.pod.metadata, labels: { tier: 'x' } } });
    await createScheduler(deps).scheduleBatch([p1, p2, p3]);
    const first = calls[0];
    const outcomes = Object.fromEntries(first?.pods.map((name, i) => [name, first.outcomes[i]]) ?? []);
    expect(outcomes).toEqual({ p1: 'cancelled', p2: 'pod-changed', p3: 'cancelled' });
    for (const name of ['p1', 'p2', 'p3']) expect(await nodeOf(stores, name)).toMatch(/^[ab]$/);
    expect((await stores.pods.getPod('default', 'p2'))?.pod.metadata?.labels).toEqual({ tier: 'x' });
  });

  it('reads the nodes again when one filled up meanwhile, and places its pods elsewhere', async () => {
    const stores = await cluster({ a: { cpu: 2000 }, b: { cpu: 1000 } });
    const { deps, calls } = recorded(stores);
    const scheduler = createScheduler(deps);
    await scheduler.scheduleBatch(seed(stores, ['warm-up'], '100m')); // reads the nodes: a is emptier
    // Another scheduler fills a; this one still sees it nearly empty.
    await createScheduler({ ...stores, profile: defaultProfile, now }).scheduleBatch(
      seed(stores, ['elsewhere'], '1800m'),
    );
    await scheduler.scheduleBatch(seed(stores, ['p1', 'p2'], '500m'));
    // Its first try: p1 to a (full now), p2 to b, in one transaction that a's condition cancelled.
    expect(calls[1]?.outcomes).toContain('node-full');
    expect([await nodeOf(stores, 'p1'), await nodeOf(stores, 'p2')]).toEqual(['b', 'b']);
    expect(stores.nodes.nodeInfo('a')?.requested.pods).toBe(2);
  });

  it('decides again a pod found no room only because of a binding that then failed', async () => {
    const stores = await cluster({ a: { cpu: 1000 }, b: { cpu: 1000 } });
    const { deps } = recorded(stores);
    const [first, second] = seed(stores, ['first', 'second'], '1') as [PodRecord, PodRecord];
    // Another scheduler bound `first` already (to b); this batch still holds its old record.
    await createScheduler({ ...stores, profile: defaultProfile, now }).scheduleBatch([first]);
    const taken = await nodeOf(stores, 'first');
    await createScheduler(deps).scheduleBatch([first, second]);
    expect(await nodeOf(stores, 'second')).toBe(taken === 'a' ? 'b' : 'a');
    expect(await stores.pods.listUnschedulable(100)).toEqual([]);
  });

  it('marks the pods no node has room for, each with its reason, in one event write', async () => {
    const stores = await cluster({ a: { cpu: 1000 } });
    const { deps, writes } = recorded(stores);
    await createScheduler(deps).scheduleBatch(seed(stores, ['fits', 'big-1', 'big-2'], '800m'));
    expect(await nodeOf(stores, 'fits')).toBe('a');
    expect((await stores.pods.listUnschedulable(100)).map((r) => r.pod.metadata?.name).sort()).toEqual([
      'big-1',
      'big-2',
    ]);
    expect(writes.map((w) => w.map((e) => `${e.involvedObject.name} ${e.reason}`))).toEqual([
      ['fits Scheduled'],
      ['big-1 FailedScheduling', 'big-2 FailedScheduling'],
    ]);
    expect(writes[1]?.[0]?.message).toBe('0/1 nodes are available: 1 Insufficient cpu.');
  });

  it('spreads pods with topology spread constraints within one batch as it would one by one', async () => {
    const zone = 'topology.kubernetes.io/zone';
    const stores = await cluster({
      a1: { labels: { [zone]: 'a' } },
      a2: { labels: { [zone]: 'a' } },
      b1: { labels: { [zone]: 'b' } },
    });
    const spread = (name: string): Pod => {
      const pod = storedPod(name, { cpu: '100m' });
      return {
        ...pod,
        metadata: { ...pod.metadata, labels: { app: 'web' } },
        spec: {
          ...pod.spec,
          containers: pod.spec?.containers ?? [],
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: zone,
              whenUnsatisfiable: 'DoNotSchedule',
              labelSelector: { matchLabels: { app: 'web' } },
            },
          ],
        },
      };
    };
    const names = ['w1', 'w2', 'w3', 'w4'];
    await createScheduler({ ...stores, profile: defaultProfile, now }).scheduleBatch(
      names.map((n) => stores.pods.seed(spread(n))),
    );
    const zones = await Promise.all(names.map(async (n) => ((await nodeOf(stores, n)) ?? '').slice(0, 1)));
    expect(zones.filter((z) => z === 'a')).toHaveLength(2);
    expect(zones.filter((z) => z === 'b')).toHaveLength(2);
  });

  it('makes one decision for two records of the same pod', async () => {
    const stores = await cluster({ a: {} });
    const { deps, calls } = recorded(stores);
    const [record] = seed(stores, ['twice']) as [PodRecord];
    const results = await createScheduler(deps).scheduleBatch([record, record]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(calls).toEqual([{ kind: 'bindPod', pods: ['twice'], outcomes: ['bound'] }]);
  });

  it('hands back only the record whose pod could not be bound', async () => {
    const stores = await cluster({ a: {} });
    const { deps } = recorded(stores);
    // Every transaction naming `contended` is cancelled, as by a writer that never lets go.
    const refused = (b: Pick<Binding, 'record'>) => b.record.pod.metadata?.name === 'contended';
    const pods = {
      ...deps.pods,
      async bindPod(...args: Parameters<FakeStores['pods']['bindPod']>): Promise<BindOutcome> {
        return refused({ record: args[0] }) ? 'conflict' : deps.pods.bindPod(...args);
      },
      async bindPods(bindings: readonly Binding[]): Promise<BatchBindOutcome[]> {
        return bindings.some(refused) ? bindings.map(() => 'conflict') : deps.pods.bindPods(bindings);
      },
    };
    const results = await createScheduler({ ...deps, pods }).scheduleBatch(
      seed(stores, ['ok-1', 'contended', 'ok-2']),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(RetryLater);
    expect([await nodeOf(stores, 'ok-1'), await nodeOf(stores, 'ok-2')]).toEqual(['a', 'a']);
  }, 20_000);
});
