import type { Node } from '../k8s';

/**
 * What a node item's `stage` attribute says for the stream filters (functions/wiring.ts), as a
 * pod's stage does: `evict` while the node has a NoExecute taint, so each write of it (a taint
 * added, a heartbeat, a pod bound) wakes the taint eviction pass; none otherwise, so the
 * ordinary node writes wake nothing.
 */
export function nodeStage(node: Node): 'evict' | undefined {
  return node.spec?.taints?.some((taint) => taint.effect === 'NoExecute') ? 'evict' : undefined;
}
