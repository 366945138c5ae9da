import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requeueUnschedulable } from '../../functions/core/controllers/requeue';
import { RetryLater, withFreshPod } from '../../functions/core/controllers/retry';
import { createScheduler } from '../../functions/core/controllers/scheduler';
import { taskReservation } from '../../functions/core/ecs/reservation';
import type { Pod } from '../../functions/core/k8s';
import type { BatchBindOutcome, Binding, NodeStore, PodRecord, PodStore } from '../../functions/core/ports';
import { defaultProfile } from '../../functions/core/scheduler/profile';
import { GiB, nodeObject, storedPod } from '../fixtures';
import { type FakeStores, fakeStores } from './fakes';

// Batches of pods scheduled by several schedulers at once, while bound pods are deleted and the
// waiting ones requeued, every store call a point where fast-check may let any other go first:
// no node ever holds more than it has, no pod is bound twice, and once everything has settled
// (and the stream has delivered every requeued pod) no pod is left Unschedulable while a node
// has room for it.

const now = () => '2026-03-01T12:00:00Z';

const clusterArb = fc.record({
  networking: fc.constantFrom('awsvpc' as const, 'bridge' as const),
  nodes: fc.array(fc.record({ cpu: fc.constantFrom(1000, 1500, 2000), pods: fc.constantFrom(2, 3, 110) }), {
    minLength: 1,
    maxLength: 3,
  }),
  /** Pods bound before the race; some are deleted during it. */
  bound: fc.array(fc.record({ cpu: fc.constantFrom(250, 500, 1000), deleted: fc.boolean() }), {
    maxLength: 4,
  }),
  pending: fc.array(fc.record({ cpu: fc.constantFrom(250, 500, 1000), hostPort: fc.boolean() }), {
    minLength: 1,
    maxLength: 10,
  }),
});

const podWith = (name: string, cpu: number, hostPort = false): Pod => {
  const pod = storedPod(name, { cpu: `${cpu}m` });
  const [app] = pod.spec?.containers ?? [];
  return hostPort
    ? {
        ...pod,
        spec: {
          ...pod.spec,
          containers: [{ ...app, name: 'app', ports: [{ containerPort: 80, hostPort: 8080 }] }],
        },
      }
    : pod;
};

/** The stores as the schedulers see them: every call waits for fast-check's go, then runs whole. */
function raced(stores: FakeStores, s: fc.Scheduler, check: () => void) {
  const gate = s.scheduleFunction(async (_call: string) => {});
  const wrap = <T extends object>(store: T, name: string): T =>
    Object.fromEntries(
      Object.entries(store).map(([key, value]) => [
        key,
        typeof value === 'function'
          ? async (...args: unknown[]) => {
              await gate(`${name}.${key}`);
              const result = await (value as (...a: unknown[]) => Promise<unknown>)(...args);
              check();
              return result;
            }
          : value,
      ]),
    ) as T;
  return { pods: wrap(stores.pods, 'pods') as PodStore, nodes: wrap(stores.nodes, 'nodes') as NodeStore };
}

describe('batches bound by conflicting schedulers at once', () => {
  it('never overcommit a node, bind a pod at most once, and leave no pod waiting for room there is', async () => {
    await fc.assert(
      fc.asyncProperty(
        clusterArb,
        fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 10 }), { minLength: 2, maxLength: 3 }),
        fc.scheduler(),
        async (cluster, batchPicks, s) => {
          const stores = fakeStores();
          const nodeNames = cluster.nodes.map((_, i) => `node-${i}`);
          for (const [i, n] of cluster.nodes.entries())
            await stores.nodes.putNode(nodeObject(nodeNames[i] as string), {
              cpuMillis: n.cpu,
              memoryBytes: 8 * GiB,
              pods: n.pods,
            });
          const { networking } = cluster;
          const plain = createScheduler({ ...stores, profile: defaultProfile, now, networking });
          for (const [i, b] of cluster.bound.entries())
            await plain.scheduleBatch([stores.pods.seed(podWith(`bound-${i}`, b.cpu))]);
          const pending = cluster.pending.map((p, i) =>
            stores.pods.seed(podWith(`pod-${i}`, p.cpu, p.hostPort)),
          );

          // Every binding a scheduler got back, per pod: at most one may say `bound`.
          const bindings = new Map<string, number>();
          const noteBound = (binding: Pick<Binding, 'record'>, outcome: BatchBindOutcome) => {
            if (outcome !== 'bound') return;
            const name = binding.record.pod.metadata?.name ?? '';
            bindings.set(name, (bindings.get(name) ?? 0) + 1);
          };
          const check = () => {
            for (const name of nodeNames) {
              const node = stores.nodes.nodeInfo(name);
              if (!node) continue;
              expect(node.requested.cpuMillis).toBeLessThanOrEqual(node.allocatable.cpuMillis);
              expect(node.requested.pods).toBeLessThanOrEqual(node.allocatable.pods);
              expect(new Set(node.usedHostPorts).size).toBe(node.usedHostPorts?.length ?? 0);
            }
          };
          const { pods, nodes } = raced(stores, s, check);
          const watched: PodStore = {
            ...pods,
            async bindPod(record, bound, node, requests) {
              const outcome = await pods.bindPod(record, bound, node, requests);
              noteBound({ record }, outcome);
              return outcome;
            },
            async bindPods(batch) {
              // One transaction may name a pod only once (DynamoDB refuses it otherwise).
              const names = batch.map((b) => b.record.pod.metadata?.name);
              expect(new Set(names).size).toBe(names.length);
              const outcomes = await pods.bindPods(batch);
              batch.forEach((b, i) => {
                noteBound(b, outcomes[i] as BatchBindOutcome);
              });
              return outcomes;
            },
          };
          const deps = {
            pods: watched,
            nodes,
            events: stores.events,
            profile: defaultProfile,
            now,
            networking,
          };

          // Each scheduler a batch of pending pods (repeats and overlaps included, as a stream
          // delivers them); the deletions run meanwhile, each followed by its requeue.
          const work: Promise<unknown>[] = batchPicks.map(async (picks) => {
            const batch = picks.map((p) => pending[p % pending.length] as PodRecord);
            const results = await createScheduler(deps).scheduleBatch(batch);
            for (const r of results)
              if (r.status === 'rejected' && !(r.reason instanceof RetryLater)) throw r.reason;
          });
          for (const [i, b] of cluster.bound.entries())
            if (b.deleted)
              work.push(
                (async () => {
                  const victim = await watched.getPod('default', `bound-${i}`);
                  if (!victim) return;
                  await withFreshPod(victim, watched, (fresh) => watched.deletePod(fresh));
                  await requeueUnschedulable({ pods: watched });
                })(),
              );
          await s.waitFor(Promise.all(work));

          // The stream: a pod written in stage `schedule` and still unbound is delivered again.
          for (let round = 0; round < 10; round++) {
            const names = (await stores.pods.listPods('default')).map((p) => p.metadata?.name ?? '');
            const again = (await Promise.all(names.map((n) => stores.pods.getPod('default', n)))).filter(
              (r): r is PodRecord => r !== undefined && !r.pod.spec?.nodeName && r.stage !== 'unschedulable',
            );
            if (again.length === 0) break;
            await plain.scheduleBatch(again);
          }

          for (const [name, count] of bindings) expect([name, count]).toEqual([name, 1]);
          const everyPod = (await stores.pods.listPods('default')).map((p) => p.metadata?.name ?? '');
          const records = (await Promise.all(everyPod.map((n) => stores.pods.getPod('default', n)))).filter(
            (r): r is PodRecord => r !== undefined,
          );
          for (const name of nodeNames) {
            const node = stores.nodes.nodeInfo(name);
            const here = records.filter((r) => r.pod.spec?.nodeName === name && !r.released);
            // The node's counters are exactly what its pods took.
            expect(node?.requested.cpuMillis).toBe(
              here.reduce((t, r) => t + (r.boundRequests?.cpuMillis ?? 0), 0),
            );
            expect(node?.requested.pods).toBe(here.length);
          }
          for (const record of records.filter((r) => !r.pod.spec?.nodeName)) {
            expect(record.stage).toBe('unschedulable');
            const requests = taskReservation(record.pod);
            const wantsPort =
              networking === 'bridge' && record.pod.spec?.containers.some((c) => c.ports?.length);
            for (const name of nodeNames) {
              const node = stores.nodes.nodeInfo(name);
              if (!node) continue;
              const fits =
                node.requested.cpuMillis + requests.cpuMillis <= node.allocatable.cpuMillis &&
                node.requested.memoryBytes + requests.memoryBytes <= node.allocatable.memoryBytes &&
                node.requested.pods + 1 <= node.allocatable.pods &&
                !(wantsPort && node.usedHostPorts?.includes('TCP/8080'));
              expect([record.pod.metadata?.name, name, fits]).toEqual([
                record.pod.metadata?.name,
                name,
                false,
              ]);
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  }, 120_000);
});
