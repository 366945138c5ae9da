import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoEventStore } from '../../functions/adapters/dynamodb/event-store';
import { dynamoNodeStore } from '../../functions/adapters/dynamodb/node-store';
import { dynamoPodStore } from '../../functions/adapters/dynamodb/pod-store';
import { ecsPodRuntime } from '../../functions/adapters/ecs/runtime';
import { syncPod } from '../../functions/core/controllers/kubelet';
import { syncNodes } from '../../functions/core/controllers/node-sync';
import { createScheduler } from '../../functions/core/controllers/scheduler';
import { defaultProfile } from '../../functions/core/scheduler/profile';
import { type EcsSimulator, startEcsSimulator } from '../../local/ecs-simulator';
import { storedPod } from '../fixtures';
import { fakeTimers } from '../unit/fakes';
import { useFreshTable } from './support';

/**
 * What `npm run chaos` found (local/faults/), against the real adapters: DynamoDB Local and the
 * ECS simulator.
 */

const pods = dynamoPodStore;
const nodes = dynamoNodeStore;
const events = dynamoEventStore;
const now = () => new Date().toISOString();
let ecs: EcsSimulator;
/** A task ARN of the test cluster that ECS has never heard of (or has forgotten). */
const unknownTask = 'arn:aws:ecs:us-east-1:000000000000:task/podplane-test/0123456789abcdef0123456789abcdef';

beforeAll(async () => {
  await useFreshTable();
  ecs = await startEcsSimulator({ clusterName: 'podplane-test', nodes: 1, nodeCpu: 2, nodeMemoryMiB: 4096 });
  process.env.AWS_ENDPOINT_URL_ECS = ecs.endpoint;
  await syncNodes({ runtime: ecsPodRuntime, nodes, now });
});

afterAll(async () => {
  await ecs?.stop();
});

describe('deleting a pod whose task ECS no longer knows (chaos: vanish, then delete)', () => {
  it('StopTask of an unknown task counts as nothing left running', async () => {
    // ECS answers InvalidParameterException "The referenced task was not found."; before the fix
    // the adapter threw it, so the kubelet failed the record until its retries ran out.
    expect(await ecsPodRuntime.stopPod({ metadata: { uid: 'gone' } }, unknownTask, 'Pod deleted')).toBe(0);
  });

  it('the kubelet finishes the deletion at once instead of retrying and blocking the stream', async () => {
    await pods.createPod(storedPod('vanished-then-deleted'));
    const created = await pods.getPod('default', 'vanished-then-deleted', true);
    if (!created) throw new Error('not created');
    await createScheduler({ pods, nodes, events, profile: defaultProfile, now }).schedule(created);
    const bound = await pods.getPod('default', 'vanished-then-deleted', true);
    if (!bound) throw new Error('not bound');
    // Launched, its task then vanished; the user deletes the pod.
    const launched = await pods.updatePod(bound, bound.pod, { taskArn: unknownTask });
    const deleting = await pods.updatePod(launched, {
      ...launched.pod,
      metadata: { ...launched.pod.metadata, deletionTimestamp: now(), deletionGracePeriodSeconds: 30 },
    });
    expect(deleting.stage).toBe('stop');
    await syncPod(deleting, { pods, nodes, events, runtime: ecsPodRuntime, timers: fakeTimers(), now });
    expect(await pods.getPod('default', 'vanished-then-deleted', true)).toBeUndefined();
  });
});
