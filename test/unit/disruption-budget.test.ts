import { describe, expect, it } from 'vitest';
import type { Pod } from '../../functions/core/k8s';
import {
  disruptionBudgetStatus,
  type PodDisruptionBudget,
  selectsPod,
} from '../../functions/core/policy/disruption-budget';

const now = new Date('2026-03-01T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

const pod = (name: string, ready = true, extra: Partial<NonNullable<Pod['metadata']>> = {}): Pod => ({
  metadata: { name, namespace: 'default', labels: { app: 'a' }, ...extra },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

const budget = (
  spec: PodDisruptionBudget['spec'],
  status?: PodDisruptionBudget['status'],
): PodDisruptionBudget => ({
  metadata: { name: 'x', namespace: 'default', generation: 3, creationTimestamp: ago(600) },
  spec: { selector: { matchLabels: { app: 'a' } }, ...spec },
  ...(status ? { status } : {}),
});

describe('a disruption budget status, as the disruption controller computes it', () => {
  it('counts Ready pods that are not being deleted as healthy', () => {
    const pods = [pod('a1'), pod('a2'), pod('a3', false), pod('a4', true, { deletionTimestamp: ago(1) })];
    expect(disruptionBudgetStatus(budget({ minAvailable: 1 }), pods, now)).toMatchObject({
      expectedPods: 4,
      currentHealthy: 2,
      desiredHealthy: 1,
      disruptionsAllowed: 1,
      observedGeneration: 3,
    });
  });

  it('counts a pod evicted in the last two minutes as gone until it is being deleted', () => {
    const pods = [pod('a1'), pod('a2')];
    const recent = budget(
      { minAvailable: 1 },
      {
        currentHealthy: 2,
        desiredHealthy: 1,
        disruptionsAllowed: 0,
        expectedPods: 2,
        disruptedPods: { a1: ago(30) },
      },
    );
    expect(disruptionBudgetStatus(recent, pods, now)).toMatchObject({
      currentHealthy: 1,
      disruptionsAllowed: 0,
      disruptedPods: { a1: ago(30) },
    });
    const old = {
      ...recent,
      status: { ...recent.status, disruptedPods: { a1: ago(180) } },
    } as PodDisruptionBudget;
    const status = disruptionBudgetStatus(old, pods, now);
    expect(status.currentHealthy).toBe(2);
    expect(status.disruptedPods).toBeUndefined();
  });

  it('fails safe for a percentage or maxUnavailable, which need the pods controller', () => {
    const bare = disruptionBudgetStatus(budget({ minAvailable: '50%' }), [pod('a1')], now);
    expect(bare).toMatchObject({
      disruptionsAllowed: 0,
      conditions: [
        {
          type: 'DisruptionAllowed',
          status: 'False',
          reason: 'SyncFailed',
          message: 'found no controller ref for pod "a1"',
        },
      ],
    });
    const owned = pod('a1', true, {
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true },
      ],
    });
    expect(disruptionBudgetStatus(budget({ maxUnavailable: 1 }), [owned], now).conditions?.[0]?.message).toBe(
      'found no controllers for pod "a1"',
    );
    // Without pods there is nothing to scale: no disruption is allowed, and nothing failed.
    expect(disruptionBudgetStatus(budget({ maxUnavailable: 1 }), [], now)).toMatchObject({
      expectedPods: 0,
      desiredHealthy: 0,
      disruptionsAllowed: 0,
      conditions: [{ reason: 'InsufficientPods' }],
    });
  });

  it('selects with policy/v1 semantics: no selector selects nothing, an empty one every pod', () => {
    const none: PodDisruptionBudget = { metadata: { name: 'x' }, spec: {} };
    const all: PodDisruptionBudget = { metadata: { name: 'x' }, spec: { selector: {} } };
    expect(selectsPod(none, pod('a1'))).toBe(false);
    expect(selectsPod(all, pod('a1'))).toBe(true);
    expect(
      selectsPod(
        {
          metadata: {},
          spec: { selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['b'] }] } },
        },
        pod('a1'),
      ),
    ).toBe(false);
  });
});
