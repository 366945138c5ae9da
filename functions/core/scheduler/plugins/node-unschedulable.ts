import type { FilterPlugin } from '../framework';

/** Cordoned nodes take no new pods unless the pod tolerates the unschedulable taint. */
export const nodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  filter(pod, _requests, { node }) {
    if (!node.spec?.unschedulable) return [];
    const tolerated = (pod.spec?.tolerations ?? []).some(
      (t) =>
        (t.key === 'node.kubernetes.io/unschedulable' || (t.key === undefined && t.operator === 'Exists')) &&
        (t.effect === undefined || t.effect === 'NoSchedule'),
    );
    return tolerated ? [] : ['node(s) were unschedulable'];
  },
};
