import type { NodeCondition } from 'kubernetes-types/core/v1';
import type { PodNetworking } from '../ecs/task-definition';
import type { Node } from '../k8s';
import type { FargatePool } from '../nodes/fargate-pool';
import { nodeFromFargatePool } from '../nodes/fargate-pool';
import {
  nodeFromContainerInstance,
  nodeResourcesFromContainerInstance,
} from '../nodes/from-container-instance';
import { mergeUserOwnedFields } from '../nodes/ownership';
import { ConflictError, type NodeStore, type PodRuntime } from '../ports';
import type { NodeInfo, NodeResources } from '../scheduler/framework';

/**
 * How often a node whose status did not change is written anyway, so its Ready condition's
 * lastHeartbeatTime stays recent: Kubernetes' kubelet reports an unchanged node status every
 * five minutes (nodeStatusReportFrequency) and writes at once when something changes.
 */
export const nodeStatusReportSeconds = 300;

/**
 * Mirrors the cluster's EC2 container instances, and the configured Fargate pools, as nodes;
 * returns how many nodes there are. Only a node that is new, changed, or due its status report
 * is written: every write of the 50 nodes of a cluster is a write unit each, once a minute.
 * What users set on a node (cordon, taints, labels, annotations) survives every sync.
 */
export async function syncNodes(deps: {
  runtime: PodRuntime;
  nodes: NodeStore;
  now: () => string;
  fargatePools?: readonly FargatePool[];
  /** How EC2 pods are networked: with awsvpc a node holds as many pods as it has ENIs for. */
  networking?: PodNetworking;
}): Promise<number> {
  const [instances, stored] = await Promise.all([
    deps.runtime.listContainerInstances(),
    deps.nodes.listNodes(),
  ]);
  const now = deps.now();
  const wanted = [
    ...instances.map((instance) => ({
      node: nodeFromContainerInstance(instance, now, deps.networking),
      allocatable: nodeResourcesFromContainerInstance(instance, deps.networking),
    })),
    ...(deps.fargatePools ?? []).map((pool) => nodeFromFargatePool(pool, now)),
  ];
  const current = new Map(stored.map((info) => [info.node.metadata?.name ?? '', info]));
  await Promise.all(
    wanted.map(({ node, allocatable }) =>
      refreshNode(node, allocatable, current.get(node.metadata?.name ?? ''), now, deps.nodes),
    ),
  );
  return wanted.length;
}

/**
 * Writes what ECS owns of a node, keeping what users own (nodes/ownership.ts), conditioned on the
 * node as it was read: a user's patch that lands in between makes the write fail, and the node is
 * read again (consistently) and merged again, so no sync overwrites a concurrent cordon or label.
 */
async function refreshNode(
  fromEcs: Node,
  allocatable: NodeResources,
  first: NodeInfo | undefined,
  now: string,
  nodes: NodeStore,
): Promise<void> {
  let before: Node | undefined = first?.node;
  for (let attempt = 1; ; attempt++) {
    const merged = mergeUserOwnedFields(fromEcs, before, now);
    const next = before ? withTransitionTimes(merged, before) : merged;
    // The first read's counters are only compared with; a fresh read leaves nothing to skip.
    if (first && attempt === 1 && !isDue(first.node, now) && sameNode(next, allocatable, first)) return;
    try {
      await nodes.putNode(next, allocatable, before?.metadata?.resourceVersion ?? null);
      return;
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= 5) throw error;
      before = await nodes.getNode(fromEcs.metadata?.name ?? '', { consistent: true });
    }
  }
}

/** A condition whose status did not change keeps the time it last changed. */
function withTransitionTimes(node: Node, before: Node): Node {
  const previous = new Map((before.status?.conditions ?? []).map((c) => [c.type, c]));
  const conditions = node.status?.conditions?.map((condition): NodeCondition => {
    const was = previous.get(condition.type);
    return was?.status === condition.status && was.lastTransitionTime
      ? { ...condition, lastTransitionTime: was.lastTransitionTime }
      : condition;
  });
  return conditions ? { ...node, status: { ...node.status, conditions } } : node;
}

const heartbeatOf = (node: Node) =>
  Math.min(...(node.status?.conditions ?? []).map((c) => Date.parse(c.lastHeartbeatTime ?? '') || 0));

const isDue = (node: Node, now: string) =>
  Date.parse(now) - heartbeatOf(node) >= nodeStatusReportSeconds * 1000;

/** What the node shows apart from heartbeats and the fields its item keeps in attributes. */
function sameNode(node: Node, allocatable: NodeResources, before: NodeInfo): boolean {
  const content = (n: Node) =>
    JSON.stringify({
      labels: n.metadata?.labels,
      annotations: n.metadata?.annotations,
      spec: n.spec,
      status: {
        ...n.status,
        conditions: n.status?.conditions?.map(({ lastHeartbeatTime: _, ...c }) => c),
      },
    });
  return (
    content(node) === content(before.node) &&
    allocatable.cpuMillis === before.allocatable.cpuMillis &&
    allocatable.memoryBytes === before.allocatable.memoryBytes &&
    allocatable.pods === before.allocatable.pods
  );
}
