import { describe, expect, it } from 'vitest';
import { batchNodeReads } from '../../functions/core/controllers/batch-node-reads';
import type { NodeStore } from '../../functions/core/ports';
import { nodeObject } from '../fixtures';

/** A node store that counts its reads and fails the first `failures` of them. */
function countingStore(failures = 0) {
  const reads: string[] = [];
  const store: NodeStore = {
    listNodes: async () => [],
    putNode: async () => undefined,
    updateNode: async (node) => node,
    async getNode(name) {
      reads.push(name);
      if (reads.length <= failures) throw new Error('throttled');
      return name === 'gone' ? undefined : nodeObject(name);
    },
  };
  return { store, reads };
}

describe("a kubelet batch's node reads", () => {
  it('read each node once, however many of the batch’s pods ask for it', async () => {
    const { store, reads } = countingStore();
    const batch = batchNodeReads(store);
    const nodes = await Promise.all(['n1', 'n1', 'n2', 'n1', 'gone', 'gone'].map((n) => batch.getNode(n)));
    expect(nodes.map((n) => n?.metadata?.name)).toEqual(['n1', 'n1', 'n2', 'n1', undefined, undefined]);
    expect(reads.sort()).toEqual(['gone', 'n1', 'n2']);
  });

  it('forget a failed read, so the next pod asks again', async () => {
    const { store, reads } = countingStore(1);
    const batch = batchNodeReads(store);
    await expect(batch.getNode('n1')).rejects.toThrow('throttled');
    expect((await batch.getNode('n1'))?.metadata?.name).toBe('n1');
    expect(reads).toEqual(['n1', 'n1']);
  });

  it('are not shared between batches', async () => {
    const { store, reads } = countingStore();
    await batchNodeReads(store).getNode('n1');
    await batchNodeReads(store).getNode('n1');
    expect(reads).toEqual(['n1', 'n1']);
  });
});
