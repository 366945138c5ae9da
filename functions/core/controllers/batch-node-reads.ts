import type { NodeStore } from '../ports';

/**
 * A node store for one batch of records: each node is read once however many of the batch's pods
 * it holds (a burst binds many pods to each node), and a read that failed is forgotten so the next
 * record asks again. A batch lasts seconds; what a launch needs of its node (its address, whether
 * it is still there) does not change faster, and a node gone meanwhile refuses the launch at ECS.
 */
export function batchNodeReads(nodes: NodeStore): NodeStore {
  const reads = new Map<string, ReturnType<NodeStore['getNode']>>();
  return {
    ...nodes,
    getNode(name) {
      let read = reads.get(name);
      if (!read) {
        read = nodes.getNode(name);
        reads.set(name, read);
        read.catch(() => reads.delete(name));
      }
      return read;
    },
  };
}
