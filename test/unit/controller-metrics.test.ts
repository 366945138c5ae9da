import { describe, expect, it } from 'vitest';
import { handleApiRequest } from '../../functions/core/api/server';
import { syncPod } from '../../functions/core/controllers/kubelet';
import { applyTaskState } from '../../functions/core/controllers/pod-status';
import { createScheduler } from '../../functions/core/controllers/scheduler';
import type { TaskView } from '../../functions/core/ecs/types';
import type { Pod } from '../../functions/core/k8s';
import type { LaunchResult, PodRecord, PodRuntime } from '../../functions/core/ports';
import { defaultProfile } from '../../functions/core/scheduler/profile';
import { GiB, nodeObject, storedPod } from '../fixtures';
import { fakeStores, fakeTimers } from './fakes';
import { recordingMetrics } from './recording-metrics';

// Each controller reports to the PodMetrics port what it did to a pod: the dashboard and alarms
// are built on these names, so a controller that stops reporting must fail here.

const created = '2026-03-01T12:00:00Z';
const clock = (iso: string) => () => iso;
const secondsAfterCreation = (s: number) => new Date(Date.parse(created) + s * 1000).toISOString();

const pendingPod = (name: string, cpu = '500m'): Pod => {
  const pod = storedPod(name, { cpu });
  return { ...pod, metadata: { ...pod.metadata, creationTimestamp: created } };
};

async function withNode(cpuMillis = 4000) {
  const stores = fakeStores();
  await stores.nodes.putNode(nodeObject('n1'), { cpuMillis, memoryBytes: 8 * GiB, pods: 110 });
  return stores;
}

describe('the scheduler', () => {
  it('counts a binding and the time from creation to it', async () => {
    const stores = await withNode();
    const record = stores.pods.seed(pendingPod('web'));
    const metrics = recordingMetrics();
    const scheduler = createScheduler({
      ...stores,
      profile: defaultProfile,
      now: clock(secondsAfterCreation(3)),
      metrics: metrics.port,
    });
    await scheduler.schedule(record);
    expect(metrics.counts()).toEqual({ PodsScheduled: 1 });
    expect(metrics.samples('SchedulingLatency')).toEqual([3000]);
  });

  it('counts a pod no node fits as unschedulable, with no latency', async () => {
    const stores = await withNode(1000);
    const record = stores.pods.seed(pendingPod('huge', '2'));
    const metrics = recordingMetrics();
    const scheduler = createScheduler({
      ...stores,
      profile: defaultProfile,
      now: clock(secondsAfterCreation(1)),
      metrics: metrics.port,
    });
    await scheduler.schedule(record);
    expect(metrics.counts()).toEqual({ PodsUnschedulable: 1 });
    expect(metrics.samples('SchedulingLatency')).toEqual([]);
  });
});

const runtimeLaunching = (result: LaunchResult): PodRuntime => ({
  launchPod: async () => result,
  stopPod: async () => 0,
  describeTasks: async () => [],
  listRunningTasks: async () => [],
  listContainerInstances: async () => [],
});

async function boundPod(): Promise<{ stores: Awaited<ReturnType<typeof withNode>>; record: PodRecord }> {
  const stores = await withNode();
  const pod = pendingPod('web');
  const record = stores.pods.seed({
    ...pod,
    spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName: 'n1' },
  });
  return { stores, record };
}

describe('the kubelet', () => {
  it('counts a pod whose task it launched', async () => {
    const { stores, record } = await boundPod();
    const metrics = recordingMetrics();
    const runtime = runtimeLaunching({ kind: 'launched', taskArn: 'arn:aws:ecs:task/t1' });
    await syncPod(record, {
      ...stores,
      runtime,
      timers: fakeTimers(),
      now: clock(created),
      metrics: metrics.port,
    });
    expect(metrics.counts()).toEqual({ PodsLaunched: 1 });
  });

  it('counts a throttled RunTask, and no launch, when the record goes back for a retry', async () => {
    const { stores, record } = await boundPod();
    const metrics = recordingMetrics();
    const runtime = runtimeLaunching({ kind: 'retry', reason: 'RunTask throttled', throttled: true });
    await expect(
      syncPod(record, {
        ...stores,
        runtime,
        timers: fakeTimers(),
        now: clock(created),
        metrics: metrics.port,
      }),
    ).rejects.toThrow('RunTask throttled');
    expect(metrics.counts()).toEqual({ RunTaskThrottled: 1 });
  });

  it('does not call a retry for lack of capacity a throttle', async () => {
    const { stores, record } = await boundPod();
    const metrics = recordingMetrics();
    const runtime = runtimeLaunching({ kind: 'retry', reason: 'RunTask failed: RESOURCE:MEMORY' });
    await expect(
      syncPod(record, {
        ...stores,
        runtime,
        timers: fakeTimers(),
        now: clock(created),
        metrics: metrics.port,
      }),
    ).rejects.toThrow('RESOURCE:MEMORY');
    expect(metrics.counts()).toEqual({});
  });
});

describe('the status path', () => {
  const taskArn = 'arn:aws:ecs:us-east-1:000000000000:task/podplane/t1';
  const running = (uid: string, version: number, ip?: string): TaskView => ({
    taskArn,
    lastStatus: 'RUNNING',
    version,
    startedBy: uid,
    containers: [{ name: 'app', lastStatus: 'RUNNING', ...(ip ? { privateIpv4Address: ip } : {}) }],
  });

  it('reports the startup latency once, at the first Running, however often ECS repeats it', async () => {
    const { stores, record } = await boundPod();
    const launched = await stores.pods.updatePod(record, record.pod, { taskArn });
    const uid = launched.pod.metadata?.uid ?? '';
    const metrics = recordingMetrics();
    const deps = {
      ...stores,
      runtime: runtimeLaunching({ kind: 'retry', reason: '' }),
      timers: fakeTimers(),
      metrics: metrics.port,
    };
    await applyTaskState(running(uid, 1), { ...deps, now: clock(secondsAfterCreation(5)) });
    await applyTaskState(running(uid, 1), { ...deps, now: clock(secondsAfterCreation(6)) });
    // A later change to a running pod (here its IP) is written, but is not a startup.
    await applyTaskState(running(uid, 2, '10.0.0.7'), { ...deps, now: clock(secondsAfterCreation(7)) });
    expect((await stores.pods.getPod('default', 'web'))?.pod.status).toMatchObject({
      phase: 'Running',
      podIP: '10.0.0.7',
    });
    expect(metrics.samples('StartupLatency')).toEqual([5000]);
  });
});

describe('the apiserver', () => {
  const post = async (body: unknown) => {
    const stores = fakeStores();
    const metrics = recordingMetrics();
    const response = await handleApiRequest(
      {
        method: 'POST',
        path: '/api/v1/namespaces/default/pods',
        query: {},
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
      {
        ...stores,
        logs: { read: async () => ({ events: [] }) },
        now: () => new Date(created),
        sleep: async () => {},
        logError: () => undefined,
        metrics: metrics.port,
      },
    );
    return { status: response.statusCode, counts: metrics.counts() };
  };

  it('counts a pod it created', async () => {
    const pod = { metadata: { name: 'web' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } };
    expect(await post(pod)).toEqual({ status: 201, counts: { PodsCreated: 1 } });
  });

  it('counts nothing for a pod it refused', async () => {
    const pod = { metadata: { name: 'web' }, spec: { containers: [] } };
    expect(await post(pod)).toEqual({ status: 422, counts: {} });
  });
});
