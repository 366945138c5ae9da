import { describe, expect, it, vi } from 'vitest';
import type { Pod } from '../../functions/core/k8s';
import type { PodRecord } from '../../functions/core/ports';
import {
  checkCapacity,
  checkEvents,
  checkTasks,
  mismatch,
  refusalMismatch,
  type TrackedPod,
} from '../../local/faults/chaos/checks';
import type { PodHistory } from '../../local/faults/chaos/observer';
import { planPod } from '../../local/faults/chaos/plan';
import { eventDeliveries } from '../../local/faults/deliveries';
import { FaultInjector } from '../../local/faults/injector';
import { SeededRandom } from '../../local/faults/random';
import { defaultFaultRates, type FaultKind, formatFaultRates, parseFaultSpec } from '../../local/faults/spec';

describe('the fault spec', () => {
  it('reads kind=rate pairs, the default mix, and the default mix with changes', () => {
    expect(parseFaultSpec('crash=0.05,drop=0.02')).toEqual({ crash: 0.05, drop: 0.02 });
    expect(parseFaultSpec('default')).toEqual(defaultFaultRates);
    expect(parseFaultSpec('default,vanish=0,crash=0.5')).toMatchObject({ vanish: 0, crash: 0.5, drop: 0.02 });
    expect(parseFaultSpec('none')).toEqual({});
  });

  it('refuses unknown kinds and rates outside [0, 1], saying what it expected', () => {
    expect(() => parseFaultSpec('crsh=0.1')).toThrow(/unknown fault "crsh"; the kinds are crash, timeout/);
    expect(() => parseFaultSpec('crash=2')).toThrow(/crash needs a rate from 0 to 1/);
    expect(() => parseFaultSpec('crash')).toThrow(/crash needs a rate/);
    expect(() => parseFaultSpec('crash=')).toThrow(/crash needs a rate/);
  });

  it('prints in one canonical order, without the kinds that are off', () => {
    expect(formatFaultRates({ vanish: 0.1, crash: 0.2, drop: 0 })).toBe('crash=0.2,vanish=0.1');
  });
});

describe('the seeded generator', () => {
  it('draws the same sequence for the same seed, another for another seed', () => {
    const draws = (seed: number) =>
      Array.from({ length: 5 }, () => new SeededRandom(seed)).map((r) => r.next());
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const sequence = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(sequence);
    expect(new SeededRandom(43).next()).not.toBe(sequence[0]);
    expect(new Set(draws(7)).size).toBe(1);
    expect(sequence.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('gives the churn the same pods for the same seed', () => {
    const plan = (seed: number) => {
      const random = new SeededRandom(seed).derive('churn');
      return Array.from({ length: 50 }, (_, i) => planPod(i, random, true)).map((p) => [
        p.name,
        p.deleteAfterMs,
      ]);
    };
    expect(plan(9)).toEqual(plan(9));
    expect(plan(9)).not.toEqual(plan(10));
  });
});

describe('the injector', () => {
  it('injects nothing until armed and after it is disarmed, and counts what it injects by kind and site', () => {
    const injector = new FaultInjector({ crash: 1 }, 1);
    expect(injector.roll('crash', 'kubelet')).toBe(false);
    injector.arm();
    expect(injector.roll('crash', 'kubelet')).toBe(true);
    expect(injector.roll('drop', 'ecs-event')).toBe(false);
    injector.disarm();
    expect(injector.roll('crash', 'kubelet')).toBe(false);
    expect(injector.injected()).toEqual({ crash: 1 });
    expect(injector.injectedBySite()).toEqual({ 'crash:kubelet': 1 });
  });

  it('hits a rate about as often as it says', () => {
    const injector = new FaultInjector({ drop: 0.1 }, 5);
    injector.arm();
    const hits = Array.from({ length: 10_000 }, () => injector.roll('drop', 'x')).filter(Boolean).length;
    expect(hits).toBeGreaterThan(900);
    expect(hits).toBeLessThan(1100);
  });
});

describe('ECS event deliveries under faults', () => {
  const deliveries = (rates: Partial<Record<FaultKind, number>>) => {
    const injector = new FaultInjector(rates, 3);
    injector.arm();
    const delivered: string[] = [];
    const hook = eventDeliveries(injector);
    const publish = (name: string) => hook(name, () => delivered.push(name));
    return { injector, rates, delivered, publish };
  };

  it('drops an event', () => {
    const { delivered, publish } = deliveries({ drop: 1 });
    publish('a');
    expect(delivered).toEqual([]);
  });

  it('delivers a duplicate a little later, and a delayed event seconds later', () => {
    vi.useFakeTimers();
    try {
      const duplicated = deliveries({ duplicate: 1 });
      duplicated.publish('a');
      expect(duplicated.delivered).toEqual(['a']);
      vi.advanceTimersByTime(300);
      expect(duplicated.delivered).toEqual(['a', 'a']);
      const delayed = deliveries({ delay: 1 });
      delayed.publish('b');
      vi.advanceTimersByTime(999);
      expect(delayed.delivered).toEqual([]);
      vi.advanceTimersByTime(4001);
      expect(delayed.delivered).toEqual(['b']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('holds a reordered event until the next one has gone out', () => {
    const { rates, delivered, publish } = deliveries({ reorder: 1 });
    publish('first');
    expect(delivered).toEqual([]);
    rates.reorder = 0;
    publish('second');
    expect(delivered).toEqual(['second', 'first']);
  });

  it('lets held and delayed events go at once when disarmed: late, not lost', () => {
    const { injector, delivered, publish } = deliveries({ delay: 1 });
    publish('a');
    injector.disarm();
    expect(delivered).toEqual(['a']);
    injector.stop();
  });
});

const record = (
  name: string,
  extra: Partial<PodRecord> & { phase?: string; nodeName?: string } = {},
): PodRecord => ({
  pod: {
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { containers: [], ...(extra.nodeName ? { nodeName: extra.nodeName } : {}) },
    status: { phase: extra.phase ?? 'Running' },
  },
  resourceVersion: 1,
  taskGeneration: 0,
  released: false,
  ...extra,
});

describe('the chaos checks', () => {
  const tracked = (expect: TrackedPod['plan']['expect'], extra: Partial<TrackedPod> = {}): TrackedPod => ({
    plan: {
      name: 'p',
      kind: 'x',
      expect,
      restartPolicy: expect === 'succeeded' || expect === 'failed' ? 'Never' : 'Always',
      exitCode: expect === 'failed' ? 2 : 0,
      manifest: {},
    },
    createdAt: 0,
    ...extra,
  });
  const pod = (phase: string, state: object, extra: object = {}): Pod => ({
    metadata: { name: 'p' },
    spec: { containers: [] },
    status: {
      phase,
      containerStatuses: [
        { name: 'app', image: 'i', imageID: '', ready: true, restartCount: 0, state, ...extra },
      ],
    },
  });

  it('wants a deleted pod gone, a finished pod finished with the right exit, a running one running', () => {
    expect(mismatch(tracked('running', { deleted: true }), undefined, false)).toBeUndefined();
    expect(mismatch(tracked('running', { deleted: true }), pod('Running', { running: {} }), false)).toMatch(
      /deleted, but still there/,
    );
    expect(mismatch(tracked('running'), pod('Running', { running: {} }), false)).toBeUndefined();
    expect(
      mismatch(tracked('failed'), pod('Failed', { terminated: { exitCode: 2, reason: 'Error' } }), false),
    ).toBeUndefined();
    expect(
      mismatch(tracked('failed'), pod('Failed', { terminated: { exitCode: 1, reason: 'Error' } }), false),
    ).toMatch(/expected Failed \(terminated Error, exit 2\)/);
    expect(mismatch(tracked('restarting'), pod('Running', { running: {} }), false)).toMatch(
      /restartCount >= 1/,
    );
  });

  it('wants an evicted pod gone, and a pod whose eviction was refused unchanged', () => {
    expect(
      mismatch(
        tracked('running', { deleted: true, eviction: 'allowed' }),
        pod('Running', { running: {} }),
        false,
      ),
    ).toMatch(/^p: evicted \(201\), but still there/);
    const guarded = tracked('running', { uid: 'u1', eviction: 'refused' });
    const running = { ...pod('Running', { running: {} }), metadata: { name: 'p', uid: 'u1' } };
    expect(refusalMismatch(guarded, running)).toBeUndefined();
    expect(refusalMismatch(guarded, undefined)).toBe(
      'p: its eviction was refused (429), but the pod is gone',
    );
    expect(refusalMismatch(guarded, { ...running, metadata: { name: 'p', uid: 'u2' } })).toMatch(
      /was replaced$/,
    );
    expect(
      refusalMismatch(guarded, { ...running, metadata: { ...running.metadata, deletionTimestamp: 'now' } }),
    ).toMatch(/but it is being deleted/);
    const finished = {
      ...pod('Succeeded', { terminated: { exitCode: 0, reason: 'Completed' } }),
      metadata: running.metadata,
    };
    expect(refusalMismatch(guarded, finished)).toMatch(/but it no longer runs \(Succeeded/);
    // One that finishes on its own may have finished between the refusal and the read.
    expect(refusalMismatch(tracked('succeeded', { uid: 'u1' }), finished)).toBeUndefined();
  });

  it('expects a Never pod whose task vanished to fail with ContainerStatusUnknown, 137', () => {
    const lost = pod('Failed', { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown' } });
    expect(mismatch(tracked('succeeded'), lost, true)).toBeUndefined();
    expect(mismatch(tracked('succeeded'), lost, false)).toMatch(/expected Succeeded/);
  });

  it('finds a node whose counters disagree with its pods, and a finished pod holding capacity', () => {
    const bound = (name: string, cpu: number, extra: Partial<PodRecord> = {}) =>
      record(name, { nodeName: 'n1', boundRequests: { cpuMillis: cpu, memoryBytes: 1 }, ...extra });
    const pods = [
      { record: bound('a', 100), deleted: false },
      { record: bound('b', 50, { released: true, stage: 'done' }), deleted: false },
      { record: bound('c', 25), deleted: true },
    ];
    expect(checkCapacity([{ name: 'n1', used: { cpu: 100, mem: 1, pods: 1 } }], pods)).toEqual([]);
    expect(checkCapacity([{ name: 'n1', used: { cpu: 125, mem: 2, pods: 2 } }], pods)).toEqual([
      'node n1: used cpu 125m, memory 2, pods 2; its pods hold cpu 100m, memory 1, pods 1',
    ]);
    const leaked = [{ record: bound('d', 10, { stage: 'done' }), deleted: false }];
    expect(checkCapacity([{ name: 'n1', used: { cpu: 10, mem: 1, pods: 1 } }], leaked)).toEqual([
      'pod d has finished but still holds its capacity on n1',
    ]);
  });

  it('finds two live tasks for one pod, and a live task whose pod is gone or has moved on', () => {
    const pods = [
      { record: record('a', { taskArn: 't1' }), deleted: false },
      { record: record('b', { taskArn: 't3' }), deleted: true },
    ];
    const task = (taskArn: string, startedBy: string) => ({ taskArn, startedBy, lastStatus: 'RUNNING' });
    expect(checkTasks([task('t1', 'uid-a')], pods)).toEqual([]);
    expect(checkTasks([task('t1', 'uid-a'), task('t2', 'uid-a'), task('t3', 'uid-b')], pods)).toEqual([
      'task t2 (RUNNING) runs for pod a, whose task is t1',
      'task t3 (RUNNING) runs for pod uid uid-b, which is gone',
      'pod uid uid-a has 2 live tasks: t1 t2',
    ]);
  });

  it('finds lifecycle events missing or told twice', () => {
    const history: PodHistory = { name: 'a', bound: true, ran: true, restarts: new Map([['app', 0]]) };
    const event = (
      reason: string,
      name: string,
      component = 'kubelet',
      fieldPath = 'spec.containers{app}',
    ) => ({
      metadata: { name },
      involvedObject: { uid: 'uid-a', name: 'a', ...(reason === 'Scheduled' ? {} : { fieldPath }) },
      reason,
      source: { component },
    });
    const histories = new Map([['uid-a', history]]);
    expect(
      checkEvents([event('Scheduled', 'a.1', 'default-scheduler'), event('Started', 'a.2')], histories),
    ).toEqual([]);
    expect(checkEvents([], histories)).toEqual([
      'pod a: bound, but no Scheduled event',
      'pod a: its container ran, but no Started event',
    ]);
    expect(
      checkEvents(
        [event('Scheduled', 'a.1', 'default-scheduler'), event('Started', 'a.2'), event('Started', 'a.3')],
        histories,
      ),
    ).toEqual(['pod a: 2 Started events for container app, 0 restart(s)']);
  });
});
