import { ConflictError, type PodRecord, type PodStore } from '../ports';

/** How many waiting pods one occasion hands back; the rest follow on the next. */
export const requeueBatch = 100;

/**
 * Hands unschedulable pods back to the scheduler: whenever capacity may have appeared (a pod
 * finished or was deleted, nodes were synced) and periodically, like Kubernetes moving pods from
 * its unschedulable queue back to the active one on cluster events.
 *
 * It first starts a new move-request cycle, then lists the waiting pods strongly consistently, so
 * no scheduling attempt can slip between a release and its requeue: an attempt that read the
 * nodes before the release sees the new cycle when it checks after marking its pod Unschedulable
 * (and decides again), or marked the pod before this listing began (and the pod is listed here).
 * The caller has given the capacity back before calling this.
 */
export async function requeueUnschedulable(
  deps: { pods: PodStore },
  limit = requeueBatch,
  /** A pod that waits out a back-off of its own (see the kubelet's unbindUnplaceable). */
  exceptUid?: string,
): Promise<number> {
  await deps.pods.requestMove();
  const waiting = (await deps.pods.listUnschedulable(limit)).filter(
    (record) => exceptUid === undefined || record.pod.metadata?.uid !== exceptUid,
  );
  const requeued = await Promise.all(waiting.map((record) => requeueWaitingPod(deps.pods, record)));
  return requeued.filter(Boolean).length;
}

/**
 * Hands one Unschedulable pod back to the scheduler. A pod that changed meanwhile is read again:
 * a change that left it waiting (a label edited, say) woke no scheduler, so it is still ours to
 * requeue; any other change (bound, requeued, deleted) is.
 */
export async function requeueWaitingPod(pods: PodStore, first: PodRecord, attempts = 4): Promise<boolean> {
  let record: PodRecord | undefined = first;
  for (let attempt = 1; record?.stage === 'unschedulable'; attempt++) {
    try {
      await pods.requeuePod(record);
      return true;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // Written over again and again: whatever keeps writing it will requeue it, or the next occasion.
      if (attempt >= attempts) return false;
    }
    record = await pods.getPod(
      record.pod.metadata?.namespace ?? 'default',
      record.pod.metadata?.name ?? '',
      true,
    );
  }
  return false;
}
