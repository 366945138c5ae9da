import type { PodCondition } from '../k8s';

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
