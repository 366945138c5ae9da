import type { Pod, PodCondition } from '../k8s';

/** Replaces the condition of the same type; its transition time moves only when its status does. */
export function withCondition(
  conditions: readonly PodCondition[] | undefined,
  condition: PodCondition,
  now: string,
): PodCondition[] {
  const before = conditions?.find((c) => c.type === condition.type);
  const lastTransitionTime = before && before.status === condition.status ? before.lastTransitionTime : now;
  return [
    ...(conditions ?? []).filter((c) => c.type !== condition.type),
    { ...condition, lastTransitionTime },
  ];
}

export function withConditions(
  conditions: readonly PodCondition[] | undefined,
  next: readonly PodCondition[],
  now: string,
): PodCondition[] {
  return next.reduce<PodCondition[]>(
    (acc, condition) => withCondition(acc, condition, now),
    [...(conditions ?? [])],
  );
}

/** Waiting for a node: PodScheduled False/Unschedulable with why, as the scheduler reports it. */
export function unschedulablePod(pod: Pod, message: string, now: string): Pod {
  const condition = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message };
  return {
    ...pod,
    status: {
      ...pod.status,
      phase: 'Pending',
      conditions: withCondition(pod.status?.conditions, condition, now),
    },
  };
}
