import type { Node } from 'kubernetes-types/core/v1';
import type { FilterPlugin, NodeInfo, PodOnNode, SchedulingCycle, ScorePlugin } from '../framework';
import { compileLabelSelector, type PodSelector } from '../label-selector';
import { maxNodeScore } from '../normalize';
import { doNotSchedule, findUntoleratedTaint } from '../taints';

/** Kubernetes' ErrReasonConstraintsNotMatch and ErrReasonNodeLabelNotMatch. */
export const topologySpreadReason = "node(s) didn't match pod topology spread constraints";
export const topologyLabelMissingReason = `${topologySpreadReason} (missing required label)`;
const skewTooLarge = [topologySpreadReason];
const labelMissing = [topologyLabelMissingReason];

export const hostnameLabel = 'kubernetes.io/hostname';
export const zoneLabel = 'topology.kubernetes.io/zone';

type Labels = Readonly<Record<string, string>>;
const noLabels: Labels = {};
const labelsOf = (node: Node): Labels => node.metadata?.labels ?? noLabels;

/** A topologySpreadConstraint with Kubernetes' defaults applied and its selector parsed. */
interface Constraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly selector: PodSelector;
  readonly minDomains: number;
  /** nodeAffinityPolicy Honor (the default): only nodes the pod's node affinity admits count. */
  readonly honorNodeAffinity: boolean;
  /** nodeTaintsPolicy Honor (default Ignore): only nodes whose taints the pod tolerates count. */
  readonly honorNodeTaints: boolean;
}

/**
 * The pod's constraints for one whenUnsatisfiable, as Kubernetes' filterTopologySpreadConstraints:
 * matchLabelKeys add the pod's own values for those keys to the selector. (Kubernetes also
 * derives default constraints from the Services and ReplicaSets selecting the pod; podplane has
 * neither, so a pod without constraints is not spread.)
 */
function constraintsOf(cycle: SchedulingCycle, action: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  const constraints: Constraint[] = [];
  for (const c of cycle.pod.spec?.topologySpreadConstraints ?? []) {
    if (c.whenUnsatisfiable !== action) continue;
    const ownValues: Record<string, string> = {};
    for (const key of c.matchLabelKeys ?? [])
      if (Object.hasOwn(cycle.labels, key)) ownValues[key] = cycle.labels[key] as string;
    constraints.push({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector: compileLabelSelector(c.labelSelector, ownValues),
      minDomains: c.minDomains ?? 1,
      honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
      honorNodeTaints: (c.nodeTaintsPolicy ?? 'Ignore') === 'Honor',
    });
  }
  return constraints;
}

/** Only nodes that carry every constraint's topology key take part in spreading. */
function hasAllTopologyKeys(labels: Labels, constraints: readonly Constraint[]): boolean {
  for (const c of constraints) if (!Object.hasOwn(labels, c.topologyKey)) return false;
  return true;
}

/** Kubernetes' matchNodeInclusionPolicies. */
function includesNode(c: Constraint, cycle: SchedulingCycle, node: Node): boolean {
  if (c.honorNodeAffinity && !cycle.requiredNodeAffinity.matches(node)) return false;
  if (c.honorNodeTaints && findUntoleratedTaint(node.spec?.taints, cycle.tolerations, doNotSchedule))
    return false;
  return true;
}

/** Kubernetes' countPodsMatchSelector: pods of the same namespace; an empty selector counts none. */
function countMatchingPods(
  pods: readonly PodOnNode[] | undefined,
  selector: PodSelector,
  namespace: string,
): number {
  if (!pods || selector.empty) return 0;
  let count = 0;
  for (const pod of pods) if (pod.namespace === namespace && selector.matches(pod.labels)) count++;
  return count;
}

/**
 * DoNotSchedule constraints: placing the pod in a domain must keep
 * `matching pods there + 1 (if the pod matches its own selector) - global minimum <= maxSkew`,
 * the global minimum taken over every eligible domain, and 0 while there are fewer domains than
 * minDomains. Domains and counts come from every node, not only those that pass other filters.
 */
export const podTopologySpread: FilterPlugin = {
  name: 'PodTopologySpread',
  preFilter(cycle) {
    const constraints = constraintsOf(cycle, 'DoNotSchedule');
    if (constraints.length === 0) return {};
    const matchNum = constraints.map(() => new Map<string, number>());
    for (const info of cycle.nodes) {
      const labels = labelsOf(info.node);
      if (!hasAllTopologyKeys(labels, constraints)) continue;
      constraints.forEach((c, i) => {
        if (!includesNode(c, cycle, info.node)) return;
        const domain = labels[c.topologyKey] as string;
        const counts = matchNum[i] as Map<string, number>;
        counts.set(
          domain,
          (counts.get(domain) ?? 0) + countMatchingPods(info.pods, c.selector, cycle.namespace),
        );
      });
    }
    const globalMin = matchNum.map((counts) => {
      let min = 2 ** 31 - 1;
      for (const count of counts.values()) if (count < min) min = count;
      return min;
    });
    const selfMatch = constraints.map((c) => (c.selector.matches(cycle.labels) ? 1 : 0));
    return {
      filter: ({ node }) => {
        const labels = labelsOf(node);
        for (let i = 0; i < constraints.length; i++) {
          const c = constraints[i] as Constraint;
          if (!Object.hasOwn(labels, c.topologyKey)) return labelMissing;
          const counts = matchNum[i] as Map<string, number>;
          const min = counts.size < c.minDomains ? 0 : (globalMin[i] as number);
          const skew = (counts.get(labels[c.topologyKey] as string) ?? 0) + (selfMatch[i] as number) - min;
          if (skew > c.maxSkew) return skewTooLarge;
        }
        return undefined;
      },
    };
  },
};

/**
 * ScheduleAnyway constraints: prefers the feasible nodes whose domains hold fewer matching pods.
 * Per constraint a node earns `matching pods in its domain * log(domains + 2) + maxSkew - 1`;
 * the sums are rounded and turned around so the lowest scores 100. Nodes lacking a topology key
 * score 0.
 */
export const podTopologySpreadScore: ScorePlugin = {
  name: 'PodTopologySpread',
  weight: 2,
  preScore(cycle, feasible) {
    const constraints = constraintsOf(cycle, 'ScheduleAnyway');
    if (constraints.length === 0) return undefined;
    const ignored = new Uint8Array(feasible.length);
    let ignoredCount = 0;
    // Domains of the feasible nodes; hostname domains are counted per node when scoring.
    const podCounts = constraints.map(() => new Map<string, number>());
    feasible.forEach((info, index) => {
      const labels = labelsOf(info.node);
      if (!hasAllTopologyKeys(labels, constraints)) {
        ignored[index] = 1;
        ignoredCount++;
        return;
      }
      constraints.forEach((c, i) => {
        if (c.topologyKey !== hostnameLabel)
          (podCounts[i] as Map<string, number>).set(labels[c.topologyKey] as string, 0);
      });
    });
    const weights = constraints.map((c, i) =>
      topologyNormalizingWeight(
        c.topologyKey === hostnameLabel
          ? feasible.length - ignoredCount
          : (podCounts[i] as Map<string, number>).size,
      ),
    );
    for (const info of cycle.nodes) {
      const labels = labelsOf(info.node);
      if (!hasAllTopologyKeys(labels, constraints)) continue;
      constraints.forEach((c, i) => {
        // Only domains of feasible nodes are counted (hostname ones are counted when scoring).
        const counts = podCounts[i] as Map<string, number>;
        const domain = labels[c.topologyKey] as string;
        const current = counts.get(domain);
        if (current === undefined || !includesNode(c, cycle, info.node)) return;
        counts.set(domain, current + countMatchingPods(info.pods, c.selector, cycle.namespace));
      });
    }
    return {
      score: (info: NodeInfo, index: number) => {
        if (ignored[index]) return 0;
        const labels = labelsOf(info.node);
        let score = 0;
        constraints.forEach((c, i) => {
          if (!Object.hasOwn(labels, c.topologyKey)) return;
          const count =
            c.topologyKey === hostnameLabel
              ? countMatchingPods(info.pods, c.selector, cycle.namespace)
              : ((podCounts[i] as Map<string, number>).get(labels[c.topologyKey] as string) ?? 0);
          score += count * (weights[i] as number) + (c.maxSkew - 1);
        });
        return Math.round(score);
      },
      normalize: (scores) => {
        let min = Number.POSITIVE_INFINITY;
        let max = 0;
        scores.forEach((score, i) => {
          if (ignored[i]) return;
          if (score < min) min = score;
          if (score > max) max = score;
        });
        scores.forEach((score, i) => {
          if (ignored[i]) scores[i] = 0;
          else if (max === 0) scores[i] = maxNodeScore;
          else scores[i] = Math.floor((maxNodeScore * (max + min - score)) / max);
        });
      },
    };
  },
};

/** log(domains + 2): counts in a topology with few domains weigh less than in one with many. */
const topologyNormalizingWeight = (size: number) => Math.log(size + 2);
