import type { Node, Pod, Toleration } from 'kubernetes-types/core/v1';
import type { PodRequests } from '../pod/requests';
import { newSchedulingCycle } from './cycle';
import type { NodeMatcher } from './node-selector';

/** A node with what it can hold and what bound pods already take, as the scheduler sees it. */
export interface NodeInfo {
  readonly node: Node;
  readonly allocatable: NodeResources;
  readonly requested: NodeResources;
  /**
   * The pods bound to this node, as PodTopologySpread counts them: each one's namespace and labels.
   * Kubernetes counts the pods in its scheduler cache, which leaves out finished pods (phase
   * Succeeded or Failed), and skips pods being deleted (deletionTimestamp set); supply the same.
   *
   * Optional so callers that do not know the pods still compile: missing means "no pods known",
   * and spreading then sees every topology domain as empty. The controller must supply it (and
   * append the pod it just bound when it updates its view) for topology spread constraints to
   * count the pods already running.
   */
  readonly pods?: readonly PodOnNode[];
  /**
   * The host ports bound pods publish on the node, `<protocol>/<port>` as podHostPorts keys them
   * (Kubernetes' NodeInfo.UsedPorts). Missing means none: a node in awsvpc networking, or one
   * whose pods ask for no host port.
   */
  readonly usedHostPorts?: readonly string[];
}

export interface NodeResources {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly pods: number;
}

/** What PodTopologySpread needs to know of a pod already bound to a node. */
export interface PodOnNode {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * What is worked out once per pod and shared by the plugins (Kubernetes' CycleState): the pod,
 * its requests, every node (the snapshot), and the pod's parts several plugins read.
 */
export interface SchedulingCycle {
  readonly pod: Pod;
  readonly requests: PodRequests;
  readonly nodes: readonly NodeInfo[];
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly tolerations: readonly Toleration[];
  /** spec.nodeSelector and required node affinity together, as Kubernetes' GetRequiredNodeAffinity. */
  readonly requiredNodeAffinity: NodeMatcher;
}

/** Why a node does not fit, in the words `kubectl describe` shows; undefined when it fits. */
export type NodeFilter = (node: NodeInfo) => readonly string[] | undefined;

/** What a filter plugin works out once per pod before any node is looked at (Kubernetes' PreFilter). */
export interface PreFilterResult {
  /** The check run on each node; absent when the plugin has nothing to check (Kubernetes' Skip). */
  readonly filter?: NodeFilter;
  /** Only these nodes can fit (Kubernetes' PreFilterResult); the others are not filtered at all. */
  readonly nodeNames?: ReadonlySet<string>;
  /** No node can fit, for this reason (an unschedulable PreFilter status). */
  readonly rejected?: string;
}

/** A filter either admits a node or says why not. */
export interface FilterPlugin {
  readonly name: string;
  preFilter(cycle: SchedulingCycle): PreFilterResult;
}

/** Scores the feasible nodes of one cycle; `index` is the node's place in the feasible list. */
export interface NodeScorer {
  score(node: NodeInfo, index: number): number;
  /** Kubernetes' NormalizeScore: rewrites the raw scores, in feasible order, into 0..100. */
  normalize?(scores: Float64Array): void;
}

/** A score in 0..100 per feasible node; the framework multiplies it by the plugin's weight. */
export interface ScorePlugin {
  readonly name: string;
  readonly weight: number;
  /** Kubernetes' PreScore: undefined when the plugin has nothing to score for this pod (Skip). */
  preScore(cycle: SchedulingCycle, feasible: readonly NodeInfo[]): NodeScorer | undefined;
}

export interface Profile {
  /** In Kubernetes' order; a node is judged by the first one that rejects it. */
  readonly filters: readonly FilterPlugin[];
  readonly scores: readonly ScorePlugin[];
  /**
   * Kubernetes' percentageOfNodesToScore: the search for feasible nodes stops once this share of
   * the nodes (at least 100) fits. 0 or absent adapts to the cluster size as Kubernetes does;
   * 100 looks at every node.
   */
  readonly percentageOfNodesToScore?: number;
}

export type ScheduleResult =
  | { readonly kind: 'bound'; readonly nodeName: string }
  | { readonly kind: 'unschedulable'; readonly message: string };

/** Kubernetes' ErrNoNodesAvailable. */
export const noNodesAvailable = 'no nodes available to schedule pods';

/**
 * One scheduling cycle, as Kubernetes' schedulePod: PreFilter, then the filters on each node
 * until enough feasible nodes are found, then the scores (normalized and weighted) of those.
 * The highest total wins; ties go to the first name in order, so the result is reproducible.
 */
export function schedulePod(
  pod: Pod,
  requests: PodRequests,
  nodes: readonly NodeInfo[],
  profile: Profile,
): ScheduleResult {
  if (nodes.length === 0) return { kind: 'unschedulable', message: noNodesAvailable };
  const cycle = newSchedulingCycle(pod, requests, nodes);

  const filters: NodeFilter[] = [];
  let allowed: Set<string> | undefined;
  const narrowedBy: string[] = [];
  for (const plugin of profile.filters) {
    const result = plugin.preFilter(cycle);
    if (result.rejected !== undefined) return unschedulable(fitError(nodes.length, result.rejected));
    if (result.nodeNames) {
      narrowedBy.push(plugin.name);
      allowed = allowed ? intersection(allowed, result.nodeNames) : new Set(result.nodeNames);
      if (allowed.size === 0)
        return unschedulable(
          fitError(
            nodes.length,
            narrowedBy.length === 1
              ? `node(s) didn't satisfy plugin ${narrowedBy[0]}`
              : `node(s) didn't satisfy plugin(s) [${narrowedBy.join(' ')}] simultaneously`,
          ),
        );
    }
    if (result.filter) filters.push(result.filter);
  }

  const reasons = new Map<string, number>();
  let candidates = nodes;
  if (allowed) {
    const only = allowed;
    candidates = nodes.filter((n) => only.has(n.node.metadata?.name ?? ''));
    // Nodes a PreFilter left out are never filtered; they count under the plugins' names.
    const absent = nodes.length - candidates.length;
    if (absent > 0)
      reasons.set(`node(s) didn't satisfy plugin(s) [${[...narrowedBy].sort().join(' ')}]`, absent);
  }

  const feasible = findFeasibleNodes(cycle, candidates, filters, profile, reasons);
  if (feasible.length === 0) return unschedulable(unschedulableMessage(nodes.length, reasons));
  if (feasible.length === 1) return bound(feasible[0] as NodeInfo);

  const totals = prioritizeNodes(cycle, feasible, profile);
  let best = 0;
  let bestName = feasible[0]?.node.metadata?.name ?? '';
  for (let i = 1; i < feasible.length; i++) {
    const total = totals[i] as number;
    const top = totals[best] as number;
    if (total < top) continue;
    const name = feasible[i]?.node.metadata?.name ?? '';
    if (total > top || name < bestName) {
      best = i;
      bestName = name;
    }
  }
  return { kind: 'bound', nodeName: bestName };
}

/**
 * Kubernetes' findNodesThatPassFilters: each node is judged by the first filter that rejects it,
 * and the search stops once numFeasibleNodesToFind nodes fit. It starts at an offset derived
 * from the pod, where Kubernetes rotates a start index between cycles: both give every node the
 * same chance of being looked at, and this one keeps the function pure.
 */
function findFeasibleNodes(
  cycle: SchedulingCycle,
  candidates: readonly NodeInfo[],
  filters: readonly NodeFilter[],
  profile: Profile,
  reasons: Map<string, number>,
): NodeInfo[] {
  const count = candidates.length;
  const wanted = numFeasibleNodesToFind(profile.percentageOfNodesToScore, count);
  const feasible: NodeInfo[] = [];
  let index = wanted < count ? startIndex(cycle.pod, count) : 0;
  for (let checked = 0; checked < count; checked++) {
    const node = candidates[index] as NodeInfo;
    if (++index === count) index = 0;
    let rejected: readonly string[] | undefined;
    for (let f = 0; f < filters.length && rejected === undefined; f++)
      rejected = (filters[f] as NodeFilter)(node);
    if (rejected === undefined) {
      feasible.push(node);
      if (feasible.length >= wanted) break;
    } else for (const reason of rejected) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  return feasible;
}

/** Kubernetes' prioritizeNodes: each plugin's scores, normalized, times its weight, summed per node. */
function prioritizeNodes(
  cycle: SchedulingCycle,
  feasible: readonly NodeInfo[],
  profile: Profile,
): Float64Array {
  const totals = new Float64Array(feasible.length);
  const scores = new Float64Array(feasible.length);
  for (const plugin of profile.scores) {
    if (!runScorePlugin(plugin, cycle, feasible, scores)) continue;
    for (let i = 0; i < feasible.length; i++)
      totals[i] = (totals[i] as number) + plugin.weight * (scores[i] as number);
  }
  return totals;
}

/**
 * One score plugin over the feasible nodes: PreScore, Score, NormalizeScore, into `scores`
 * (unweighted). False when the plugin skipped, which counts as 0 everywhere.
 */
export function runScorePlugin(
  plugin: ScorePlugin,
  cycle: SchedulingCycle,
  feasible: readonly NodeInfo[],
  scores: Float64Array = new Float64Array(feasible.length),
): boolean {
  const scorer = plugin.preScore(cycle, feasible);
  if (!scorer) return false;
  for (let i = 0; i < feasible.length; i++) scores[i] = scorer.score(feasible[i] as NodeInfo, i);
  scorer.normalize?.(scores);
  return true;
}

const minFeasibleNodesToFind = 100;
const minFeasibleNodesPercentageToFind = 5;

/** Kubernetes' numFeasibleNodesToFind: all of a small cluster, an adaptive share of a large one. */
export function numFeasibleNodesToFind(
  percentageOfNodesToScore: number | undefined,
  numAllNodes: number,
): number {
  if (numAllNodes < minFeasibleNodesToFind) return numAllNodes;
  let percentage = percentageOfNodesToScore ?? 0;
  if (percentage === 0) {
    percentage = 50 - Math.trunc(numAllNodes / 125);
    if (percentage < minFeasibleNodesPercentageToFind) percentage = minFeasibleNodesPercentageToFind;
  }
  const numNodes = Math.trunc((numAllNodes * percentage) / 100);
  return Math.max(numNodes, minFeasibleNodesToFind);
}

/** FNV-1a of the pod's uid (or namespace/name): a stable, evenly spread place to start looking. */
function startIndex(pod: Pod, count: number): number {
  const key = pod.metadata?.uid ?? `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % count;
}

/**
 * Kubernetes' FitError text: `0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu.`
 * Each "<count> <reason>" is one entry, sorted as strings (Go's sort.Strings).
 */
export function unschedulableMessage(nodeCount: number, reasons: ReadonlyMap<string, number>): string {
  const parts = [...reasons].map(([reason, count]) => `${count} ${reason}`).sort(byCodeUnits);
  return parts.length === 0
    ? `0/${nodeCount} nodes are available:`
    : `0/${nodeCount} nodes are available: ${parts.join(', ')}.`;
}

/** A PreFilter rejection: the same text for every node, said once. */
const fitError = (nodeCount: number, preFilterMessage: string) =>
  `0/${nodeCount} nodes are available: ${preFilterMessage}.`;

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const unschedulable = (message: string): ScheduleResult => ({ kind: 'unschedulable', message });

const bound = (node: NodeInfo): ScheduleResult => ({
  kind: 'bound',
  nodeName: node.node.metadata?.name ?? '',
});

function intersection(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  const both = new Set<string>();
  for (const name of a) if (b.has(name)) both.add(name);
  return both;
}
