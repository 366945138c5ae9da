import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoEventStore } from '../../functions/adapters/dynamodb/event-store';
import { dynamoNodeStore } from '../../functions/adapters/dynamodb/node-store';
import { dynamoPodStore } from '../../functions/adapters/dynamodb/pod-store';
import { ecsPodRuntime } from '../../functions/adapters/ecs/runtime';
import { syncPod } from '../../functions/core/controllers/kubelet';
import { syncNodes } from '../../functions/core/controllers/node-sync';
import { applyTaskState } from '../../functions/core/controllers/pod-status';
import { reconcile } from '../../functions/core/controllers/reconcile';
import { createScheduler } from '../../functions/core/controllers/scheduler';
import { taskViewFromEvent } from '../../functions/core/ecs/events';
import type { PodRecord } from '../../functions/core/ports';
import { defaultProfile } from '../../functions/core/scheduler/profile';
import {
  type EcsSimulator,
  type EcsTaskStateChangeEvent,
  startEcsSimulator,
} from '../../local/ecs-simulator';
import { sleep } from '../../local/processes';
import { storedPod } from '../fixtures';
import { fakeTimers } from '../unit/fakes';
import { useFreshTable } from './support';

const pods = dynamoPodStore;
const nodes = dynamoNodeStore;
const now = () => new Date().toISOString();
let ecs: EcsSimulator;
const taskEvents: EcsTaskStateChangeEvent[] = [];
const events = dynamoEventStore;
const timers = fakeTimers();

beforeAll(async () => {
  await useFreshTable();
  ecs = await startEcsSimulator({
    clusterName: 'podplane-test',
    nodes: 2,
    nodeCpu: 2,
    nodeMemoryMiB: 4096,
    onTaskStateChange: (event) => taskEvents.push(event),
  });
  process.env.AWS_ENDPOINT_URL_ECS = ecs.endpoint;
  expect(await syncNodes({ runtime: ecsPodRuntime, nodes, now })).toBe(2);
});

afterAll(async () => {
  await ecs?.stop();
});

async function read(name: string): Promise<PodRecord> {
  const record = await pods.getPod('default', name, true);
  if (!record) throw new Error(`pod ${name} not found`);
  return record;
}

const schedule = (record: PodRecord) =>
  createScheduler({ pods, nodes, events, profile: defaultProfile, now }).schedule(record);
const kubelet = (record: PodRecord) =>
  syncPod(record, { pods, nodes, events, runtime: ecsPodRuntime, timers, now });

/** Delivers the simulator's events for one task to the status controller, in the given order. */
async function deliver(
  taskArn: string,
  order: (list: EcsTaskStateChangeEvent[]) => EcsTaskStateChangeEvent[] = (l) => l,
) {
  const forTask = taskEvents.filter((e) => e.detail.taskArn === taskArn);
  for (const event of order(forTask))
    await applyTaskState(taskViewFromEvent(event.detail), {
      pods,
      events,
      runtime: ecsPodRuntime,
      timers,
      now,
    });
}

async function waitForEvent(taskArn: string, lastStatus: string) {
  for (let i = 0; i < 200; i++) {
    if (taskEvents.some((e) => e.detail.taskArn === taskArn && e.detail.lastStatus === lastStatus)) return;
    await sleep(10);
  }
  throw new Error(`no ${lastStatus} event for ${taskArn}`);
}

describe('scheduler, kubelet and status against DynamoDB Local and the ECS simulator', () => {
  it('takes a pod from Pending to Running, and a repeated record launches nothing twice', async () => {
    await pods.createPod(storedPod('web', { cpu: '500m', memory: '256Mi' }));
    const created = await read('web');
    await schedule(created);
    await schedule(created); // the same stream record, delivered again
    const bound = await read('web');
    expect(bound.pod.spec?.nodeName).toMatch(/^i-/);

    await kubelet(bound);
    await kubelet(bound); // delivered again: RunTask's client token returns the same task
    const launched = await read('web');
    expect(launched.taskArn).toBeDefined();
    expect(ecs.stats().tasks).toBe(1);
    expect(launched.pod.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ContainerCreating');

    await waitForEvent(launched.taskArn ?? '', 'RUNNING');
    await deliver(launched.taskArn ?? '');
    const running = await read('web');
    expect(running.pod.status?.phase).toBe('Running');
    expect(running.pod.status?.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(running.pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const reasons = (await events.listEvents('default'))
      .filter((e) => e.involvedObject.uid === running.pod.metadata?.uid)
      .map((e) => `${e.source?.component} ${e.reason}: ${e.message}`)
      .sort();
    expect(reasons).toEqual([
      `default-scheduler Scheduled: Successfully assigned default/web to ${bound.pod.spec?.nodeName}`,
      'kubelet Created: Created container app',
      'kubelet Pulled: Successfully pulled image "public.ecr.aws/nginx/nginx:1.27"',
      'kubelet Pulling: Pulling image "public.ecr.aws/nginx/nginx:1.27"',
      'kubelet Started: Started container app',
    ]);
  });

  it('ignores events that arrive late, twice, or out of order', async () => {
    await pods.createPod(storedPod('shuffled'));
    await schedule(await read('shuffled'));
    await kubelet(await read('shuffled'));
    const { taskArn } = await read('shuffled');
    await waitForEvent(taskArn ?? '', 'RUNNING');
    await deliver(taskArn ?? '', (list) => [...list].reverse());
    await deliver(taskArn ?? '', (list) => [...list, ...list]);
    const pod = (await read('shuffled')).pod;
    expect(pod.status?.phase).toBe('Running');
    expect(pod.status?.containerStatuses?.[0]?.state?.running).toBeDefined();
  });

  it('stops a deleted pod’s task, then removes the pod and frees its node', async () => {
    await pods.createPod(storedPod('doomed', { cpu: '1' }));
    await schedule(await read('doomed'));
    await kubelet(await read('doomed'));
    const running = await read('doomed');
    const node = running.pod.spec?.nodeName;
    await waitForEvent(running.taskArn ?? '', 'RUNNING');
    await deliver(running.taskArn ?? '');
    const usedBefore =
      (await nodes.listNodes()).find((n) => n.node.metadata?.name === node)?.requested.cpuMillis ?? 0;

    const current = await read('doomed');
    const deleting = await pods.updatePod(current, {
      ...current.pod,
      metadata: { ...current.pod.metadata, deletionTimestamp: now(), deletionGracePeriodSeconds: 30 },
    });
    await kubelet(deleting);
    await waitForEvent(running.taskArn ?? '', 'STOPPED');
    await deliver(running.taskArn ?? '');

    expect(await pods.getPod('default', 'doomed', true)).toBeUndefined();
    const usedAfter =
      (await nodes.listNodes()).find((n) => n.node.metadata?.name === node)?.requested.cpuMillis ?? 0;
    expect(usedBefore - usedAfter).toBe(1000);
  });

  it('marks a pod that fits nowhere Unschedulable, in Kubernetes words', async () => {
    await pods.createPod(storedPod('huge', { cpu: '16' }));
    await schedule(await read('huge'));
    const pod = (await read('huge')).pod;
    expect(pod.spec?.nodeName).toBeUndefined();
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    expect(scheduled).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message: '0/2 nodes are available: 2 Insufficient cpu.',
    });
    const failed = (await events.listEvents('default')).filter((e) => e.involvedObject.name === 'huge');
    expect(failed.map((e) => [e.type, e.reason, e.message])).toEqual([
      ['Warning', 'FailedScheduling', '0/2 nodes are available: 2 Insufficient cpu.'],
    ]);
  });

  it('shows an image pull failure as ErrImagePull', async () => {
    await pods.createPod(
      storedPod('bad-image', { annotations: { 'sim.podplane.dev/image-pull-error': 'true' } }),
    );
    await schedule(await read('bad-image'));
    await kubelet(await read('bad-image'));
    const { taskArn } = await read('bad-image');
    await waitForEvent(taskArn ?? '', 'STOPPED');
    await deliver(taskArn ?? '');
    const status = (await read('bad-image')).pod.status;
    expect(status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ErrImagePull');
  });

  it('reconcile repairs a pod whose task events were lost', async () => {
    await pods.createPod(storedPod('no-events'));
    await schedule(await read('no-events'));
    await kubelet(await read('no-events'));
    const { taskArn } = await read('no-events');
    await waitForEvent(taskArn ?? '', 'RUNNING');
    expect((await read('no-events')).pod.status?.phase).toBe('Pending');
    const report = await reconcile({ pods, nodes, events, runtime: ecsPodRuntime, timers, now });
    expect(report.repaired).toBeGreaterThanOrEqual(1);
    expect((await read('no-events')).pod.status?.phase).toBe('Running');
  });

  /** Binds the pod and points it at a task ECS does not know; the node's CPU in use before. */
  async function boundToVanishedTask(
    name: string,
  ): Promise<{ node: string | undefined; usedBefore: number }> {
    await schedule(await read(name));
    const bound = await read(name);
    const node = bound.pod.spec?.nodeName;
    const gone = 'arn:aws:ecs:us-east-1:000000000000:task/podplane-test/00000000000000000000000000000000';
    await pods.updatePod(bound, bound.pod, { taskArn: gone });
    return { node, usedBefore: await cpuInUse(node) };
  }
  const cpuInUse = async (node: string | undefined) =>
    (await nodes.listNodes()).find((n) => n.node.metadata?.name === node)?.requested.cpuMillis ?? 0;

  it('reconcile restarts an Always pod whose task ECS no longer knows, and it keeps its node', async () => {
    await pods.createPod(storedPod('vanished', { cpu: '250m' }));
    const { node, usedBefore } = await boundToVanishedTask('vanished');
    const report = await reconcile({ pods, nodes, events, runtime: ecsPodRuntime, timers, now });
    expect(report.lost).toBe(1);
    const waiting = await read('vanished');
    expect(waiting.stage).toBe('backoff');
    expect(waiting.pod.status?.containerStatuses?.[0]).toMatchObject({
      restartCount: 1,
      lastState: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown' } },
      state: { waiting: { reason: 'CrashLoopBackOff' } },
    });
    expect(await cpuInUse(node)).toBe(usedBefore);
  });

  it('reconcile fails a Never pod whose task ECS no longer knows, and frees its node', async () => {
    const pod = storedPod('vanished-never', { cpu: '250m' });
    await pods.createPod({
      ...pod,
      spec: { ...pod.spec, containers: pod.spec?.containers ?? [], restartPolicy: 'Never' },
    });
    const { node, usedBefore } = await boundToVanishedTask('vanished-never');
    await reconcile({ pods, nodes, events, runtime: ecsPodRuntime, timers, now });
    const failed = (await read('vanished-never')).pod;
    expect(failed.status?.phase).toBe('Failed');
    expect(failed.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 137,
      reason: 'ContainerStatusUnknown',
    });
    expect(usedBefore - (await cpuInUse(node))).toBe(250);
  });

  it('reconcile stops a task whose pod is gone', async () => {
    const ghost = storedPod('ghost');
    const node = (await nodes.listNodes())[0]?.node;
    if (!node) throw new Error('no node');
    const launched = await ecsPodRuntime.launchPod(ghost, node, 0);
    if (launched.kind !== 'launched') throw new Error(launched.reason);
    await waitForEvent(launched.taskArn, 'RUNNING');
    const report = await reconcile({ pods, nodes, events, runtime: ecsPodRuntime, timers, now });
    expect(report.orphans).toBe(1);
    await waitForEvent(launched.taskArn, 'STOPPED');
  });

  it('says so in an event when a grace period exceeds ECS’s 120 s stopTimeout', async () => {
    const patient = storedPod('patient');
    await pods.createPod({
      ...patient,
      spec: {
        ...patient.spec,
        containers: patient.spec?.containers ?? [],
        terminationGracePeriodSeconds: 300,
      },
    });
    await schedule(await read('patient'));
    await kubelet(await read('patient'));
    const warnings = (await events.listEvents('default')).filter(
      (e) => e.involvedObject.name === 'patient' && e.type === 'Warning',
    );
    expect(warnings.map((e) => [e.reason, e.message])).toEqual([
      [
        'GracePeriodClamped',
        "terminationGracePeriodSeconds 300 exceeds ECS's longest stopTimeout; containers get 120s to stop",
      ],
    ]);
  });
});
