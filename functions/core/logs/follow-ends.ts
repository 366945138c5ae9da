import { isFinished } from '../pod/stage';
import type { PodRecord } from '../ports';

/**
 * The stopping rule of a log follow, as kubelet's: it ends once the container it reads has
 * stopped. Read from the pod as the status handlers keep it, a task is over for `container` when
 * - the pod is gone, or is another pod of the same name;
 * - the pod has moved on from the task: another task or none (a restart after a back-off, a
 *   replacement for a new image);
 * - the task has stopped and the pod waits out a back-off before the next (`restartDue`);
 * - the pod has finished (Succeeded, Failed);
 * - or the container shows `terminated` (an init container done, a container that exited).
 * The caller reads the log once more after this turns true, so the last lines are sent.
 */
export function followEnds(
  record: PodRecord | undefined,
  uid: string | undefined,
  taskArn: string,
  container: string,
): boolean {
  if (!record || record.pod.metadata?.uid !== uid) return true;
  if (record.taskArn !== taskArn || record.restartDue !== undefined) return true;
  if (isFinished(record.pod)) return true;
  const status = record.pod.status;
  const shown = [...(status?.containerStatuses ?? []), ...(status?.initContainerStatuses ?? [])].find(
    (c) => c.name === container,
  );
  return shown?.state?.terminated !== undefined;
}

/**
 * While a follow waits for the pod's first task (or its next one): the task to follow once there
 * is one, 'wait' until then, or 'gone' when there will be none for this request (the pod was
 * deleted, replaced or has finished).
 */
export function taskToFollow(
  record: PodRecord | undefined,
  uid: string | undefined,
): string | 'wait' | 'gone' {
  if (!record || record.pod.metadata?.uid !== uid) return 'gone';
  if (record.taskArn) return record.taskArn;
  return isFinished(record.pod) || record.pod.metadata?.deletionTimestamp ? 'gone' : 'wait';
}
