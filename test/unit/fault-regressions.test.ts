import { describe, expect, it } from 'vitest';
import { applyTaskState } from '../../functions/core/controllers/pod-status';
import { taskGroup } from '../../functions/core/ecs/task-definition';
import type { TaskView } from '../../functions/core/ecs/types';
import type { Pod } from '../../functions/core/k8s';
import type { PodRuntime } from '../../functions/core/ports';
import { storedPod } from '../fixtures';
import { fakeStores, fakeTimers } from './fakes';

/**
 * What `npm run chaos` found (local/faults/): each case is the interleaving a fault produced,
 * replayed against the controllers with fakes.
 */

const now = '2026-11-27T10:05:00Z';

function setup(pod: Pod, extra: { taskVersion?: number } = {}) {
  const stores = fakeStores();
  const stopped: { taskArn?: string; reason: string }[] = [];
  const runtime: PodRuntime = {
    launchPod: async () => ({ kind: 'launched', taskArn: 'unused' }),
    stopPod: async (_pod, taskArn, reason) => {
      stopped.push({ ...(taskArn ? { taskArn } : {}), reason });
      return 1;
    },
    describeTasks: async () => [],
    listRunningTasks: async () => [],
    listContainerInstances: async () => [],
  };
  const bound: Pod = {
    ...pod,
    spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName: 'node-1' },
  };
  stores.pods.seed(bound, { taskArn: 'task-0', ...extra });
  const deps = { pods: stores.pods, events: stores.events, runtime, timers: fakeTimers(), now: () => now };
  return { deps, stopped, uid: bound.metadata?.uid ?? '' };
}

const running = (uid: string, extra: Partial<TaskView> = {}): TaskView => ({
  taskArn: 'task-0',
  startedBy: uid,
  group: taskGroup(0),
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  version: 2,
  startedAt: '2026-11-27T10:00:00Z',
  containers: [{ name: 'app', lastStatus: 'RUNNING' }],
  ...extra,
});

describe('a StopTask that ECS accepted and never carried out (chaos: lost-stop)', () => {
  it('is asked for again when the liveness check is seen UNHEALTHY again at the same task version', async () => {
    const pod = storedPod('web');
    const [app] = pod.spec?.containers ?? [];
    if (app) app.livenessProbe = { exec: { command: ['true'] }, periodSeconds: 10 };
    const { deps, stopped, uid } = setup(pod);
    const unhealthy = running(uid, {
      containers: [{ name: 'app', lastStatus: 'RUNNING', healthStatus: 'UNHEALTHY' }],
    });
    await applyTaskState(unhealthy, deps);
    expect(stopped).toHaveLength(1);
    // The stop was lost: ECS changed nothing, so the next probe tick (or the reconcile) describes
    // the same version. Before the fix this was dropped as stale and the pod ran UNHEALTHY for ever
    // (seed 2, `npm run chaos -- --seed 2 --seconds 40 --faults default,lost-stop=0.3,vanish=0.1`).
    expect(await applyTaskState(unhealthy, deps)).toBe('stale');
    expect(stopped).toHaveLength(2);
    // Once ECS has the stop, repeats are left alone.
    await applyTaskState({ ...unhealthy, version: 3, desiredStatus: 'STOPPED' }, deps);
    expect(stopped).toHaveLength(2);
  });

  it('is asked for again for a pod being deleted whose task still runs', async () => {
    const pod = storedPod('web');
    const deleting: Pod = {
      ...pod,
      metadata: {
        ...pod.metadata,
        deletionTimestamp: '2026-11-27T10:04:00Z',
        deletionGracePeriodSeconds: 30,
      },
    };
    // The task's RUNNING event was folded in (version 2) before the pod was deleted; the kubelet's
    // StopTask was then lost. Reconcile describes the task: still version 2, still meant to run.
    const { deps, stopped, uid } = setup(deleting, { taskVersion: 2 });
    expect(await applyTaskState(running(uid), deps)).toBe('stale');
    expect(stopped).toEqual([{ taskArn: 'task-0', reason: 'Pod deleted' }]);
    // A task ECS is already stopping is left to finish.
    await applyTaskState(running(uid, { desiredStatus: 'STOPPED' }), deps);
    expect(stopped).toHaveLength(1);
  });
});
