import { ConflictError, type PodStore } from '../ports';

/** How many waiting pods one occasion hands back; the rest follow on the next. */
export const requeueBatch = 100;

/**
 * Hands unschedulable pods back to the scheduler: whenever capacity may have appeared (a pod
 * finished or was deleted, nodes were synced) and periodically, like Kubernetes moving pods from
 * its unschedulable queue back to the active one on cluster events. A pod that changed meanwhile
 * is skipped: that change already woke the scheduler.
 */
export async function requeueUnschedulable(
  deps: { pods: PodStore },
  limit = requeueBatch,
  /** A pod that waits out a back-off of its own (see the kubelet's unbindUnplaceable). */
  exceptUid?: string,
): Promise<number> {
  let requeued = 0;
  for (const record of await deps.pods.listUnschedulable(limit)) {
    if (exceptUid !== undefined && record.pod.metadata?.uid === exceptUid) continue;
    try {
      await deps.pods.requeuePod(record);
      requeued++;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  return requeued;
}
