import type { Node, Pod } from '../k8s';
import type { PodRequests } from '../pod/requests';

/** A node with what it can hold and what bound pods already take, as the scheduler sees it. */
export interface NodeInfo {
  readonly node: Node;
  readonly allocatable: NodeResources;
  readonly requested: NodeResources;
}

export interface NodeResources {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly pods: number;
}

/** A filter either admits the node or says why not, in the words `kubectl describe` shows. */
export interface FilterPlugin {
  readonly name: string;
  filter(pod: Pod, requests: PodRequests, node: NodeInfo): readonly string[];
}

/** A score in 0..100; the framework multiplies it by the plugin's weight. */
export interface ScorePlugin {
  readonly name: string;
  readonly weight: number;
  score(pod: Pod, requests: PodRequests, node: NodeInfo): number;
}

export interface Profile {
  readonly filters: readonly FilterPlugin[];
  readonly scores: readonly ScorePlugin[];
}

export type ScheduleResult =
  | { readonly kind: 'bound'; readonly nodeName: string }
  | { readonly kind: 'unschedulable'; readonly message: string };

/**
 * One scheduling cycle: run every filter on every node, score the survivors, pick the highest
 * (ties go to the first in name order so the result is reproducible).
 */
export function schedulePod(
  pod: Pod,
  requests: PodRequests,
  nodes: readonly NodeInfo[],
  profile: Profile,
): ScheduleResult {
  if (nodes.length === 0) return { kind: 'unschedulable', message: 'no nodes available to schedule pods' };
  const reasons = new Map<string, number>();
  let best: { name: string; score: number } | undefined;
  for (const node of nodes) {
    // Like Kubernetes, a node is judged by the first filter that rejects it.
    const rejected = firstRejection(profile.filters, pod, requests, node);
    if (rejected.length > 0) {
      for (const reason of new Set(rejected)) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      continue;
    }
    const score = profile.scores.reduce(
      (sum, plugin) => sum + plugin.weight * plugin.score(pod, requests, node),
      0,
    );
    const name = node.node.metadata?.name ?? '';
    if (!best || score > best.score || (score === best.score && name < best.name)) best = { name, score };
  }
  if (best) return { kind: 'bound', nodeName: best.name };
  return { kind: 'unschedulable', message: unschedulableMessage(nodes.length, reasons) };
}

function firstRejection(
  filters: readonly FilterPlugin[],
  pod: Pod,
  requests: PodRequests,
  node: NodeInfo,
): readonly string[] {
  for (const plugin of filters) {
    const reasons = plugin.filter(pod, requests, node);
    if (reasons.length > 0) return reasons;
  }
  return [];
}

/** Kubernetes' FitError text: `0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu.` */
export function unschedulableMessage(nodeCount: number, reasons: ReadonlyMap<string, number>): string {
  const parts = [...reasons].map(([reason, count]) => `${count} ${reason}`).sort();
  return `0/${nodeCount} nodes are available: ${parts.join(', ')}.`;
}
