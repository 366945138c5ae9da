import {
  nodeFromContainerInstance,
  nodeResourcesFromContainerInstance,
} from '../nodes/from-container-instance';
import type { NodeStore, PodRuntime } from '../ports';

/** Mirrors the cluster's EC2 container instances as nodes; returns how many it saw. */
export async function syncNodes(deps: {
  runtime: PodRuntime;
  nodes: NodeStore;
  now: () => string;
}): Promise<number> {
  const instances = await deps.runtime.listContainerInstances();
  await Promise.all(
    instances.map((instance) =>
      deps.nodes.putNode(
        nodeFromContainerInstance(instance, deps.now()),
        nodeResourcesFromContainerInstance(instance),
      ),
    ),
  );
  return instances.length;
}
