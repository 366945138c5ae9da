import { describe, expect, it } from 'vitest';
import { requeueUnschedulable } from '../../functions/core/controllers/requeue';
import { createScheduler } from '../../functions/core/controllers/scheduler';
import { defaultProfile } from '../../functions/core/scheduler/profile';
import { GiB, nodeObject, storedPod } from '../fixtures';
import { type FakeStores, fakeStores } from './fakes';
import { racePlans, raceReleaseWithAttempt } from './wake-up-races';

// Issue 13: a pod the scheduler finds no room for must not miss capacity given back while it is
// being decided. Every interleaving of the attempt's steps with a release's is run, one by one.

const now = () => '2026-03-01T12:00:00Z';
const scheduler = (stores: FakeStores) => createScheduler({ ...stores, profile: defaultProfile, now });

/** One node with room for one pod of 1 CPU, which `victim` takes; `waiter` asks for the same. */
async function fullCluster() {
  const stores = fakeStores();
  await stores.nodes.putNode(nodeObject('n1'), { cpuMillis: 1000, memoryBytes: 8 * GiB, pods: 110 });
  await scheduler(stores).schedule(stores.pods.seed(storedPod('victim', { cpu: '1' })));
  stores.pods.seed(storedPod('waiter', { cpu: '1' }));
  return stores;
}

const condition = async (stores: FakeStores, name: string) =>
  (await stores.pods.getPod('default', name))?.pod.status?.conditions?.find((c) => c.type === 'PodScheduled');

describe('a release racing the scheduling attempt of a pod that finds no room', () => {
  it.each(racePlans().map((plan) => [plan.join(', '), plan] as const))(
    'binds the pod when release, move request and requeue run before the attempt’s calls %s',
    async (_, plan) => {
      const stores = await fullCluster();
      const waiter = await raceReleaseWithAttempt(stores, plan, { victim: 'victim', waiter: 'waiter' });
      expect(waiter?.pod.spec?.nodeName).toBe('n1');
      expect(stores.nodes.nodeInfo('n1')?.requested).toMatchObject({ cpuMillis: 1000, pods: 1 });
    },
  );

  it('decides again, in the same attempt, when capacity came back between its node read and its mark', async () => {
    const stores = await fullCluster();
    // The interleaving that lost the wake-up: everything after the nodes were read (the second
    // read, with the cycle before it), before the mark.
    const waiter = await raceReleaseWithAttempt(stores, [3, 3, 3], { victim: 'victim', waiter: 'waiter' });
    expect(waiter?.pod.spec?.nodeName).toBe('n1');
    // The mark was written (and told, as Kubernetes does), then the pod was bound after all.
    const reasons = (await stores.events.listEvents('default'))
      .filter((e) => e.involvedObject.name === 'waiter')
      .map((e) => e.reason);
    expect(reasons).toEqual(['FailedScheduling', 'Scheduled']);
    expect(await stores.pods.listUnschedulable(100)).toEqual([]);
  });

  it('leaves the pod waiting when no capacity came back, and a later release requeues it', async () => {
    const stores = await fullCluster();
    await scheduler(stores).schedule((await stores.pods.getPod('default', 'waiter')) as never);
    expect(await condition(stores, 'waiter')).toMatchObject({ status: 'False', reason: 'Unschedulable' });
    expect((await stores.pods.listUnschedulable(100)).map((r) => r.pod.metadata?.name)).toEqual(['waiter']);

    const victim = await stores.pods.getPod('default', 'victim');
    if (!victim) throw new Error('missing');
    await stores.pods.deletePod(victim);
    expect(await requeueUnschedulable(stores)).toBe(1);
    const requeued = await stores.pods.getPod('default', 'waiter');
    expect(requeued?.stage).toBe('schedule');
    await scheduler(stores).schedule(requeued as never);
    expect((await stores.pods.getPod('default', 'waiter'))?.pod.spec?.nodeName).toBe('n1');
  });
});

describe('requeueUnschedulable', () => {
  it('starts a new move-request cycle before it lists the waiting pods', async () => {
    const stores = fakeStores();
    const order: string[] = [];
    const pods = {
      ...stores.pods,
      requestMove: async () => {
        order.push('move');
        await stores.pods.requestMove();
      },
      listUnschedulable: async (limit: number) => {
        order.push('list');
        return stores.pods.listUnschedulable(limit);
      },
    };
    await requeueUnschedulable({ pods });
    expect(order).toEqual(['move', 'list']);
    expect(await stores.pods.moveCycle()).toBe(1);
  });

  it('requeues a waiting pod that was edited meanwhile and still waits', async () => {
    const stores = await fullCluster();
    await scheduler(stores).schedule((await stores.pods.getPod('default', 'waiter')) as never);
    const listed = await stores.pods.listUnschedulable(100);
    // A label edit between the listing and the requeue: the pod still waits, and no scheduler woke.
    const waiting = await stores.pods.getPod('default', 'waiter');
    if (!waiting) throw new Error('missing');
    await stores.pods.updatePod(waiting, {
      ...waiting.pod,
      metadata: { ...waiting.pod.metadata, labels: { edited: 'yes' } },
    });
    const pods = { ...stores.pods, listUnschedulable: async () => listed };
    expect(await requeueUnschedulable({ pods })).toBe(1);
    expect((await stores.pods.getPod('default', 'waiter'))?.stage).toBe('schedule');
  });
});
