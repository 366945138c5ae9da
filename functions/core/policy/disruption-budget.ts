import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1';
import type { FieldError } from '../errors';
import type { Pod } from '../k8s';
import { compileLabelSelector } from '../scheduler/label-selector';
import { invalid, notSupported } from '../validation/field-errors';
import { validateLabelSelector } from '../validation/label-selector';
import { validatePodMetadata } from '../validation/metadata';

export type { PodDisruptionBudget };

type IntOrString = number | string;

/**
 * How Go prints an IntOrString a field error names (`%#v` of the struct, which has no String
 * method on its value), so messages read as kube-apiserver's.
 */
const goIntOrString = (value: IntOrString) =>
  typeof value === 'number'
    ? `intstr.IntOrString{Type:0, IntVal:${value}, StrVal:""}`
    : `intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(value)}}`;

const invalidIntOrString = (field: string, value: IntOrString, detail: string): FieldError => ({
  field,
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${goIntOrString(value)}: ${detail}`,
});

const percent = /^[0-9]+%$/;

/** ValidatePositiveIntOrPercent and IsNotMoreThan100Percent of the policy validation. */
function intOrPercentErrors(value: IntOrString, field: string): FieldError[] {
  if (typeof value === 'string') {
    if (!percent.test(value))
      return [invalidIntOrString(field, value, "must be an integer or percentage (e.g '5%')")];
    if (Number(value.slice(0, -1)) > 100)
      return [invalidIntOrString(field, value, 'must not be greater than 100%')];
    return [];
  }
  return value < 0 ? [invalid(field, value, 'must be greater than or equal to 0')] : [];
}

const evictionPolicies = ['AlwaysAllow', 'IfHealthyBudget'];

/**
 * policy validation's ValidatePodDisruptionBudget: object metadata (a DNS subdomain name), at most
 * one of minAvailable and maxUnavailable, each an integer of at least 0 or a percentage of at most
 * 100%, a valid label selector, and a known unhealthyPodEvictionPolicy.
 */
export function validatePodDisruptionBudget(pdb: PodDisruptionBudget): FieldError[] {
  const errors = validatePodMetadata({ ...(pdb.metadata ?? {}) } as Record<string, unknown>);
  const spec = pdb.spec ?? {};
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined)
    errors.push(
      invalidIntOrString(
        'spec.minAvailable',
        spec.minAvailable,
        'minAvailable and maxUnavailable cannot be both set',
      ),
    );
  if (spec.minAvailable !== undefined)
    errors.push(...intOrPercentErrors(spec.minAvailable, 'spec.minAvailable'));
  if (spec.maxUnavailable !== undefined)
    errors.push(...intOrPercentErrors(spec.maxUnavailable, 'spec.maxUnavailable'));
  errors.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy !== undefined && !evictionPolicies.includes(policy))
    errors.push(notSupported('spec.unhealthyPodEvictionPolicy', policy, evictionPolicies));
  return errors;
}

/** Whether a budget's selector selects a pod (policy/v1: a null selector selects none, `{}` all). */
export function selectsPod(pdb: PodDisruptionBudget, pod: Pod): boolean {
  return compileLabelSelector(pdb.spec?.selector).matches(pod.metadata?.labels ?? {});
}

/** How long an eviction's entry in disruptedPods counts the pod as gone (the controller's DeletionTimeout). */
export const disruptedPodTimeoutMs = 2 * 60 * 1000;

const isReady = (pod: Pod) =>
  pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ===
  true;

/** A pod the budget counts as healthy: Ready, not being deleted, not just evicted. */
export function isHealthy(pod: Pod, disrupted: Readonly<Record<string, string>>, now: Date): boolean {
  if (pod.metadata?.deletionTimestamp || !isReady(pod)) return false;
  const evicted = disrupted[pod.metadata?.name ?? ''];
  return !evicted || Date.parse(evicted) + disruptedPodTimeoutMs <= now.getTime();
}

/** intstr.GetScaledValueFromIntOrPercent, rounding up. */
const scaled = (value: IntOrString, total: number) =>
  typeof value === 'number' ? value : Math.ceil((Number(value.slice(0, -1)) * total) / 100);

/**
 * The status the disruption controller writes, for a namespace's pods: the pods the selector
 * selects are the expected ones, those Ready and not being deleted (nor evicted in the last two
 * minutes) the healthy ones. A percentage, or maxUnavailable, scales with the replicas of the
 * pods' controllers; podplane serves no controllers, so as the controller does for pods without
 * one it fails safe: no disruption allowed, with the reason in the DisruptionAllowed condition.
 */
export function disruptionBudgetStatus(
  pdb: PodDisruptionBudget,
  namespacePods: readonly Pod[],
  now: Date,
): PodDisruptionBudgetStatus {
  const pods = namespacePods.filter((pod) => selectsPod(pdb, pod));
  const stored = pdb.status;
  const disrupted = Object.fromEntries(
    Object.entries(stored?.disruptedPods ?? {}).filter(
      ([name, at]) =>
        Date.parse(at) + disruptedPodTimeoutMs > now.getTime() &&
        pods.some((pod) => pod.metadata?.name === name && !pod.metadata?.deletionTimestamp),
    ),
  );
  const { minAvailable, maxUnavailable } = pdb.spec ?? {};
  const generation = pdb.metadata?.generation ?? 1;
  const since = pdb.metadata?.creationTimestamp ?? now.toISOString();
  const needsScale = maxUnavailable !== undefined || typeof minAvailable === 'string';
  // The first pod's controller is where the controller gives up: without one, or with one whose
  // scale podplane cannot read (it serves no workload controllers).
  const [first] = pods;
  if (needsScale && first) {
    const managed = first.metadata?.ownerReferences?.some((owner) => owner.controller) === true;
    const message = managed
      ? `found no controllers for pod "${first.metadata?.name ?? ''}"`
      : `found no controller ref for pod "${first.metadata?.name ?? ''}"`;
    return {
      currentHealthy: stored?.currentHealthy ?? 0,
      desiredHealthy: stored?.desiredHealthy ?? 0,
      expectedPods: stored?.expectedPods ?? 0,
      disruptionsAllowed: 0,
      ...(stored?.observedGeneration !== undefined ? { observedGeneration: stored.observedGeneration } : {}),
      conditions: [
        {
          type: 'DisruptionAllowed',
          status: 'False',
          reason: 'SyncFailed',
          message,
          lastTransitionTime: since,
          observedGeneration: stored?.observedGeneration ?? 0,
        },
      ],
    };
  }
  const expectedPods = pods.length;
  const desiredHealthy =
    maxUnavailable !== undefined
      ? Math.max(0, expectedPods - scaled(maxUnavailable, expectedPods))
      : minAvailable !== undefined
        ? scaled(minAvailable, expectedPods)
        : 0;
  const currentHealthy = pods.filter((pod) => isHealthy(pod, disrupted, now)).length;
  const allowed = currentHealthy - desiredHealthy;
  const disruptionsAllowed = expectedPods <= 0 || allowed <= 0 ? 0 : allowed;
  return {
    ...(Object.keys(disrupted).length > 0 ? { disruptedPods: disrupted } : {}),
    disruptionsAllowed,
    currentHealthy,
    desiredHealthy,
    expectedPods,
    observedGeneration: generation,
    conditions: [
      {
        type: 'DisruptionAllowed',
        status: disruptionsAllowed > 0 ? 'True' : 'False',
        reason: disruptionsAllowed > 0 ? 'SufficientPods' : 'InsufficientPods',
        message: '',
        lastTransitionTime: since,
        observedGeneration: generation,
      },
    ],
  };
}
