import type { Taint } from 'kubernetes-types/core/v1';
import { jsonEqual } from '../equal';
import { type FieldError, invalid } from '../errors';
import type { Node } from '../k8s';
import { isEcsOwnedAnnotation, isEcsOwnedLabel, isEcsOwnedTaint } from '../nodes/ownership';
import { forbidden } from '../validation/field-errors';
import { validateAnnotations, validateLabels } from '../validation/labels';
import { validateTaints } from '../validation/taints';
import { checkUpdateIdentity, type ObjectKey, type Part } from './registry/strategy';

/**
 * What an update may change on a node, as kube-apiserver's node strategy and ValidateNodeUpdate
 * decide it: labels, annotations, `spec.unschedulable` and `spec.taints`. The status is the
 * kubelet's (here ECS's, through node sync) and an update of the node leaves it as it is, as
 * the node strategy's PrepareForUpdate does; providerID and podCIDRs may not change once set.
 * What podplane derives from ECS (nodes/ownership.ts) may not change either: node sync would
 * undo it, so the update is refused instead of silently lost.
 */
export function admitNodeUpdate(current: Node, proposed: Node, _part: Part, key: ObjectKey): Node {
  checkUpdateIdentity(current, proposed, key);
  const { name } = key;
  const labels = proposed.metadata?.labels ?? {};
  const annotations = proposed.metadata?.annotations ?? {};
  const taints = proposed.spec?.taints ?? [];
  const errors: FieldError[] = [
    ...validateLabels(Object.entries(labels), 'metadata.labels'),
    ...validateAnnotations(Object.entries(annotations), 'metadata.annotations'),
    ...validateTaints(taints, 'metadata.taints'),
    ...immutableSpecErrors(current, proposed),
    ...ecsOwnedErrors(current, labels, annotations, taints),
  ];
  if (errors.length > 0) throw invalid('Node', name, errors);
  const { labels: _l, annotations: _a, ...metadata } = current.metadata ?? {};
  const { unschedulable: _u, taints: _t, ...spec } = current.spec ?? {};
  return {
    ...current,
    metadata: {
      ...metadata,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: {
      ...spec,
      ...(proposed.spec?.unschedulable ? { unschedulable: true } : {}),
      ...(taints.length > 0 ? { taints } : {}),
    },
  };
}

const immutableDetail = (field: string) => `node updates may not change ${field} except from "" to valid`;

/** ValidateNodeUpdate's rules for the spec fields set once. */
function immutableSpecErrors(current: Node, proposed: Node): FieldError[] {
  const errors: FieldError[] = [];
  const providerID = current.spec?.providerID ?? '';
  if (providerID !== '' && (proposed.spec?.providerID ?? '') !== providerID)
    errors.push(forbidden('spec.providerID', immutableDetail('providerID')));
  const podCIDRs = current.spec?.podCIDRs ?? [];
  if (podCIDRs.length > 0 && !jsonEqual(proposed.spec?.podCIDRs ?? [], podCIDRs))
    errors.push(forbidden('spec.podCIDRs', immutableDetail('podCIDR')));
  return errors;
}

/** The labels, annotations and taints ECS owns that the update would change. */
function ecsOwnedErrors(
  current: Node,
  labels: Readonly<Record<string, string>>,
  annotations: Readonly<Record<string, string>>,
  taints: readonly Taint[],
): FieldError[] {
  const errors: FieldError[] = [];
  const changedKeys = (
    before: Readonly<Record<string, string>>,
    after: Readonly<Record<string, string>>,
    owned: (key: string) => boolean,
  ) =>
    [...new Set([...Object.keys(before), ...Object.keys(after)])]
      .filter((key) => owned(key) && before[key] !== after[key])
      .sort();
  for (const key of changedKeys(current.metadata?.labels ?? {}, labels, isEcsOwnedLabel))
    errors.push(forbidden(`metadata.labels[${key}]`, setByPodplane('label')));
  for (const key of changedKeys(current.metadata?.annotations ?? {}, annotations, isEcsOwnedAnnotation))
    errors.push(forbidden(`metadata.annotations[${key}]`, setByPodplane('annotation')));
  const owned = (list: readonly Taint[]) =>
    list
      .filter(isEcsOwnedTaint)
      .map(({ key, value, effect }) => JSON.stringify([key, value ?? '', effect]))
      .sort();
  if (!jsonEqual(owned(current.spec?.taints ?? []), owned(taints)))
    errors.push(forbidden('spec.taints', setByPodplane('taint')));
  return errors;
}

const setByPodplane = (what: string) =>
  `this ${what} is set by podplane from the node's ECS capacity and may not be changed`;
