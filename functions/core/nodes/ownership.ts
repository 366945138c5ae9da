import type { Taint } from 'kubernetes-types/core/v1';
import type { Node } from '../k8s';
import { fargateTaint } from './fargate-pool';

/**
 * Who owns which part of a node. ECS (through node sync) owns its capacity, addresses, node info
 * and conditions (the whole status), its providerID, the well-known labels podplane derives from
 * the container instance or Fargate pool, the podplane.dev/ annotations, and the taints podplane
 * sets itself. Users own `spec.unschedulable`, every other taint, label and annotation: node sync
 * rewrites only what ECS owns and keeps the rest, and an API update may change only the rest.
 */

/** Kubernetes' TaintNodeUnschedulable: the taint a cordoned node carries. */
export const unschedulableTaintKey = 'node.kubernetes.io/unschedulable';

/** Labels podplane sets from the container instance (from-container-instance.ts) or pool. */
const ecsOwnedLabels: ReadonlySet<string> = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'topology.kubernetes.io/zone',
  'node.kubernetes.io/instance-type',
  'eks.amazonaws.com/compute-type',
]);

/** Taint keys podplane sets itself: Fargate's opt-in taint, the node-pool's removal mark. */
const ecsOwnedTaintKeys: ReadonlySet<string> = new Set([fargateTaint.key, 'ToBeDeletedByClusterAutoscaler']);

export const isEcsOwnedLabel = (key: string): boolean => ecsOwnedLabels.has(key);
export const isEcsOwnedAnnotation = (key: string): boolean => key.startsWith('podplane.dev/');
export const isEcsOwnedTaint = (taint: Taint): boolean => ecsOwnedTaintKeys.has(taint.key);

const isUnschedulableTaint = (taint: Taint) =>
  taint.key === unschedulableTaintKey && taint.effect === 'NoSchedule';

/** The entries of `map` whose keys `owned` does not claim. */
function entriesNotOwned(
  map: Readonly<Record<string, string>> | undefined,
  owned: (key: string) => boolean,
): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).filter(([key]) => !owned(key)));
}

/**
 * The node as node sync writes it: everything ECS owns from `fromEcs` (the node made from the
 * container instance now), everything users own from `stored` (the node as it is), and the
 * unschedulable taint matching the result. A container instance ECS drains cordons the node;
 * as with `kubectl drain`, it stays cordoned until someone uncordons it.
 */
export function mergeUserOwnedFields(fromEcs: Node, stored: Node | undefined, now: string): Node {
  if (!stored) return withUnschedulableTaint(fromEcs, now);
  const labels = {
    ...entriesNotOwned(stored.metadata?.labels, isEcsOwnedLabel),
    ...fromEcs.metadata?.labels,
  };
  const annotations = {
    ...entriesNotOwned(stored.metadata?.annotations, isEcsOwnedAnnotation),
    ...fromEcs.metadata?.annotations,
  };
  const taints = [
    ...(fromEcs.spec?.taints ?? []),
    ...(stored.spec?.taints ?? []).filter((taint) => !isEcsOwnedTaint(taint)),
  ];
  const unschedulable = fromEcs.spec?.unschedulable === true || stored.spec?.unschedulable === true;
  const { taints: _ecsTaints, unschedulable: _ecsUnschedulable, ...spec } = fromEcs.spec ?? {};
  return withUnschedulableTaint(
    {
      ...fromEcs,
      metadata: {
        ...fromEcs.metadata,
        ...(stored.metadata?.managedFields ? { managedFields: stored.metadata.managedFields } : {}),
        labels,
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      },
      spec: {
        ...spec,
        ...(unschedulable ? { unschedulable } : {}),
        ...(taints.length > 0 ? { taints } : {}),
      },
    },
    now,
  );
}

/**
 * The node with the unschedulable NoSchedule taint exactly when it is cordoned, as Kubernetes'
 * node lifecycle controller keeps it (TaintNodesByCondition). podplane makes it part of the same
 * write that cordons or uncordons, so no scheduler ever sees one without the other.
 */
export function withUnschedulableTaint(node: Node, now: string): Node {
  const taints = node.spec?.taints ?? [];
  const has = taints.some(isUnschedulableTaint);
  const cordoned = node.spec?.unschedulable === true;
  if (has === cordoned) return node;
  const next = cordoned
    ? [...taints, { key: unschedulableTaintKey, effect: 'NoSchedule', timeAdded: now }]
    : taints.filter((taint) => !isUnschedulableTaint(taint));
  const { taints: _old, ...spec } = node.spec ?? {};
  return { ...node, spec: { ...spec, ...(next.length > 0 ? { taints: next } : {}) } };
}

/**
 * NoExecute taints carry the time they were added (what tolerationSeconds counts from): a taint
 * the node already had keeps its time, a new one gets `now`.
 */
export function withTaintTimes(node: Node, before: Node, now: string): Node {
  const taints = node.spec?.taints;
  if (!taints?.some((taint) => taint.effect === 'NoExecute' && !taint.timeAdded)) return node;
  const added = (taint: Taint) =>
    before.spec?.taints?.find((t) => t.key === taint.key && t.effect === taint.effect)?.timeAdded ?? now;
  return {
    ...node,
    spec: {
      ...node.spec,
      taints: taints.map((taint) =>
        taint.effect === 'NoExecute' && !taint.timeAdded ? { ...taint, timeAdded: added(taint) } : taint,
      ),
    },
  };
}
