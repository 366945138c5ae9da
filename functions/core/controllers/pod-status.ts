import { podStatusFromTask } from '../ecs/pod-status';
import type { TaskView } from '../ecs/types';
import { type EventRecorder, recordContainerEvents } from '../events';
import type { Container, Pod } from '../k8s';
import { isFirstRunning, latencySinceCreation, type PodMetrics } from '../metrics';
import { isFinished } from '../pod/stage';
import type { PodRecord, PodRuntime, PodStore } from '../ports';
import { requeueUnschedulable } from './requeue';
import { withFreshPod } from './retry';

export interface PodStatusDeps {
  readonly pods: PodStore;
  readonly runtime: PodRuntime;
  readonly events: EventRecorder;
  readonly now: () => string;
  readonly metrics?: PodMetrics;
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
  let freed = false;
  await withFreshPod(first, deps.pods, async (record) => {
    outcome = await applyToRecord(record, task, deps);
    freed =
      task.lastStatus === 'STOPPED' &&
      outcome !== 'stale' &&
      !record.released &&
      record.boundRequests !== undefined;
  });
  // The pod's node has room again: pods waiting for capacity get another chance.
  if (freed) await requeueUnschedulable(deps);
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
  if (isFirstRunning(record.pod, next))
    latencySinceCreation(deps.metrics, 'StartupLatency', next, deps.now());
  await announceTransitions(record.pod, next, task, deps);
  return 'applied';
}

/** The kubelet's events for what this observation changed: containers started, pulls failed. */
async function announceTransitions(
  before: Pod,
  after: Pod,
  task: TaskView,
  deps: PodStatusDeps,
): Promise<void> {
  const now = new Date(deps.now());
  const wasRunning = before.status?.containerStatuses?.some((c) => c.state?.running);
  const isRunning = after.status?.containerStatuses?.some((c) => c.state?.running);
  if (isRunning && !wasRunning) {
    for (const [reason, message] of [
      ['Pulled', (c: Container) => `Successfully pulled image "${c.image}"`],
      ['Created', (c: Container) => `Created container ${c.name}`],
      ['Started', (c: Container) => `Started container ${c.name}`],
    ] as const)
      await recordContainerEvents(
        deps.events,
        after,
        { type: 'Normal', reason, key: task.taskArn, message },
        now,
      );
  }
  const pullError = after.status?.containerStatuses?.find((c) => c.state?.waiting?.reason === 'ErrImagePull');
  if (pullError) {
    const detail = pullError.state?.waiting?.message ?? '';
    await recordContainerEvents(
      deps.events,
      after,
      {
        type: 'Warning',
        reason: 'Failed',
        key: task.taskArn,
        message: (c) => `Failed to pull image "${c.image}": ${detail}`,
      },
      now,
    );
  }
}
