import type { Node } from '../k8s';
import type { ResourceStorage } from './registry/storage';
import { nodeFields } from './selectors';
import { nodeTable } from './tables';

/**
 * Nodes in the generic registry's reads, over the node store node sync keeps. A cluster has few:
 * a watch polls them all, as for namespaces. ECS makes and removes nodes, so there is no DELETE.
 */
export const nodeStorage: ResourceStorage<Node> = {
  resource: 'nodes',
  kind: 'Node',
  apiVersion: 'v1',
  fields: nodeFields,
  table: (nodes, now) => nodeTable(nodes, now),
  read: (deps, key) => deps.nodes.getNode(key.name),
  list: async (deps) =>
    (await deps.nodes.listNodes())
      .map((entry) => entry.node)
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '')),
  returnsDeletedObject: true,
};
