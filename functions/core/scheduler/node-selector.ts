import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod } from 'kubernetes-types/core/v1';

type Labels = Readonly<Record<string, string>>;

/** Whether a node satisfies what a pod requires of it. */
export interface NodeMatcher {
  /** True when the pod requires nothing, so callers may skip the check. */
  readonly matchesAll: boolean;
  matches(node: Node): boolean;
}

export const matchAllNodes: NodeMatcher = { matchesAll: true, matches: () => true };

const noLabels: Labels = {};
const labelsOf = (node: Node): Labels => node.metadata?.labels ?? noLabels;
const has = (labels: Labels, key: string) => Object.hasOwn(labels, key);
const never = () => false;

/** The only node field Kubernetes selects nodes by (extractNodeFields). */
export const nodeNameField = 'metadata.name';

/**
 * Kubernetes' GetRequiredNodeAffinity: spec.nodeSelector (every label equal) and
 * requiredDuringSchedulingIgnoredDuringExecution (any term) must both hold.
 */
export function requiredNodeAffinity(pod: Pod): NodeMatcher {
  const nodeSelector = pod.spec?.nodeSelector;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (nodeSelector === undefined && required === undefined) return matchAllNodes;
  const selector = Object.entries(nodeSelector ?? {});
  // Empty terms select nothing and are dropped; a term that does not parse never matches.
  const terms = required?.nodeSelectorTerms.filter((t) => !isEmptyTerm(t)).map(compileNodeSelectorTerm);
  return {
    matchesAll: false,
    matches(node) {
      const labels = labelsOf(node);
      for (const [key, value] of selector) if (labels[key] !== value || !has(labels, key)) return false;
      if (terms === undefined) return true;
      for (const term of terms) if (term(node)) return true;
      return false;
    },
  };
}

export interface WeightedNodeTerm {
  readonly weight: number;
  readonly matches: (node: Node) => boolean;
}

/**
 * Kubernetes' NewPreferredSchedulingTerms: the pod's preferred terms, leaving out those of
 * weight 0 or with an empty preference. Undefined when the pod states no preference.
 */
export function preferredNodeTerms(pod: Pod): readonly WeightedNodeTerm[] | undefined {
  const preferred = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  if (preferred === undefined) return undefined;
  return preferred
    .filter((t) => t.weight !== 0 && !isEmptyTerm(t.preference))
    .map((t) => ({ weight: t.weight, matches: compileNodeSelectorTerm(t.preference) }));
}

export const isEmptyTerm = (term: NodeSelectorTerm) =>
  (term.matchExpressions ?? []).length === 0 && (term.matchFields ?? []).length === 0;

/**
 * One nodeSelectorTerm: its matchExpressions (on labels) and matchFields (on metadata.name) all
 * hold. A requirement that does not parse (In without values, Gt with a non-integer, an unknown
 * operator...) makes the whole term fail, as Kubernetes' lazy-error selector does.
 */
export function compileNodeSelectorTerm(term: NodeSelectorTerm): (node: Node) => boolean {
  const labelChecks: ((labels: Labels) => boolean)[] = [];
  for (const requirement of term.matchExpressions ?? []) {
    const check = labelRequirement(requirement);
    if (!check) return never;
    labelChecks.push(check);
  }
  const fieldChecks: ((name: string) => boolean)[] = [];
  for (const requirement of term.matchFields ?? []) {
    const check = fieldRequirement(requirement);
    if (!check) return never;
    fieldChecks.push(check);
  }
  return (node) => {
    if (labelChecks.length > 0) {
      const labels = labelsOf(node);
      for (const check of labelChecks) if (!check(labels)) return false;
    }
    if (fieldChecks.length > 0) {
      const name = node.metadata?.name ?? '';
      for (const check of fieldChecks) if (!check(name)) return false;
    }
    return true;
  };
}

/** labels.Requirement semantics: NotIn and DoesNotExist hold when the label is missing; Gt/Lt compare integers. */
function labelRequirement(requirement: NodeSelectorRequirement): ((labels: Labels) => boolean) | undefined {
  const { key, operator } = requirement;
  const values = requirement.values ?? [];
  switch (operator) {
    case 'In':
    case 'NotIn': {
      if (values.length === 0) return undefined;
      const set = new Set(values);
      return operator === 'In'
        ? (labels) => has(labels, key) && set.has(labels[key] as string)
        : (labels) => !has(labels, key) || !set.has(labels[key] as string);
    }
    case 'Exists':
      return values.length === 0 ? (labels) => has(labels, key) : undefined;
    case 'DoesNotExist':
      return values.length === 0 ? (labels) => !has(labels, key) : undefined;
    case 'Gt':
    case 'Lt': {
      const bound = values.length === 1 ? parseInt64(values[0] as string) : undefined;
      if (bound === undefined) return undefined;
      return (labels) => {
        const value = has(labels, key) ? parseInt64(labels[key] as string) : undefined;
        if (value === undefined) return false;
        return operator === 'Gt' ? value > bound : value < bound;
      };
    }
    default:
      return undefined;
  }
}

/** matchFields take exactly one value and the operators In and NotIn (nodeSelectorRequirementsAsFieldSelector). */
function fieldRequirement(requirement: NodeSelectorRequirement): ((name: string) => boolean) | undefined {
  const values = requirement.values ?? [];
  if (values.length !== 1) return undefined;
  const wanted = values[0];
  // A field other than metadata.name reads as "" (fields.Set.Get).
  const read = requirement.key === nodeNameField ? (name: string) => name : () => '';
  if (requirement.operator === 'In') return (name) => read(name) === wanted;
  if (requirement.operator === 'NotIn') return (name) => read(name) !== wanted;
  return undefined;
}

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(s, 10, 64): an optional sign and decimal digits, within int64. */
function parseInt64(text: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value < int64Min || value > int64Max ? undefined : value;
}
