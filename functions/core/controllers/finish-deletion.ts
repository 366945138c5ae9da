import { podStatusWithoutTask } from '../ecs/pod-status';
import type { PodStatus } from '../k8s';
import { endedAlready, endedWhileHeld, heldByFinalizers } from '../pod/deletion';
import { isFinished } from '../pod/stage';
import type { PodRecord, PodStore, PodWrite } from '../ports';

/**
 * The last step of a deletion, once the pod's containers have ended: the pod is removed, or, while
 * finalizers hold it, kept with the status its containers ended with, its grace period 0 (what the
 * kubelet's last delete leaves) and its node's capacity given back. Its removal then follows the
 * update that takes its last finalizer away (api/pod-strategy.ts). Seen again, it changes nothing.
 */
export async function finishDeletion(
  record: PodRecord,
  pods: PodStore,
  now: string,
  ended?: { readonly status: PodStatus; readonly write?: PodWrite },
): Promise<'deleted' | 'held' | 'unchanged'> {
  if (!heldByFinalizers(record.pod)) {
    await pods.deletePod(record);
    return 'deleted';
  }
  if (endedAlready(record.pod)) return 'unchanged';
  // No task told how the containers ended: they could not be located, as for a vanished task.
  const status =
    ended?.status ??
    (isFinished(record.pod) ? (record.pod.status ?? {}) : podStatusWithoutTask(record.pod, now));
  await pods.finishPod(record, endedWhileHeld(record.pod, status, new Date(now)), ended?.write);
  return 'held';
}
