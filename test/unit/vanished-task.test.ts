import { describe, expect, it } from 'vitest';
import { firePodTimer } from '../../functions/core/controllers/pod-timers';
import { reconcile } from '../../functions/core/controllers/reconcile';
import type { Node, Pod } from '../../functions/core/k8s';
import { containerInstanceArnAnnotation } from '../../functions/core/nodes/from-container-instance';
import type { PodRuntime } from '../../functions/core/ports';
import { storedPod } from '../fixtures';
import { fakeStores, fakeTimers } from './fakes';

// A pod's task that ECS no longer knows (it vanished while its instance lives, or ECS forgot it an
// hour after a stop nobody saw) is what Kubernetes calls a container it can no longer find:
// terminated, exit code 137, ContainerStatusUnknown — and the restart policy decides. Only a
// node that is gone fails its pods whatever their policy.

const now = '2026-11-27T10:05:00Z';
const instanceArn = 'arn:aws:ecs:us-east-1:000000000000:container-instance/podplane/abc';
const node: Node = {
  metadata: { name: 'node-1', annotations: { [containerInstanceArnAnnotation]: instanceArn } },
};

async function setup(
  restartPolicy: 'Always' | 'OnFailure' | 'Never',
  options: { deleting?: boolean; nodeGone?: boolean; restartDue?: number } = {},
) {
  const stores = fakeStores();
  const timers = fakeTimers();
  await stores.nodes.putNode(node, { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30, pods: 110 });
  const pod = storedPod('web');
  const running: Pod = {
    ...pod,
    metadata: { ...pod.metadata, ...(options.deleting ? { deletionTimestamp: now } : {}) },
    spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName: 'node-1', restartPolicy },
    status: {
      ...pod.status,
      phase: 'Running',
      containerStatuses: [
        {
          name: 'app',
          image: 'public.ecr.aws/nginx/nginx:1.27',
          imageID: '',
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: '2026-11-27T10:00:00Z' } },
        },
      ],
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
  stores.pods.seed(running, {
    taskArn: 'arn:task/gone',
    taskVersion: 4,
    ...(options.restartDue !== undefined ? { restartDue: options.restartDue } : {}),
  });
  const runtime: PodRuntime = {
    launchPod: async () => ({ kind: 'retry', reason: 'not in this test' }),
    stopPod: async () => 0,
    // ECS answers MISSING for the task: DescribeTasks returns nothing for it.
    describeTasks: async () => [],
    listRunningTasks: async () => [],
    listContainerInstances: async () =>
      options.nodeGone
        ? []
        : [
            {
              containerInstanceArn: instanceArn,
              ec2InstanceId: 'node-1',
              status: 'ACTIVE',
              agentConnected: true,
              registeredCpuUnits: 4096,
              registeredMemoryMiB: 8192,
              attributes: {},
            },
          ],
  };
  const deps = { ...stores, runtime, timers, now: () => now };
  const read = () => stores.pods.getPod('default', 'web');
  return { deps, timers, read, events: () => stores.events.listEvents('default') };
}

const lostContainer = {
  exitCode: 137,
  reason: 'ContainerStatusUnknown',
  message: 'The container could not be located when the pod was terminated',
  startedAt: '2026-11-27T10:00:00Z',
  finishedAt: now,
};

describe('a task ECS no longer knows, on a node that still exists', () => {
  it('restarts an Always pod after the usual back-off, the lost run kept as its last state', async () => {
    const { deps, timers, read, events } = await setup('Always');
    const report = await reconcile(deps);
    expect(report.lost).toBe(1);
    const waiting = await read();
    expect(waiting).toMatchObject({
      stage: 'backoff',
      taskGeneration: 1,
      backOff: { kind: 'crash', steps: 1 },
    });
    expect(waiting?.restartDue).toBe(Date.parse(now) + 10_000);
    expect(waiting?.pod.status?.phase).toBe('Running');
    expect(waiting?.pod.status?.containerStatuses?.[0]).toMatchObject({
      ready: false,
      restartCount: 1,
      lastState: { terminated: lostContainer },
      state: { waiting: { reason: 'CrashLoopBackOff' } },
    });
    expect(waiting?.pod.status?.reason).toBeUndefined();
    expect((await events()).map((e) => [e.type, e.reason])).toEqual(
      expect.arrayContaining([
        ['Warning', 'TaskLost'],
        ['Warning', 'BackOff'],
      ]),
    );

    // The back-off ends like any other: the kubelet launches the next generation.
    const [{ timer } = { timer: undefined }] = timers.scheduled;
    expect(timer).toMatchObject({ kind: 'restart', generation: 1 });
    if (!timer) throw new Error('no restart timer');
    expect(await firePodTimer(timer, deps)).toBe('restarted');
    expect(await read()).toMatchObject({ stage: 'launch', previousTaskArn: 'arn:task/gone' });
    // The next reconcile finds nothing lost.
    expect((await reconcile(deps)).lost).toBe(0);
  });

  it('restarts an OnFailure pod: exit code 137 is a failure', async () => {
    const { deps, read } = await setup('OnFailure');
    await reconcile(deps);
    expect((await read())?.stage).toBe('backoff');
  });

  it('fails a Never pod, its containers ContainerStatusUnknown with exit code 137', async () => {
    const { deps, read, events } = await setup('Never');
    await reconcile(deps);
    const failed = await read();
    expect(failed?.stage).toBe('done');
    expect(failed?.pod.status).toMatchObject({
      phase: 'Failed',
      containerStatuses: [{ ready: false, restartCount: 0, state: { terminated: lostContainer } }],
    });
    expect(failed?.pod.status?.reason).toBeUndefined();
    expect(failed?.pod.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'PodFailed',
    });
    expect((await events()).map((e) => e.reason)).toEqual(['TaskLost']);
  });

  it('removes a pod being deleted', async () => {
    const { deps, read } = await setup('Always', { deleting: true });
    await reconcile(deps);
    expect(await read()).toBeUndefined();
  });

  it('leaves alone a pod that already waits to restart', async () => {
    const { deps, read } = await setup('Always', { restartDue: Date.parse(now) + 5000 });
    const before = await read();
    expect((await reconcile(deps)).lost).toBe(0);
    expect((await read())?.resourceVersion).toBe(before?.resourceVersion);
  });
});

describe('a task ECS no longer knows, on a node that is gone', () => {
  it('fails the pod with NodeLost, whatever its restart policy', async () => {
    const { deps, read, events } = await setup('Always', { nodeGone: true });
    await reconcile(deps);
    const failed = await read();
    expect(failed?.pod.status).toMatchObject({
      phase: 'Failed',
      reason: 'NodeLost',
      message: 'node "node-1" no longer exists',
      containerStatuses: [{ state: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown' } } }],
    });
    expect((await events()).map((e) => e.reason)).toEqual(['NodeLost']);
  });
});
