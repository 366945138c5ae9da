import type { PodNetworking } from '../ecs/task-definition';
import type { FargatePool } from '../nodes/fargate-pool';
import { nodeFromFargatePool } from '../nodes/fargate-pool';
import {
  nodeFromContainerInstance,
  nodeResourcesFromContainerInstance,
} from '../nodes/from-container-instance';
import type { NodeStore, PodRuntime } from '../ports';

/**
 * Mirrors the cluster's EC2 container instances, and the configured Fargate pools, as nodes;
 * returns how many nodes it wrote.
 */
export async function syncNodes(deps: {
  runtime: PodRuntime;
  nodes: NodeStore;
  now: () => string;
  fargatePools?: readonly FargatePool[];
  /** How EC2 pods are networked: with awsvpc a node holds as many pods as it has ENIs for. */
  networking?: PodNetworking;
}): Promise<number> {
  const instances = await deps.runtime.listContainerInstances();
  const fargate = (deps.fargatePools ?? []).map((pool) => nodeFromFargatePool(pool, deps.now()));
  await Promise.all([
    ...instances.map((instance) =>
      deps.nodes.putNode(
        nodeFromContainerInstance(instance, deps.now(), deps.networking),
        nodeResourcesFromContainerInstance(instance, deps.networking),
      ),
    ),
    ...fargate.map(({ node, allocatable }) => deps.nodes.putNode(node, allocatable)),
  ]);
  return instances.length + fargate.length;
}
