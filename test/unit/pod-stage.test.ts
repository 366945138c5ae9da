import { describe, expect, it } from 'vitest';
import type { Pod, PodCondition } from '../../functions/core/k8s';
import { isFinished, podStage } from '../../functions/core/pod/stage';

const base: Pod = { metadata: { name: 'web' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } };
const withStatus = (pod: Pod, phase: string, conditions: PodCondition[] = []): Pod => ({
  ...pod,
  status: { phase, conditions },
});
const bound: Pod = {
  ...base,
  spec: { ...base.spec, containers: base.spec?.containers ?? [], nodeName: 'node-1' },
};

describe('podStage', () => {
  it('is schedule for a new, unbound pod', () => {
    expect(podStage(withStatus(base, 'Pending'), {})).toBe('schedule');
    expect(podStage(base, {})).toBe('schedule');
  });

  it('is unschedulable when the scheduler marked PodScheduled False with reason Unschedulable', () => {
    const pod = withStatus(base, 'Pending', [
      {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message: '0/3 nodes are available: 3 Insufficient cpu.',
      },
    ]);
    expect(podStage(pod, {})).toBe('unschedulable');
  });

  it('is schedule again when PodScheduled is False for another reason', () => {
    const pod = withStatus(base, 'Pending', [
      { type: 'PodScheduled', status: 'False', reason: 'SchedulerError' },
    ]);
    expect(podStage(pod, {})).toBe('schedule');
  });

  it('is launch for a bound pod without an ECS task', () => {
    expect(podStage(withStatus(bound, 'Pending'), {})).toBe('launch');
  });

  it('is backoff while a stopped task waits to restart, and stop once the pod is deleted meanwhile', () => {
    const facts = { taskArn: 'arn:aws:ecs:us-east-1:1:task/c/t', restartDue: 1_000 };
    expect(podStage(withStatus(bound, 'Running'), facts)).toBe('backoff');
    const deleted = { ...bound, metadata: { ...bound.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
    expect(podStage(deleted, facts)).toBe('stop');
  });

  it('is done for a pod being deleted that runs nothing: finished, or never bound', () => {
    const deleting = (pod: Pod): Pod => ({
      ...pod,
      metadata: { ...pod.metadata, deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['example.com/a'] },
    });
    const taskArn = 'arn:aws:ecs:us-east-1:1:task/c/t';
    expect(podStage(deleting(withStatus(bound, 'Succeeded')), { taskArn })).toBe('done');
    expect(podStage(deleting(withStatus(bound, 'Failed')), { taskArn })).toBe('done');
    expect(podStage(deleting(withStatus(base, 'Pending')), {})).toBe('done');
    expect(podStage(deleting(withStatus(bound, 'Running')), { taskArn })).toBe('stop');
  });

  it('is run once a task exists', () => {
    expect(podStage(withStatus(bound, 'Running'), { taskArn: 'arn:aws:ecs:us-east-1:1:task/c/abc' })).toBe(
      'run',
    );
  });

  it('is replace while the spec is newer than the generation the kubelet acted on for the task', () => {
    const taskArn = 'arn:aws:ecs:us-east-1:1:task/c/abc';
    const at = (generation: number): Pod => ({
      ...withStatus(bound, 'Running'),
      metadata: { ...bound.metadata, generation },
    });
    expect(podStage(at(2), { taskArn, specGeneration: 1 })).toBe('replace');
    expect(podStage(at(2), { taskArn, specGeneration: 2 })).toBe('run');
    // Records written before the kubelet kept the generation ran the first spec.
    expect(podStage(at(1), { taskArn })).toBe('run');
    expect(podStage(at(2), { taskArn })).toBe('replace');
    expect(podStage(at(2), { taskArn, restartDue: 1_000, specGeneration: 1 })).toBe('replace');
    expect(podStage(at(2), { taskArn, restartDue: 1_000, specGeneration: 2 })).toBe('backoff');
    // Not launched yet: it launches with the spec as it is.
    expect(podStage(at(2), {})).toBe('launch');
    expect(podStage({ ...at(2), status: { phase: 'Succeeded' } }, { taskArn, specGeneration: 1 })).toBe(
      'done',
    );
  });

  it.each(['Succeeded', 'Failed'])('is done when the phase is %s', (phase) => {
    expect(podStage(withStatus(bound, phase), { taskArn: 'arn:aws:ecs:us-east-1:1:task/c/abc' })).toBe(
      'done',
    );
  });

  it('is stop once deletionTimestamp is set, whatever else is true', () => {
    const deleting: Pod = {
      ...withStatus(bound, 'Running'),
      metadata: { ...bound.metadata, deletionTimestamp: '2026-03-01T12:00:30Z' },
    };
    expect(podStage(deleting, { taskArn: 'arn:aws:ecs:us-east-1:1:task/c/abc' })).toBe('stop');
    expect(podStage(deleting, {})).toBe('stop');
  });
});

describe('isFinished', () => {
  it('is true only for the terminal phases Succeeded and Failed', () => {
    expect(
      ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'].map((p) => isFinished(withStatus(bound, p))),
    ).toEqual([false, false, true, true, false]);
  });
});
