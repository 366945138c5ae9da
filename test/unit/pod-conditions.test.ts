import { describe, expect, it } from 'vitest';
import type { PodCondition } from '../../functions/core/k8s';
import { withCondition, withConditions } from '../../functions/core/pod/conditions';

// PodCondition.lastTransitionTime is "the last time the condition transitioned from one status
// to another": it stays put while the status does, even if reason or message change.

const t0 = '2026-03-01T12:00:00Z';
const t1 = '2026-03-01T12:05:00Z';
const notReady: PodCondition = {
  type: 'Ready',
  status: 'False',
  reason: 'ContainersNotReady',
  lastTransitionTime: t0,
};

describe('withCondition', () => {
  it('stamps a new condition with the current time', () => {
    expect(withCondition([], { type: 'PodScheduled', status: 'True' }, t1)).toEqual([
      { type: 'PodScheduled', status: 'True', lastTransitionTime: t1 },
    ]);
  });

  it('keeps lastTransitionTime when the status is unchanged, even if the message changes', () => {
    const [ready] = withCondition(
      [notReady],
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'x' },
      t1,
    );
    expect(ready).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'x',
      lastTransitionTime: t0,
    });
  });

  it('moves lastTransitionTime when the status changes', () => {
    expect(withCondition([notReady], { type: 'Ready', status: 'True' }, t1)).toEqual([
      { type: 'Ready', status: 'True', lastTransitionTime: t1 },
    ]);
  });

  it('replaces only the condition of the same type and leaves the input alone', () => {
    const scheduled: PodCondition = { type: 'PodScheduled', status: 'True', lastTransitionTime: t0 };
    const before: PodCondition[] = [scheduled, notReady];
    const after = withCondition(before, { type: 'Ready', status: 'True' }, t1);
    expect(after).toHaveLength(2);
    expect(after).toContainEqual(scheduled);
    expect(before).toEqual([scheduled, notReady]);
  });
});

describe('withConditions', () => {
  it('applies each condition with the same rule', () => {
    const after = withConditions(
      [notReady, { type: 'PodScheduled', status: 'True', lastTransitionTime: t0 }],
      [
        { type: 'PodScheduled', status: 'True' },
        { type: 'Ready', status: 'True' },
        { type: 'Initialized', status: 'True' },
      ],
      t1,
    );
    const byType = Object.fromEntries(after.map((c) => [c.type, c.lastTransitionTime]));
    expect(byType).toEqual({ PodScheduled: t0, Ready: t1, Initialized: t1 });
  });

  it('treats undefined conditions as none', () => {
    expect(withConditions(undefined, [{ type: 'PodScheduled', status: 'True' }], t1)).toEqual([
      { type: 'PodScheduled', status: 'True', lastTransitionTime: t1 },
    ]);
  });
});
