import type { Taint, Toleration } from 'kubernetes-types/core/v1';

/**
 * Kubernetes' Toleration.ToleratesTaint: an empty effect or key matches any, operator Exists
 * matches any value, Equal (the default) the same value.
 */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? '') {
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function tolerationsTolerateTaint(tolerations: readonly Toleration[], taint: Taint): boolean {
  for (const toleration of tolerations) if (tolerates(toleration, taint)) return true;
  return false;
}

/** The taints that keep pods off a node: NoSchedule and NoExecute (Kubernetes' DoNotScheduleTaintsFilterFunc). */
export const doNotSchedule = (taint: Taint): boolean =>
  taint.effect === 'NoSchedule' || taint.effect === 'NoExecute';

/** Kubernetes' FindMatchingUntoleratedTaint: the first taint, in node order, that the pod does not tolerate. */
export function findUntoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[],
  relevant: (taint: Taint) => boolean,
): Taint | undefined {
  if (!taints) return undefined;
  for (const taint of taints)
    if (relevant(taint) && !tolerationsTolerateTaint(tolerations, taint)) return taint;
  return undefined;
}
