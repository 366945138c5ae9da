import { describe, expect, it } from 'vitest';
import { scheduleDeadline } from '../../functions/core/controllers/pod-deadline';
import { firePodTimer } from '../../functions/core/controllers/pod-timers';
import type { Pod } from '../../functions/core/k8s';
import type { PodRuntime } from '../../functions/core/ports';
import { storedPod } from '../fixtures';
import { fakeStores, fakeTimers } from './fakes';

function setup(deadline: number | undefined) {
  const stores = fakeStores();
  const timers = fakeTimers();
  const stopped: string[] = [];
  const runtime = {
    stopPod: async (_pod: Pod, _taskArn: string | undefined, reason: string) => {
      stopped.push(reason);
      return 1;
    },
  } as unknown as PodRuntime;
  const base = storedPod('job');
  const pod: Pod = {
    ...base,
    spec: {
      ...base.spec,
      containers: base.spec?.containers ?? [],
      nodeName: 'node-1',
      ...(deadline ? { activeDeadlineSeconds: deadline } : {}),
    },
    status: {
      ...base.status,
      phase: 'Running',
      containerStatuses: [
        {
          name: 'app',
          image: 'nginx',
          imageID: '',
          ready: true,
          restartCount: 2,
          started: true,
          state: { running: { startedAt: '2026-11-27T10:00:00Z' } },
        },
      ],
    },
  };
  stores.pods.seed(pod, { taskArn: 'task-2', stage: 'run', taskGeneration: 2 });
  const deps = { ...stores, runtime, timers, now: () => '2026-11-27T10:40:00Z' };
  return { stores, timers, stopped, deps, pod };
}

describe('spec.activeDeadlineSeconds', () => {
  it('hops past SQS’s 900 s longest delay, then fails the pod with DeadlineExceeded and stops its task', async () => {
    const { stores, timers, stopped, deps, pod } = setup(2000);
    await scheduleDeadline(pod, timers);
    const hop = (i: number) => timers.scheduled[i];
    expect(hop(0)).toMatchObject({ timer: { kind: 'deadline', remainingSeconds: 1100 }, delaySeconds: 900 });
    expect(await firePodTimer(hop(0)?.timer ?? never(), deps)).toBe('rescheduled');
    expect(hop(1)).toMatchObject({ timer: { remainingSeconds: 200 }, delaySeconds: 900 });
    expect(await firePodTimer(hop(1)?.timer ?? never(), deps)).toBe('rescheduled');
    expect(hop(2)).toMatchObject({ timer: { remainingSeconds: 0 }, delaySeconds: 200 });
    expect(stopped).toEqual([]);

    expect(await firePodTimer(hop(2)?.timer ?? never(), deps)).toBe('expired');
    expect(stopped).toEqual(['Pod was active on the node longer than the specified deadline']);
    const failed = await stores.pods.getPod('default', 'job');
    expect(failed?.stage).toBe('done');
    expect(failed?.pod.status).toMatchObject({
      phase: 'Failed',
      reason: 'DeadlineExceeded',
      message: 'Pod was active on the node longer than the specified deadline',
    });
    expect(failed?.pod.status?.containerStatuses?.[0]).toMatchObject({
      restartCount: 2,
      ready: false,
      state: { terminated: { exitCode: 137, reason: 'Error' } },
    });
    const events = await stores.events.listEvents('default');
    expect(events.map((e) => [e.type, e.reason])).toContainEqual(['Warning', 'DeadlineExceeded']);

    // The same timer again, or a late one: nothing more happens.
    expect(await firePodTimer(hop(2)?.timer ?? never(), deps)).toBe('stale');
    expect(stopped).toHaveLength(1);
  });

  it('sends no timer for a pod without a deadline', async () => {
    const { timers, pod } = setup(undefined);
    await scheduleDeadline(pod, timers);
    expect(timers.scheduled).toEqual([]);
  });
});

function never(): never {
  throw new Error('missing timer');
}
