import { podStatusFromTask } from '../ecs/pod-status';
import type { TaskView } from '../ecs/types';
import type { Pod } from '../k8s';
import { isFinished } from '../pod/stage';
import type { PodRecord, PodRuntime, PodStore } from '../ports';
import { withFreshPod } from './retry';

export interface PodStatusDeps {
  readonly pods: PodStore;
  readonly runtime: PodRuntime;
  readonly now: () => string;
}

export type TaskStateOutcome = 'applied' | 'stale' | 'deleted' | 'orphan' | 'ignored';

/**
 * Folds one observation of an ECS task (an event or a DescribeTasks result) into its pod.
 * Observations arrive twice, late and out of order: one older than what the pod already shows
 * (by the task's `version`) or about a task the pod no longer runs changes nothing.
 */
export async function applyTaskState(task: TaskView, deps: PodStatusDeps): Promise<TaskStateOutcome> {
  const uid = task.startedBy;
  if (!uid) return 'ignored';
  const first = await deps.pods.findPodByUid(uid);
  if (!first) {
    // A task whose pod is gone would run (and bill) forever: stop it.
    if (task.lastStatus !== 'STOPPED')
      await deps.runtime.stopPod({ metadata: { uid } }, task.taskArn, 'Pod no longer exists');
    return 'orphan';
  }
  let outcome: TaskStateOutcome = 'stale';
  await withFreshPod(first, deps.pods, async (record) => {
    outcome = await applyToRecord(record, task, deps);
  });
  return outcome;
}

async function applyToRecord(
  record: PodRecord,
  task: TaskView,
  deps: PodStatusDeps,
): Promise<TaskStateOutcome> {
  if (record.taskArn && record.taskArn !== task.taskArn) return 'stale';
  if (record.taskVersion !== undefined && task.version !== undefined && task.version <= record.taskVersion)
    return 'stale';
  if (isFinished(record.pod) && !record.pod.metadata?.deletionTimestamp) return 'stale';
  const write = {
    taskArn: task.taskArn,
    ...(task.version !== undefined ? { taskVersion: task.version } : {}),
  };
  if (task.lastStatus === 'STOPPED' && record.pod.metadata?.deletionTimestamp) {
    await deps.pods.deletePod(record);
    return 'deleted';
  }
  const next: Pod = { ...record.pod, status: podStatusFromTask(record.pod, task, deps.now()) };
  // An observation that changes nothing a client can see is not worth a write.
  if (record.taskArn === task.taskArn && JSON.stringify(next.status) === JSON.stringify(record.pod.status))
    return 'stale';
  if (isFinished(next)) await deps.pods.finishPod(record, next, write);
  else await deps.pods.updatePod(record, next, write);
  return 'applied';
}
