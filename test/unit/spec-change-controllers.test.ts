import { describe, expect, it } from 'vitest';
import { syncPod } from '../../functions/core/controllers/kubelet';
import { applyTaskState } from '../../functions/core/controllers/pod-status';
import { firePodTimer } from '../../functions/core/controllers/pod-timers';
import { reconcile } from '../../functions/core/controllers/reconcile';
import { taskGroup } from '../../functions/core/ecs/task-definition';
import type { TaskView } from '../../functions/core/ecs/types';
import type { Pod } from '../../functions/core/k8s';
import type { PodRecord, PodRuntime } from '../../functions/core/ports';
import { fakeStores, fakeTimers, seedBoundPod } from './fakes';

const now = '2026-11-27T10:05:00Z';
const startedAt = '2026-11-27T10:00:00Z';
const oldImage = 'public.ecr.aws/nginx/nginx:1.27';
const newImage = 'public.ecr.aws/nginx/nginx:1.28';

/**
 * A pod running its first task (task-0), with the kubelet, status path and reconcile over the
 * in-memory stores; `launched` and `stopped` are what they asked of ECS.
 */
async function running(restartPolicy: 'Always' | 'Never' = 'Always', extra: Partial<Pod['spec']> = {}) {
  const stores = fakeStores();
  const timers = fakeTimers();
  const stopped: { taskArn?: string; reason: string }[] = [];
  const launched: { image?: string; generation: number }[] = [];
  const restarts: number[] = [];
  const runtime: PodRuntime = {
    launchPod: async (pod, _node, generation) => {
      launched.push({ image: pod.spec?.containers[0]?.image, generation });
      return { kind: 'launched', taskArn: `task-${generation}` };
    },
    stopPod: async (_pod, taskArn, reason) => {
      stopped.push({ ...(taskArn ? { taskArn } : {}), reason });
      return 1;
    },
    describeTasks: async () => [],
    listRunningTasks: async () => [],
    listContainerInstances: async () => [],
  };
  const bound = await seedBoundPod(stores, {
    spec: { restartPolicy, ...extra },
    record: { taskArn: 'task-0', specGeneration: 1 },
  });
  const deps = {
    pods: stores.pods,
    nodes: stores.nodes,
    events: stores.events,
    runtime,
    timers,
    metrics: {
      count: (name: string, n = 1) => name === 'PodRestarts' && restarts.push(n),
      latency: () => {},
    },
    now: () => now,
  };
  const uid = bound.pod.metadata?.uid ?? '';
  const read = async (): Promise<PodRecord> => {
    const record = await stores.pods.getPod('default', 'web');
    if (!record) throw new Error('pod gone');
    return record;
  };
  /** What the apiserver writes for `kubectl set image pod/web app=<image>`. */
  const setImage = async (image: string) => {
    const record = await read();
    const [app, ...rest] = record.pod.spec?.containers ?? [];
    return stores.pods.updatePod(record, {
      ...record.pod,
      metadata: { ...record.pod.metadata, generation: (record.pod.metadata?.generation ?? 1) + 1 },
      spec: { ...record.pod.spec, containers: [{ ...app, name: 'app', image }, ...rest] },
    });
  };
  const events = async () =>
    (await stores.events.listEvents('default'))
      .sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)))
      .map((e) => `${e.reason}: ${e.message}`);
  await applyTaskState(task(uid, 0, { version: 2 }), deps);
  return { stores, timers, stopped, launched, restarts, deps, uid, read, setImage, events };
}

const task = (uid: string, generation: number, extra: Partial<TaskView> = {}): TaskView => ({
  taskArn: `task-${generation}`,
  startedBy: uid,
  group: taskGroup(generation),
  lastStatus: 'RUNNING',
  startedAt,
  containers: [{ name: 'app', lastStatus: 'RUNNING' }],
  ...extra,
});

/** The task once ECS has carried out the kubelet's StopTask (the simulator's SIGTERM exits 0). */
const stoppedForImage = (uid: string, generation: number, version = 5) =>
  task(uid, generation, {
    lastStatus: 'STOPPED',
    version,
    stopCode: 'UserInitiated',
    stoppedReason: 'Container app definition changed, will be restarted',
    stoppedAt: '2026-11-27T10:04:59Z',
    containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode: 0 }],
  });

describe('a new image for a running pod', () => {
  it('stops the task once, starts the next generation from the new spec at once, and counts one restart', async () => {
    const { deps, stopped, launched, restarts, timers, uid, read, setImage, events } = await running();
    const changed = await setImage(newImage);
    expect(changed.stage).toBe('replace');

    await syncPod(changed, deps);
    expect(stopped).toEqual([
      { taskArn: 'task-0', reason: 'Container app definition changed, will be restarted' },
    ]);
    const stopping = await read();
    expect(stopping).toMatchObject({ stage: 'run', specGeneration: 2, taskArn: 'task-0' });
    // Until the new task runs, the pod shows the image its task runs.
    expect(stopping.pod.status?.containerStatuses?.[0]?.image).toBe(oldImage);

    expect(await applyTaskState(stoppedForImage(uid, 0), deps)).toBe('restarting');
    const relaunching = await read();
    expect(relaunching).toMatchObject({ stage: 'launch', taskGeneration: 1, previousTaskArn: 'task-0' });
    expect(relaunching.restartDue).toBeUndefined();
    expect(relaunching.pod.status).toMatchObject({ phase: 'Running' });
    expect(relaunching.pod.status?.reason).toBeUndefined();
    expect(relaunching.pod.status?.containerStatuses?.[0]).toMatchObject({
      restartCount: 1,
      lastState: { terminated: { exitCode: 0, reason: 'Completed', startedAt } },
      state: { waiting: { reason: 'ContainerCreating' } },
    });
    // Not a crash: no back-off, no timer, no BackOff event.
    expect(timers.scheduled).toEqual([]);
    expect(restarts).toEqual([1]);

    await syncPod(relaunching, deps);
    expect(launched).toEqual([{ image: newImage, generation: 1 }]);
    expect(await read()).toMatchObject({ stage: 'run', taskArn: 'task-1', specGeneration: 2 });
    await applyTaskState(task(uid, 1, { version: 2 }), deps);
    const runningAgain = await read();
    expect(runningAgain.pod.status?.phase).toBe('Running');
    expect(runningAgain.pod.status?.containerStatuses?.[0]).toMatchObject({
      image: newImage,
      restartCount: 1,
      ready: true,
      state: { running: { startedAt } },
      lastState: { terminated: { exitCode: 0 } },
    });
    const seen = await events();
    expect(seen.filter((e) => !e.startsWith('Pulled') && !e.startsWith('Created'))).toEqual([
      'Started: Started container app',
      'Killing: Container app definition changed, will be restarted',
      `Pulling: Pulling image "${newImage}"`,
      'Started: Started container app',
    ]);
    expect(seen.some((e) => e.startsWith('BackOff'))).toBe(false);
  });

  it('does nothing more for repeated, late and reordered records and events', async () => {
    const { deps, stopped, launched, uid, read, setImage } = await running();
    const changed = await setImage(newImage);
    await syncPod(changed, deps);
    // The same record again, before and after the task stopped.
    await syncPod(changed, deps);
    await applyTaskState(stoppedForImage(uid, 0), deps);
    await syncPod(changed, deps);
    const relaunching = await read();
    await syncPod(relaunching, deps);
    await syncPod(relaunching, deps);
    // The replaced task's events again, late: its generation is over.
    expect(await applyTaskState(stoppedForImage(uid, 0, 6), deps)).toBe('stale');
    expect(await applyTaskState(task(uid, 0, { version: 3 }), deps)).toBe('stale');
    await applyTaskState(task(uid, 1, { version: 2 }), deps);
    const settled = await read();
    await syncPod(changed, deps);
    await syncPod(relaunching, deps);
    expect(stopped).toHaveLength(1);
    // Every repeat of the launch record asks RunTask for generation 1 again: its client token
    // gives back the one task.
    expect(new Set(launched.map((l) => `${l.image} ${l.generation}`))).toEqual(new Set([`${newImage} 1`]));
    expect((await read()).taskArn).toBe('task-1');
    const after = await read();
    expect(after.resourceVersion).toBe(settled.resourceVersion);
    expect(after.pod.status?.containerStatuses?.[0]?.restartCount).toBe(1);
  });

  it('keeps showing the old image while the old task still reports, and still replaces it', async () => {
    const { deps, stopped, uid, read, setImage } = await running();
    const changed = await setImage(newImage);
    // A health report of the old task lands before the kubelet has acted.
    await applyTaskState(
      task(uid, 0, {
        version: 3,
        containers: [{ name: 'app', lastStatus: 'RUNNING', healthStatus: 'HEALTHY' }],
      }),
      deps,
    );
    expect((await read()).pod.status?.containerStatuses?.[0]?.image).toBe(oldImage);
    await syncPod(changed, deps);
    expect(stopped).toHaveLength(1);
  });

  it('restarts a pod whose restartPolicy is Never too', async () => {
    const { deps, stopped, launched, uid, read, setImage } = await running('Never');
    await syncPod(await setImage(newImage), deps);
    expect(stopped).toHaveLength(1);
    expect(await applyTaskState(stoppedForImage(uid, 0), deps)).toBe('restarting');
    await syncPod(await read(), deps);
    expect(launched).toEqual([{ image: newImage, generation: 1 }]);
    expect((await read()).pod.status?.phase).toBe('Running');
  });

  it('is found by the reconcile when the STOPPED event is lost', async () => {
    const { deps, stores, launched, uid, read, setImage } = await running();
    await syncPod(await setImage(newImage), deps);
    const described = stoppedForImage(uid, 0);
    const report = await reconcile({
      ...deps,
      nodes: stores.nodes,
      runtime: { ...deps.runtime, describeTasks: async () => [described] },
    });
    expect(report.repaired).toBe(1);
    expect((await read()).stage).toBe('launch');
    await syncPod(await read(), deps);
    expect(launched).toEqual([{ image: newImage, generation: 1 }]);
  });
});

describe('other spec changes', () => {
  it('a lowered activeDeadlineSeconds restarts nothing and gets a timer for what is left of it', async () => {
    const { deps, stores, stopped, timers, read } = await running('Always', { activeDeadlineSeconds: 3600 });
    const record = await read();
    expect(record.pod.status?.startTime).toBeDefined();
    const changed = await stores.pods.updatePod(record, {
      ...record.pod,
      metadata: { ...record.pod.metadata, generation: 2 },
      spec: { ...record.pod.spec, containers: record.pod.spec?.containers ?? [], activeDeadlineSeconds: 600 },
    });
    expect(changed.stage).toBe('replace');
    await syncPod(changed, deps);
    await syncPod(changed, deps);
    expect(stopped).toEqual([]);
    expect(await read()).toMatchObject({ stage: 'run', specGeneration: 2 });
    const spent = (Date.parse(now) - Date.parse(record.pod.status?.startTime ?? now)) / 1000;
    expect(timers.scheduled).toEqual([
      {
        timer: {
          kind: 'deadline',
          namespace: 'default',
          name: 'web',
          uid: record.pod.metadata?.uid,
          generation: 0,
          remainingSeconds: 0,
        },
        delaySeconds: 600 - spent,
      },
    ]);
  });

  it('a deadline lowered below the time already spent fires at once', async () => {
    const { deps, stores, timers, read } = await running();
    const record = await read();
    const startTime = new Date(Date.parse(now) - 120_000).toISOString();
    const changed = await stores.pods.updatePod(record, {
      ...record.pod,
      metadata: { ...record.pod.metadata, generation: 2 },
      spec: { ...record.pod.spec, containers: record.pod.spec?.containers ?? [], activeDeadlineSeconds: 60 },
      status: { ...record.pod.status, startTime },
    });
    await syncPod(changed, deps);
    expect(timers.scheduled.map((s) => [s.timer.kind, s.delaySeconds])).toEqual([['deadline', 0]]);
    const [deadline] = timers.scheduled.map((s) => s.timer);
    expect(await firePodTimer(deadline ?? never(), deps)).toBe('expired');
    expect((await read()).pod.status?.reason).toBe('DeadlineExceeded');
  });
});

describe('a new image for a pod that is not running', () => {
  it('ends a crash back-off at once and launches the new image', async () => {
    const { deps, launched, uid, read, setImage } = await running();
    const crashed = task(uid, 0, {
      lastStatus: 'STOPPED',
      version: 5,
      stopCode: 'EssentialContainerExited',
      stoppedAt: '2026-11-27T10:01:00Z',
      containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode: 1 }],
    });
    expect(await applyTaskState(crashed, deps)).toBe('restarting');
    expect((await read()).stage).toBe('backoff');
    const changed = await setImage(newImage);
    expect(changed.stage).toBe('replace');
    await syncPod(changed, deps);
    const launching = await read();
    expect(launching).toMatchObject({
      stage: 'launch',
      taskGeneration: 1,
      backOff: { kind: 'crash', steps: 0 },
    });
    expect(launching.restartDue).toBeUndefined();
    await syncPod(launching, deps);
    expect(launched).toEqual([{ image: newImage, generation: 1 }]);
    // The back-off's own timer, when it comes, finds nothing to do.
    const [restart] = deps.timers.scheduled.map((s) => s.timer).filter((t) => t.kind === 'restart');
    expect(await firePodTimer(restart ?? never(), deps)).toBe('stale');
  });

  it('launches a pod not yet launched with the new image', async () => {
    const stores = fakeStores();
    const launched: (string | undefined)[] = [];
    const record = await seedBoundPod(stores);
    const changed = await stores.pods.updatePod(record, {
      ...record.pod,
      metadata: { ...record.pod.metadata, generation: 2 },
      spec: { ...record.pod.spec, containers: [{ name: 'app', image: newImage }] },
    });
    expect(changed.stage).toBe('launch');
    await syncPod(changed, {
      pods: stores.pods,
      nodes: stores.nodes,
      events: stores.events,
      timers: fakeTimers(),
      now: () => now,
      runtime: {
        launchPod: async (launching) => {
          launched.push(launching.spec?.containers[0]?.image);
          return { kind: 'launched', taskArn: 'task-0' };
        },
        stopPod: async () => 0,
        describeTasks: async () => [],
        listRunningTasks: async () => [],
        listContainerInstances: async () => [],
      },
    });
    expect(launched).toEqual([newImage]);
    expect(await stores.pods.getPod('default', 'web')).toMatchObject({ stage: 'run', specGeneration: 2 });
  });

  it('restarts nothing once the pod has finished', async () => {
    const { deps, stores, stopped, read, setImage } = await running();
    const record = await read();
    await stores.pods.finishPod(record, {
      ...record.pod,
      status: { ...record.pod.status, phase: 'Succeeded' },
    });
    const changed = await setImage(newImage);
    expect(changed.stage).toBe('done');
    await syncPod(changed, deps);
    expect(stopped).toEqual([]);
  });
});

describe('the spec a launched task runs', () => {
  async function launching() {
    const stores = fakeStores();
    const stopped: string[] = [];
    const record = await seedBoundPod(stores);
    const deps = {
      pods: stores.pods,
      nodes: stores.nodes,
      events: stores.events,
      timers: fakeTimers(),
      now: () => now,
      // One client token per generation: whatever spec a record carries, one task.
      runtime: {
        launchPod: async () => ({ kind: 'launched' as const, taskArn: 'task-0' }),
        stopPod: async (_pod: Pod, taskArn: string | undefined) => {
          stopped.push(taskArn ?? '');
          return 1;
        },
        describeTasks: async () => [],
        listRunningTasks: async () => [],
        listContainerInstances: async () => [],
      },
    };
    const read = async () => (await stores.pods.getPod('default', 'web')) ?? never();
    return { stores, deps, record, stopped, read, uid: record.pod.metadata?.uid ?? '' };
  }

  it('is recorded by the kubelet even when the first event of the task got there first', async () => {
    const { deps, record, read, uid } = await launching();
    await applyTaskState(task(uid, 0, { version: 2 }), deps);
    expect((await read()).specGeneration).toBeUndefined();
    await syncPod(record, deps);
    expect(await read()).toMatchObject({ stage: 'run', taskArn: 'task-0', specGeneration: 1 });
  });

  it('is taken to be the older of two specs that launched the same generation', async () => {
    const { stores, deps, record, stopped, read } = await launching();
    const newer = await stores.pods.updatePod(record, {
      ...record.pod,
      metadata: { ...record.pod.metadata, generation: 2 },
      spec: { ...record.pod.spec, containers: [{ name: 'app', image: newImage }] },
    });
    // The newer record writes first; the older one's RunTask may have made the task.
    await syncPod(newer, deps);
    expect(await read()).toMatchObject({ stage: 'run', specGeneration: 2 });
    await syncPod(record, deps);
    const suspect = await read();
    expect(suspect).toMatchObject({ stage: 'replace', specGeneration: 1 });
    expect(suspect.pod.status?.containerStatuses?.[0]?.image).toBe(oldImage);
    await syncPod(suspect, deps);
    expect(stopped).toEqual(['task-0']);
  });
});

function never(): never {
  throw new Error('missing timer');
}
