import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoEventStore } from '../../functions/adapters/dynamodb/event-store';
import { dynamoNodeStore } from '../../functions/adapters/dynamodb/node-store';
import { dynamoPodStore } from '../../functions/adapters/dynamodb/pod-store';
import { createScheduler } from '../../functions/core/controllers/scheduler';
import { defaultProfile } from '../../functions/core/scheduler/profile';
import { GiB, nodeObject, storedPod } from '../fixtures';
import { racePlans, raceReleaseWithAttempt } from '../unit/wake-up-races';
import { useFreshTable } from './support';

/**
 * Issue 13 on DynamoDB Local: every interleaving of a scheduling attempt that finds no room with
 * a release, its move request and its requeue (test/unit/wake-up-races.ts), on the real store,
 * whose waiting set and move-request cycle are read strongly consistently. One node with room for
 * one pod; each plan deletes the pod bound there while the next one is being scheduled, and that
 * one must end bound.
 */
const stores = { pods: dynamoPodStore, nodes: dynamoNodeStore, events: dynamoEventStore };
const now = () => new Date().toISOString();

beforeAll(async () => {
  await useFreshTable();
  await stores.nodes.putNode(nodeObject('n1'), { cpuMillis: 1000, memoryBytes: 8 * GiB, pods: 110 });
  await stores.pods.createPod(storedPod('p-00', { cpu: '1' }));
  const first = await stores.pods.getPod('default', 'p-00', true);
  await createScheduler({ ...stores, profile: defaultProfile, now }).schedule(first as never);
});

const pad = (i: number) => String(i).padStart(2, '0');

describe('a release racing the scheduling attempt of a pod that finds no room, on DynamoDB Local', () => {
  it.each(racePlans().map((plan, i) => [plan.join(', '), plan, i] as const))(
    'binds the pod when release, move request and requeue run before the attempt’s calls %s',
    async (_, plan, i) => {
      const victim = `p-${pad(i)}`;
      const waiter = `p-${pad(i + 1)}`;
      expect((await stores.pods.getPod('default', victim, true))?.pod.spec?.nodeName).toBe('n1');
      await stores.pods.createPod(storedPod(waiter, { cpu: '1' }));
      const end = await raceReleaseWithAttempt(stores, plan, { victim, waiter });
      expect(end?.pod.spec?.nodeName).toBe('n1');
      const [node] = await stores.nodes.listNodes({ consistent: true });
      expect(node?.requested).toMatchObject({ cpuMillis: 1000, pods: 1 });
      // Nothing is left in the waiting set once the pod is bound.
      expect(await stores.pods.listUnschedulable(100)).toEqual([]);
    },
  );
});
