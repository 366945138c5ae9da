import { describe, expect, it } from 'vitest';
import { syncPod } from '../../functions/core/controllers/kubelet';
import { applyTaskState } from '../../functions/core/controllers/pod-status';
import { firePodTimer } from '../../functions/core/controllers/pod-timers';
import { reconcile } from '../../functions/core/controllers/reconcile';
import { taskGroup } from '../../functions/core/ecs/task-definition';
import type { TaskView } from '../../functions/core/ecs/types';
import type { Pod } from '../../functions/core/k8s';
import type { PodRecord, PodRuntime } from '../../functions/core/ports';
import { storedPod } from '../fixtures';
import { fakeStores, fakeTimers } from './fakes';

const now = '2026-11-27T10:05:00Z';

function setup(pod: Pod = storedPod('web')) {
  const stores = fakeStores();
  const timers = fakeTimers();
  const stopped: { taskArn?: string; reason: string }[] = [];
  const described: TaskView[] = [];
  const runtime: PodRuntime = {
    launchPod: async () => ({ kind: 'launched', taskArn: 'unused' }),
    stopPod: async (_pod, taskArn, reason) => {
      stopped.push({ ...(taskArn ? { taskArn } : {}), reason });
      return 1;
    },
    describeTasks: async (arns) => described.filter((t) => arns.includes(t.taskArn)),
    listRunningTasks: async () => [],
    listContainerInstances: async () => [],
  };
  const bound: Pod = {
    ...pod,
    spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName: 'node-1' },
  };
  stores.pods.seed(bound, { taskArn: 'task-0' });
  const restarts: number[] = [];
  const metrics = {
    count: (name: string, n = 1) => name === 'PodRestarts' && restarts.push(n),
    latency: () => {},
  };
  const deps = { pods: stores.pods, events: stores.events, runtime, timers, metrics, now: () => now };
  const read = async () => {
    const record = await stores.pods.getPod('default', 'web');
    if (!record) throw new Error('pod gone');
    return record;
  };
  return { stores, timers, stopped, described, deps, read, restarts, uid: bound.metadata?.uid ?? '' };
}

const task = (uid: string, generation: number, extra: Partial<TaskView>): TaskView => ({
  taskArn: `task-${generation}`,
  startedBy: uid,
  group: taskGroup(generation),
  lastStatus: 'RUNNING',
  startedAt: '2026-11-27T10:00:00Z',
  containers: [{ name: 'app', lastStatus: 'RUNNING' }],
  ...extra,
});
/** The first task, running, with its container's health check failing. */
const unhealthy = (uid: string) =>
  task(uid, 0, {
    taskArn: 'task-0',
    version: 2,
    containers: [{ name: 'app', lastStatus: 'RUNNING', healthStatus: 'UNHEALTHY' }],
  });
const crashed = (uid: string, generation: number, version = 5) =>
  task(uid, generation, {
    lastStatus: 'STOPPED',
    version,
    stopCode: 'EssentialContainerExited',
    stoppedAt: '2026-11-27T10:01:00Z',
    containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode: 1 }],
  });

describe('a crashed task under restartPolicy Always', () => {
  it('backs off, then a timer hands the pod to the kubelet for the next generation', async () => {
    const { deps, timers, read, restarts, uid } = setup();
    expect(await applyTaskState(crashed(uid, 0), deps)).toBe('restarting');
    const waiting = await read();
    expect(waiting).toMatchObject({
      stage: 'backoff',
      taskGeneration: 1,
      backOff: { kind: 'crash', steps: 1 },
    });
    expect(waiting.restartDue).toBe(Date.parse(now) + 10_000);
    expect(timers.scheduled).toEqual([
      { timer: { kind: 'restart', namespace: 'default', name: 'web', uid, generation: 1 }, delaySeconds: 10 },
    ]);
    const events = await deps.events.listEvents('default');
    expect(events.map((e) => e.reason)).toContain('BackOff');
    expect(restarts).toEqual([1]);

    const [{ timer } = { timer: undefined }] = timers.scheduled;
    if (!timer) throw new Error('no timer');
    expect(await firePodTimer(timer, deps)).toBe('restarted');
    const launching = await read();
    expect(launching.stage).toBe('launch');
    expect(launching.taskArn).toBeUndefined();
    expect(launching.restartDue).toBeUndefined();
    // The same message delivered again finds nothing to do.
    expect(await firePodTimer(timer, deps)).toBe('stale');
    expect((await read()).resourceVersion).toBe(launching.resourceVersion);
  });

  it('drops late and repeated events of the task it replaced', async () => {
    const { deps, read, uid } = setup();
    await applyTaskState(crashed(uid, 0), deps);
    const before = await read();
    expect(await applyTaskState(crashed(uid, 0, 6), deps)).toBe('stale');
    expect(await applyTaskState(task(uid, 0, { version: 3 }), deps)).toBe('stale');
    expect((await read()).resourceVersion).toBe(before.resourceVersion);
  });

  it('ignores a restart timer for a pod that was deleted and re-created under the same name', async () => {
    const { deps, uid } = setup();
    expect(
      await firePodTimer(
        { kind: 'restart', namespace: 'default', name: 'web', uid: `${uid}-old`, generation: 1 },
        deps,
      ),
    ).toBe('stale');
  });
});

describe('a late kubelet record of an earlier generation', () => {
  it('does not make the old task current again', async () => {
    const { deps, stores, read, uid } = setup();
    await stores.nodes.putNode(
      { metadata: { name: 'node-1' } },
      { cpuMillis: 4000, memoryBytes: 2 ** 33, pods: 110 },
    );
    const stale = await read();
    await applyTaskState(crashed(uid, 0), deps);
    const [restart] = deps.timers.scheduled.map((s) => s.timer);
    await firePodTimer(restart ?? never(), deps);
    const launching = await read();
    expect(launching).toMatchObject({ stage: 'launch', taskGeneration: 1 });
    // The generation-0 launch record again: RunTask's token gives back generation 0's task.
    await syncPod({ ...stale, stage: 'launch', taskArn: undefined } as PodRecord, {
      ...deps,
      nodes: stores.nodes,
      runtime: { ...deps.runtime, launchPod: async () => ({ kind: 'launched', taskArn: 'task-0' }) },
    });
    const after = await read();
    expect(after.taskArn).toBeUndefined();
    expect(after.stage).toBe('launch');
  });
});

describe('a failed image pull', () => {
  it('shows ErrImagePull, then ImagePullBackOff when the kubelet decides to wait, then pulls again', async () => {
    const { deps, timers, read, restarts, uid } = setup();
    const reason = 'CannotPullContainerError: pull image manifest has been retried 5 time(s): not found';
    const pullFailed = task(uid, 0, {
      lastStatus: 'STOPPED',
      version: 3,
      stopCode: 'TaskFailedToStart',
      stoppedReason: reason,
      startedAt: undefined,
      containers: [{ name: 'app', lastStatus: 'STOPPED', reason }],
    });
    expect(await applyTaskState(pullFailed, deps)).toBe('restarting');
    expect((await read()).pod.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ErrImagePull');
    expect(timers.scheduled.map((s) => [s.timer.kind, s.delaySeconds])).toEqual([
      ['image-backoff', 1],
      ['restart', 10],
    ]);
    const [show, restart] = timers.scheduled.map((s) => s.timer);
    if (!show || !restart) throw new Error('timers missing');
    expect(await firePodTimer(show, deps)).toBe('backoff-shown');
    expect((await read()).pod.status?.containerStatuses?.[0]).toMatchObject({
      restartCount: 0,
      state: { waiting: { reason: 'ImagePullBackOff' } },
    });
    expect(await firePodTimer(restart, deps)).toBe('restarted');
    expect((await read()).stage).toBe('launch');
    // A pull that never started a container is not a container restart.
    expect(restarts).toEqual([]);
  });
});

describe('a lost restart timer', () => {
  it('is made good by the reconcile once the back-off is a minute overdue', async () => {
    const { deps, stores, read, uid } = setup();
    await stores.nodes.putNode(
      { metadata: { name: 'node-1' } },
      { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30, pods: 110 },
    );
    await applyTaskState(crashed(uid, 0), deps);
    const reconcileAt = (ms: number) =>
      reconcile({ ...deps, nodes: stores.nodes, now: () => new Date(ms).toISOString() });
    const due = (await read()).restartDue ?? 0;
    expect((await reconcileAt(due + 30_000)).relaunched).toBe(0);
    expect((await read()).stage).toBe('backoff');
    expect((await reconcileAt(due + 61_000)).relaunched).toBe(1);
    expect((await read()).stage).toBe('launch');
  });
});

describe('probes', () => {
  const probed = () => {
    const pod = storedPod('web');
    const [app] = pod.spec?.containers ?? [];
    if (app) app.livenessProbe = { exec: { command: ['true'] }, periodSeconds: 10 };
    return pod;
  };

  it('starts a probe loop when the pod first runs, and one tick runs once however often it arrives', async () => {
    const { deps, timers, described, uid } = setup(probed());
    await applyTaskState(task(uid, 0, { taskArn: 'task-0', version: 2 }), deps);
    expect(timers.scheduled.map((s) => [s.timer.kind, s.timer.tick, s.delaySeconds])).toEqual([
      ['probe', 1, 10],
    ]);
    described.push(task(uid, 0, { taskArn: 'task-0', version: 2 }));
    const tick = timers.scheduled[0]?.timer;
    if (!tick) throw new Error('no probe timer');
    expect(await firePodTimer(tick, deps)).toBe('probed');
    expect(await firePodTimer(tick, deps)).toBe('stale');
    expect(timers.scheduled.map((s) => s.timer.tick)).toEqual([1, 2]);
  });

  it('keeps the loop going when one tick fails to look: the next tick is due before the look', async () => {
    const { deps, timers, uid } = setup(probed());
    await applyTaskState(task(uid, 0, { taskArn: 'task-0', version: 2 }), deps);
    const tick = timers.scheduled[0]?.timer;
    if (!tick) throw new Error('no probe timer');
    const failing = {
      ...deps,
      runtime: {
        ...deps.runtime,
        describeTasks: async () => {
          throw new Error('ServerException');
        },
      },
    };
    await expect(firePodTimer(tick, failing)).rejects.toThrow('ServerException');
    // The retry of the failed tick finds it taken; the loop goes on with the next tick.
    expect(await firePodTimer(tick, deps)).toBe('stale');
    expect(timers.scheduled.map((s) => s.timer.tick)).toEqual([1, 2]);
  });

  it('stops a task whose liveness check is UNHEALTHY and records why', async () => {
    const { deps, stopped, uid } = setup(probed());
    await applyTaskState(unhealthy(uid), deps);
    expect(stopped).toEqual([
      { taskArn: 'task-0', reason: 'Container app failed liveness probe, will be restarted' },
    ]);
    // Seen again (the stop was lost, or the next probe tick): stopped again, though nothing changed.
    await applyTaskState({ ...unhealthy(uid), version: 3 }, deps);
    expect(stopped).toHaveLength(2);
    // Once ECS has the stop, repeats are left alone.
    await applyTaskState({ ...unhealthy(uid), version: 4, desiredStatus: 'STOPPED' }, deps);
    expect(stopped).toHaveLength(2);
    const events = await deps.events.listEvents('default');
    expect(events.find((e) => e.reason === 'Killing')?.message).toBe(
      'Container app failed liveness probe, will be restarted',
    );
  });

  it('marks a container with an UNHEALTHY readiness check not ready, and leaves it running', async () => {
    const pod = storedPod('web');
    const [app] = pod.spec?.containers ?? [];
    if (app) app.readinessProbe = { exec: { command: ['true'] } };
    const { deps, stopped, read, uid } = setup(pod);
    await applyTaskState(unhealthy(uid), deps);
    const record = await read();
    expect(record.pod.status?.phase).toBe('Running');
    expect(record.pod.status?.containerStatuses?.[0]).toMatchObject({ ready: false, started: true });
    expect(stopped).toEqual([]);
  });
});

function never(): never {
  throw new Error('missing timer');
}
