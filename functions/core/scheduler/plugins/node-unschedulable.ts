import type { Taint } from 'kubernetes-types/core/v1';
import type { FilterPlugin } from '../framework';
import { tolerationsTolerateTaint } from '../taints';

/** Kubernetes' ErrReasonUnschedulable. */
export const nodeUnschedulableReason = 'node(s) were unschedulable';
const rejected = [nodeUnschedulableReason];

/** What a cordoned node is treated as carrying (v1.TaintNodeUnschedulable). */
const unschedulableTaint: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

/** Cordoned nodes (spec.unschedulable) take no new pods unless the pod tolerates the unschedulable taint. */
export const nodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  preFilter({ tolerations }) {
    if (tolerationsTolerateTaint(tolerations, unschedulableTaint)) return {};
    return { filter: ({ node }) => (node.spec?.unschedulable ? rejected : undefined) };
  },
};
