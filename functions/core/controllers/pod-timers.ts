import { recordContainerEvents } from '../events';
import type { Pod } from '../k8s';
import { imagePullBackOffStatus } from '../pod/restart';
import { podStage } from '../pod/stage';
import { ConflictError, type PodRecord, type PodTimer } from '../ports';
import { expireDeadline } from './pod-deadline';
import { applyTaskState, type PodStatusDeps } from './pod-status';
import { withFreshPod } from './retry';
import { recheckTaintEviction, type TaintEvictionDeps } from './taint-eviction';
import { scheduleProbe } from './timers';

export type PodTimerOutcome =
  | 'restarted'
  | 'backoff-shown'
  | 'probed'
  | 'rescheduled'
  | 'expired'
  | 'evicted'
  | 'stale';

/**
 * A delayed timer fired. Timers arrive at least once and may be late: each names the pod's uid
 * and task generation, and one that no longer matches the pod changes nothing.
 */
export async function firePodTimer(
  timer: PodTimer,
  deps: PodStatusDeps & { readonly taintEviction?: TaintEvictionDeps },
): Promise<PodTimerOutcome> {
  if (
    timer.kind === 'probe' &&
    !(await deps.pods.claimProbeTick(timer.uid, timer.generation, timer.tick ?? 0))
  )
    return 'stale';
  const record = await deps.pods.getPod(timer.namespace, timer.name, true);
  if (!record || record.pod.metadata?.uid !== timer.uid) return 'stale';
  if (record.pod.metadata?.deletionTimestamp) return 'stale';
  // A toleration runs out whatever task the pod is on.
  if (timer.kind === 'taint-eviction')
    return deps.taintEviction && (await recheckTaintEviction(record, deps.taintEviction))
      ? 'evicted'
      : 'stale';
  if (timer.kind !== 'deadline' && record.taskGeneration !== timer.generation) return 'stale';
  // The deadline spans every generation: it counts from the pod's first start.
  if (timer.kind === 'deadline') return expireDeadline(record, timer, deps);
  if (timer.kind === 'restart') return (await endBackOff(record, deps)) ? 'restarted' : 'stale';
  if (timer.kind === 'image-backoff') return showImagePullBackOff(record, deps);
  if (timer.kind === 'requeue') return requeueAfterBackOff(record, deps);
  return probe(record, timer, deps);
}

/** The back-off is over: forget the stopped task, and the kubelet launches the next generation. */
export async function endBackOff(first: PodRecord, deps: Pick<PodStatusDeps, 'pods'>): Promise<boolean> {
  let ended = false;
  await withFreshPod(first, deps.pods, async (record) => {
    if (record.restartDue === undefined || record.taskGeneration !== first.taskGeneration) return;
    if (record.pod.metadata?.deletionTimestamp) return;
    await deps.pods.updatePod(record, record.pod, {
      clearTask: true,
      restartDue: null,
      ...(record.taskArn ? { previousTaskArn: record.taskArn } : {}),
    });
    ended = true;
  });
  return ended;
}

async function showImagePullBackOff(first: PodRecord, deps: PodStatusDeps): Promise<PodTimerOutcome> {
  let next: Pod | undefined;
  await withFreshPod(first, deps.pods, async (record) => {
    next = undefined;
    if (record.restartDue === undefined || record.taskGeneration !== first.taskGeneration) return;
    const status = imagePullBackOffStatus(record.pod.status ?? {});
    if (JSON.stringify(status) === JSON.stringify(record.pod.status)) return;
    next = { ...record.pod, status };
    await deps.pods.updatePod(record, next);
  });
  if (!next) return 'stale';
  await recordContainerEvents(
    deps.events,
    next,
    {
      type: 'Normal',
      reason: 'BackOff',
      key: `image-backoff|${first.taskGeneration}`,
      message: (c) => `Back-off pulling image "${c.image}"`,
    },
    new Date(deps.now()),
  );
  return 'backoff-shown';
}

/** A pod ECS could not place waited out its back-off: the scheduler tries it again. */
async function requeueAfterBackOff(record: PodRecord, deps: PodStatusDeps): Promise<PodTimerOutcome> {
  if (podStage(record.pod, record) !== 'unschedulable') return 'stale';
  try {
    await deps.pods.requeuePod(record);
    return 'rescheduled';
  } catch (error) {
    // It changed meanwhile, and that change woke the scheduler already.
    if (error instanceof ConflictError) return 'stale';
    throw error;
  }
}

/** One probe period passed: read the task's health, fold it in, and schedule the next look. */
async function probe(record: PodRecord, timer: PodTimer, deps: PodStatusDeps): Promise<PodTimerOutcome> {
  if (!record.taskArn || record.restartDue !== undefined) return 'stale';
  // The next look is due before this one is taken: the tick is claimed already, so if this look
  // fails, its retry is a repeat, and the loop must not end with it. A tick after the task
  // stopped finds no task to look at.
  await scheduleProbe(deps.timers, record.pod, timer.generation, (timer.tick ?? 0) + 1);
  const [task] = await deps.runtime.describeTasks([record.taskArn]);
  if (!task) return 'stale';
  await applyTaskState(task, deps, record);
  return 'probed';
}
