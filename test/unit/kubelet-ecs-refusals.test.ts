import { describe, expect, it } from 'vitest';
import { syncPod } from '../../functions/core/controllers/kubelet';
import { firePodTimer } from '../../functions/core/controllers/pod-timers';
import { createScheduler } from '../../functions/core/controllers/scheduler';
import { taskReservation } from '../../functions/core/ecs/reservation';
import type { LaunchResult, PodRuntime } from '../../functions/core/ports';
import { createProfile } from '../../functions/core/scheduler/profile';
import { storedPod } from '../fixtures';
import { fakeStores, fakeTimers } from './fakes';

// What ECS refuses must never leave a pod Pending with no reason. A refusal of the request itself
// (ClientException, InvalidParameterException) fails the pod: no retry can succeed. No room on
// the node (RunTask failures[] with RESOURCE:*) takes the pod off the node with its capacity
// given back, says why as the scheduler would, and schedules it again after a back-off.

const now = '2026-11-30T09:00:00Z';
const node = { metadata: { name: 'i-0000000000000001' } };

async function boundPod(answer: LaunchResult) {
  const stores = fakeStores();
  await stores.nodes.putNode(node, { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30, pods: 20 });
  const runtime: PodRuntime = {
    launchPod: async () => answer,
    stopPod: async () => 0,
    describeTasks: async () => [],
    listRunningTasks: async () => [],
    listContainerInstances: async () => [],
  };
  const timers = fakeTimers();
  const deps = { ...stores, runtime, timers, profile: createProfile({}), now: () => now };
  stores.pods.seed(storedPod('web'));
  const created = await stores.pods.getPod('default', 'web');
  if (!created) throw new Error('not seeded');
  await createScheduler(deps).schedule(created);
  const bound = await stores.pods.getPod('default', 'web');
  if (!bound?.pod.spec?.nodeName) throw new Error('not bound');
  return { stores, deps, timers, bound };
}

const reasons = async (stores: ReturnType<typeof fakeStores>) =>
  (await stores.events.listEvents('default')).map((e) => `${e.type} ${e.reason}: ${e.message}`);

describe('the kubelet, when ECS refuses a pod', () => {
  it("fails the pod with ECS's reason when the request itself is refused, and gives the node back", async () => {
    const refusal = 'RegisterTaskDefinition: ClientException: Fargate requires that cpu be defined';
    const { stores, deps, bound } = await boundPod({ kind: 'refused', reason: refusal });
    expect(stores.nodes.nodeInfo(node.metadata.name)?.requested.pods).toBe(1);
    await syncPod(bound, deps);
    const failed = await stores.pods.getPod('default', 'web');
    expect(failed?.pod.status).toMatchObject({
      phase: 'Failed',
      reason: 'ECSRefused',
      message: `ECS refused to run this pod: ${refusal}`,
    });
    expect(stores.nodes.nodeInfo(node.metadata.name)?.requested).toEqual({
      cpuMillis: 0,
      memoryBytes: 0,
      pods: 0,
    });
    expect(await reasons(stores)).toContain(`Warning ECSRefused: ECS refused to run this pod: ${refusal}`);
  });

  it('takes the pod off its node when ECS has no room there, and schedules it again after a back-off', async () => {
    const { stores, deps, timers, bound } = await boundPod({
      kind: 'unplaceable',
      reason: 'RESOURCE:MEMORY',
    });
    await syncPod(bound, deps);
    const waiting = await stores.pods.getPod('default', 'web');
    expect(waiting?.pod.spec?.nodeName).toBeUndefined();
    expect(waiting?.stage).toBe('unschedulable');
    expect(waiting?.taskGeneration).toBe(1);
    const scheduled = waiting?.pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    expect(scheduled).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message: `0/1 nodes are available: ECS could not place the pod's task on node ${node.metadata.name}: RESOURCE:MEMORY`,
    });
    expect(stores.nodes.nodeInfo(node.metadata.name)?.requested.pods).toBe(0);
    expect((await reasons(stores)).some((r) => r.startsWith('Warning FailedScheduling: 0/1 nodes'))).toBe(
      true,
    );
    expect(timers.scheduled).toEqual([
      {
        timer: expect.objectContaining({ kind: 'requeue', name: 'web', generation: 1 }),
        delaySeconds: 10,
      },
    ]);
    // The back-off ends: the pod goes back to the scheduler, which binds it again.
    const [requeue] = timers.scheduled;
    if (!requeue) throw new Error('no timer');
    expect(await firePodTimer(requeue.timer, deps)).toBe('rescheduled');
    const requeued = await stores.pods.getPod('default', 'web');
    expect(requeued?.stage).toBe('schedule');
    if (!requeued) throw new Error('gone');
    await createScheduler(deps).schedule(requeued);
    expect((await stores.pods.getPod('default', 'web'))?.pod.spec?.nodeName).toBe(node.metadata.name);
  });

  it('doubles the back-off when ECS has no room again', async () => {
    const { stores, deps, timers, bound } = await boundPod({ kind: 'unplaceable', reason: 'RESOURCE:CPU' });
    await syncPod(bound, deps);
    const [first] = timers.scheduled;
    if (!first) throw new Error('no timer');
    await firePodTimer(first.timer, deps);
    const requeued = await stores.pods.getPod('default', 'web');
    if (!requeued) throw new Error('gone');
    await createScheduler(deps).schedule(requeued);
    const rebound = await stores.pods.getPod('default', 'web');
    if (!rebound) throw new Error('gone');
    await syncPod(rebound, deps);
    expect(timers.scheduled.map((t) => t.delaySeconds)).toEqual([10, 20]);
  });

  it('ignores a stale record: a pod that already has its task is not unbound', async () => {
    const { stores, deps, bound } = await boundPod({ kind: 'unplaceable', reason: 'RESOURCE:PORTS' });
    const current = await stores.pods.getPod('default', 'web');
    if (!current) throw new Error('gone');
    await stores.pods.updatePod(current, current.pod, {
      taskArn: 'arn:aws:ecs:us-east-1:1:task/podplane/t1',
    });
    await syncPod(bound, deps);
    expect((await stores.pods.getPod('default', 'web'))?.pod.spec?.nodeName).toBe(node.metadata.name);
  });
});

describe('what the scheduler counts for a pod', () => {
  it('is what ECS reserves: 128 MiB for a container that states no memory', () => {
    expect(taskReservation(storedPod('web'))).toEqual({ cpuMillis: 0, memoryBytes: 128 * 2 ** 20 });
  });

  it('counts init containers beside the app containers, as ECS sums every container of the task', () => {
    const pod = storedPod('web', { cpu: '250m', memory: '512Mi' });
    const withInit = {
      ...pod,
      spec: {
        ...pod.spec,
        containers: pod.spec?.containers ?? [],
        initContainers: [
          { name: 'init', image: 'busybox', resources: { requests: { cpu: '250m', memory: '256Mi' } } },
        ],
      },
    };
    // 250m is 256 CPU units each: 512 units, which is 500 millicores.
    expect(taskReservation(withInit)).toEqual({ cpuMillis: 500, memoryBytes: 768 * 2 ** 20 });
  });
});
