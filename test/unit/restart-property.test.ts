import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyTaskState } from '../../functions/core/controllers/pod-status';
import { firePodTimer } from '../../functions/core/controllers/pod-timers';
import { taskGroup } from '../../functions/core/ecs/task-definition';
import type { TaskView } from '../../functions/core/ecs/types';
import type { PodRecord, PodRuntime, PodTimer } from '../../functions/core/ports';
import { storedPod } from '../fixtures';
import { fakeStores, fakeTimers } from './fakes';

/**
 * Task events and timers arrive twice, late and out of order. Whatever the interleaving, a
 * crash-looping pod under restartPolicy Always only ever moves forward: its generation and
 * restart count never go back, it never finishes, and the task it runs is its current one.
 */
type Step =
  | { readonly kind: 'event'; readonly pick: number }
  | { readonly kind: 'timer'; readonly pick: number }
  | { readonly kind: 'launch' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('event' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('timer' as const), pick: fc.nat() }),
  fc.constant({ kind: 'launch' as const }),
);

function eventsOf(uid: string, generation: number): TaskView[] {
  const base = { taskArn: `task-${generation}`, startedBy: uid, group: taskGroup(generation) };
  return [
    {
      ...base,
      lastStatus: 'RUNNING',
      version: 2,
      startedAt: '2026-11-27T10:00:00Z',
      containers: [{ name: 'app', lastStatus: 'RUNNING' }],
    },
    {
      ...base,
      lastStatus: 'STOPPED',
      version: 5,
      stopCode: 'EssentialContainerExited',
      startedAt: '2026-11-27T10:00:00Z',
      stoppedAt: '2026-11-27T10:00:30Z',
      containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode: 1 }],
    },
  ];
}

const noRuntime = {
  stopPod: async () => 0,
  describeTasks: async () => [],
} as unknown as PodRuntime;

async function run(steps: readonly Step[]): Promise<void> {
  const stores = fakeStores();
  const timers = fakeTimers();
  const pod = storedPod('web');
  const uid = pod.metadata?.uid ?? '';
  stores.pods.seed(
    { ...pod, spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName: 'node-1' } },
    { taskArn: 'task-0', stage: 'run' },
  );
  const deps = {
    pods: stores.pods,
    events: stores.events,
    runtime: noRuntime,
    timers,
    now: () => '2026-11-27T10:01:00Z',
  };
  const read = async (): Promise<PodRecord> => {
    const record = await stores.pods.getPod('default', 'web');
    if (!record) throw new Error('pod gone');
    return record;
  };
  let launched = 0;
  let before = await read();
  for (const step of steps) {
    if (step.kind === 'event') {
      const all = Array.from({ length: launched + 1 }, (_, g) => eventsOf(uid, g)).flat();
      await applyTaskState(all[step.pick % all.length] as TaskView, deps);
    } else if (step.kind === 'timer') {
      const all: PodTimer[] = timers.scheduled.map((s) => s.timer);
      if (all.length > 0) await firePodTimer(all[step.pick % all.length] as PodTimer, deps);
    } else {
      // The kubelet, for a pod handed back to it: the next generation's task.
      const record = await read();
      if (record.stage === 'launch') {
        launched = record.taskGeneration;
        await stores.pods.updatePod(record, record.pod, { taskArn: `task-${record.taskGeneration}` });
      }
    }
    const after = await read();
    const restarts = (r: PodRecord) => r.pod.status?.containerStatuses?.[0]?.restartCount ?? 0;
    expect(after.taskGeneration).toBeGreaterThanOrEqual(before.taskGeneration);
    expect(restarts(after)).toBeGreaterThanOrEqual(restarts(before));
    expect(restarts(after)).toBeLessThanOrEqual(after.taskGeneration);
    expect(['Pending', 'Running']).toContain(after.pod.status?.phase);
    expect(['run', 'backoff', 'launch']).toContain(after.stage);
    if (after.stage === 'run') expect(after.taskArn).toBe(`task-${after.taskGeneration}`);
    before = after;
  }
}

describe('restarts under repeated, late and reordered events and timers', () => {
  it('only ever move a crash-looping pod forward', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: 60 }), (steps) => run(steps)),
      { numRuns: 300 },
    );
  });
});
