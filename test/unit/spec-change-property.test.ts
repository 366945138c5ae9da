import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { syncPod } from '../../functions/core/controllers/kubelet';
import { applyTaskState } from '../../functions/core/controllers/pod-status';
import { firePodTimer } from '../../functions/core/controllers/pod-timers';
import { taskGroup } from '../../functions/core/ecs/task-definition';
import type { TaskView } from '../../functions/core/ecs/types';
import type { Pod } from '../../functions/core/k8s';
import { podStage } from '../../functions/core/pod/stage';
import type { PodRecord, PodRuntime } from '../../functions/core/ports';
import { fakeStores, fakeTimers, seedBoundPod } from './fakes';

/**
 * Image changes while kubelet records repeat and arrive late, task events repeat and reorder,
 * and containers crash: the kubelet stops a task at most once per image change, restarts only
 * move forward, and once everything has been delivered the pod runs its newest image.
 */
type Step =
  | { readonly kind: 'set-image' }
  | { readonly kind: 'kubelet'; readonly pick: number }
  | { readonly kind: 'event'; readonly pick: number }
  | { readonly kind: 'timer'; readonly pick: number }
  | { readonly kind: 'crash' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.constant({ kind: 'set-image' as const }),
  fc.record({ kind: fc.constant('kubelet' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('kubelet' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('event' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('event' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('timer' as const), pick: fc.nat() }),
  fc.constant({ kind: 'crash' as const }),
);

const startedAt = '2026-11-27T10:00:00Z';

async function run(steps: readonly Step[]): Promise<void> {
  const stores = fakeStores();
  const timers = fakeTimers();
  const uid = (await seedBoundPod(stores)).pod.metadata?.uid ?? '';
  /** ECS: one task per client token (uid, generation), launched with the first spec sent. */
  const tasks = new Map<string, { image: string; fate?: 'definition' | 'crash' }>();
  let definitionStops = 0;
  const runtime: PodRuntime = {
    launchPod: async (launching: Pod, _node, generation) => {
      const taskArn = `task-${generation}`;
      if (!tasks.has(taskArn)) tasks.set(taskArn, { image: launching.spec?.containers[0]?.image ?? '' });
      return { kind: 'launched', taskArn };
    },
    stopPod: async (_pod, taskArn, reason) => {
      const task = taskArn ? tasks.get(taskArn) : undefined;
      if (reason.includes('definition changed')) definitionStops++;
      if (task && !task.fate) task.fate = 'definition';
      return 1;
    },
    describeTasks: async () => [],
    listRunningTasks: async () => [],
    listContainerInstances: async () => [],
  };
  const deps = {
    pods: stores.pods,
    nodes: stores.nodes,
    events: stores.events,
    runtime,
    timers,
    now: () => '2026-11-27T10:01:00Z',
  };
  const read = async (): Promise<PodRecord> =>
    (await stores.pods.getPod('default', 'web')) ?? Promise.reject(new Error('pod gone'));
  /** Every record written, as the kubelet's stream would deliver it (again, late, in any order). */
  const records: PodRecord[] = [await read()];
  const eventsOf = (taskArn: string): TaskView[] => {
    const task = tasks.get(taskArn);
    if (!task) return [];
    const base = {
      taskArn,
      startedBy: uid,
      group: taskGroup(Number(taskArn.slice('task-'.length))),
      startedAt,
    };
    const running: TaskView = {
      ...base,
      lastStatus: 'RUNNING',
      version: 2,
      containers: [{ name: 'app', lastStatus: 'RUNNING' }],
    };
    if (!task.fate) return [running];
    const stopped: TaskView =
      task.fate === 'definition'
        ? {
            ...base,
            lastStatus: 'STOPPED',
            version: 5,
            stopCode: 'UserInitiated',
            stoppedReason: 'Container app definition changed, will be restarted',
            stoppedAt: '2026-11-27T10:00:30Z',
            containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode: 0 }],
          }
        : {
            ...base,
            lastStatus: 'STOPPED',
            version: 5,
            stopCode: 'EssentialContainerExited',
            stoppedAt: '2026-11-27T10:00:30Z',
            containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode: 1 }],
          };
    return [running, stopped];
  };

  let imageChanges = 0;
  let before = await read();
  for (const step of steps) {
    if (step.kind === 'set-image') {
      const record = await read();
      imageChanges++;
      await stores.pods.updatePod(record, {
        ...record.pod,
        metadata: { ...record.pod.metadata, generation: (record.pod.metadata?.generation ?? 1) + 1 },
        spec: {
          ...record.pod.spec,
          containers: [{ name: 'app', image: `nginx:1.${27 + imageChanges}` }],
        },
      });
    } else if (step.kind === 'kubelet') {
      await syncPod(records[step.pick % records.length] as PodRecord, deps);
    } else if (step.kind === 'event') {
      const all = [...tasks.keys()].flatMap(eventsOf);
      if (all.length > 0) await applyTaskState(all[step.pick % all.length] as TaskView, deps);
    } else if (step.kind === 'timer') {
      const all = timers.scheduled.map((s) => s.timer).filter((t) => t.kind !== 'deadline');
      if (all.length > 0) await firePodTimer(all[step.pick % all.length] ?? never(), deps);
    } else {
      const current = (await read()).taskArn;
      const task = current ? tasks.get(current) : undefined;
      if (task && !task.fate) task.fate = 'crash';
    }
    const after = await read();
    if (after.resourceVersion !== records.at(-1)?.resourceVersion) records.push(after);
    const restarts = (r: PodRecord) => r.pod.status?.containerStatuses?.[0]?.restartCount ?? 0;
    expect(after.taskGeneration).toBeGreaterThanOrEqual(before.taskGeneration);
    expect(restarts(after)).toBeGreaterThanOrEqual(restarts(before));
    expect(restarts(after)).toBeLessThanOrEqual(after.taskGeneration);
    expect(['Pending', 'Running']).toContain(after.pod.status?.phase ?? 'Pending');
    expect(definitionStops).toBeLessThanOrEqual(imageChanges);
    before = after;
  }

  // Everything delivered: the current record to the kubelet, the current task's events, the
  // timers; the pod settles running its newest image.
  for (let round = 0; round < 20; round++) {
    const record = await read();
    const stage = podStage(record.pod, record);
    if (stage === 'launch' || stage === 'replace') await syncPod(record, deps);
    const current = (await read()).taskArn;
    if (current) for (const event of eventsOf(current)) await applyTaskState(event, deps);
    for (const { timer } of timers.scheduled.filter((s) => s.timer.kind === 'restart'))
      await firePodTimer(timer, deps);
  }
  const settled = await read();
  expect(podStage(settled.pod, settled)).toBe('run');
  const newest = settled.pod.spec?.containers[0]?.image;
  expect(tasks.get(settled.taskArn ?? '')?.image).toBe(newest);
  expect(settled.pod.status?.containerStatuses?.[0]?.image).toBe(newest);
  expect(definitionStops).toBeLessThanOrEqual(imageChanges);
}

describe('image changes under repeated, late and reordered records, events and timers', () => {
  it('stop each task at most once per change and end with the newest image running', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: 60 }), (steps) => run(steps)),
      { numRuns: 300 },
    );
  });
});

function never(): never {
  throw new Error('missing timer');
}
