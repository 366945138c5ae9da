import { readinessConditions } from '../ecs/pod-status';
import { type EventRecorder, podEvent, recordQuietly } from '../events';
import type { Pod } from '../k8s';
import { withConditions } from '../pod/conditions';
import { isFinished } from '../pod/stage';
import {
  maxTimerDelaySeconds,
  type PodRecord,
  type PodRuntime,
  type PodStore,
  type PodTimer,
  type PodTimers,
} from '../ports';
import { requeueUnschedulable } from './requeue';
import { withFreshPod } from './retry';
import { schedulePodTimer } from './timers';

const deadlineMessage = 'Pod was active on the node longer than the specified deadline';

export interface DeadlineDeps {
  readonly pods: PodStore;
  readonly runtime: PodRuntime;
  readonly events: EventRecorder;
  readonly timers: PodTimers;
  readonly now: () => string;
}

/**
 * spec.activeDeadlineSeconds counts from the pod's first start on its node, across restarts.
 * The timer is sent when the kubelet first launches the pod; a deadline beyond SQS's longest
 * delay hops, carrying what is left, so no clock is compared with another.
 */
export async function scheduleDeadline(
  pod: Pod,
  timers: PodTimers,
  seconds = pod.spec?.activeDeadlineSeconds,
) {
  if (!seconds || seconds <= 0) return;
  const hop = Math.min(seconds, maxTimerDelaySeconds);
  await schedulePodTimer(
    timers,
    pod,
    { kind: 'deadline', generation: 0, remainingSeconds: seconds - hop },
    hop,
  );
}

/**
 * spec.activeDeadlineSeconds set or lowered by an update while the pod runs (Kubernetes allows
 * both, never a longer one): a timer for what is left of it, counted from status.startTime as
 * the kubelet counts, and at once if that has already passed. A timer sent for a longer deadline
 * still fires later, finds the pod finished and changes nothing. (Under `--time-scale` the time
 * already spent is real time, so a changed deadline may fire late there, never early.)
 */
export async function scheduleChangedDeadline(pod: Pod, timers: PodTimers, now: string) {
  const seconds = pod.spec?.activeDeadlineSeconds;
  if (!seconds || seconds <= 0) return;
  const startedAt = Date.parse(pod.status?.startTime ?? now);
  const spent = Number.isNaN(startedAt) ? 0 : Math.max(0, Math.floor((Date.parse(now) - startedAt) / 1000));
  const left = seconds - spent;
  if (left > 0) return scheduleDeadline(pod, timers, left);
  await schedulePodTimer(timers, pod, { kind: 'deadline', generation: 0, remainingSeconds: 0 }, 0);
}

/**
 * The deadline passed: the kubelet kills the pod and it fails with reason DeadlineExceeded,
 * whatever its restart policy. The task is stopped first, so a failed stop is retried (the
 * timer comes back) rather than leaving a task running under a finished pod.
 */
export async function expireDeadline(
  first: PodRecord,
  timer: PodTimer,
  deps: DeadlineDeps,
): Promise<'rescheduled' | 'expired' | 'stale'> {
  if (isFinished(first.pod)) return 'stale';
  if ((timer.remainingSeconds ?? 0) > 0) {
    await scheduleDeadline(first.pod, deps.timers, timer.remainingSeconds);
    return 'rescheduled';
  }
  await deps.runtime.stopPod(first.pod, first.taskArn, deadlineMessage);
  let expired = false;
  await withFreshPod(first, deps.pods, async (record) => {
    if (isFinished(record.pod)) return;
    await deps.pods.finishPod(record, deadlineExceeded(record.pod, deps.now()), { restartDue: null });
    expired = true;
  });
  if (!expired) return 'stale';
  await recordQuietly(
    deps.events,
    podEvent(
      first.pod,
      { type: 'Warning', reason: 'DeadlineExceeded', message: deadlineMessage, component: 'kubelet' },
      new Date(deps.now()),
    ),
  );
  await requeueUnschedulable(deps);
  return 'expired';
}

/** Failed, as the kubelet reports it: running containers killed, the pod no longer ready. */
function deadlineExceeded(pod: Pod, now: string): Pod {
  return {
    ...pod,
    status: {
      ...pod.status,
      phase: 'Failed',
      reason: 'DeadlineExceeded',
      message: deadlineMessage,
      conditions: withConditions(pod.status?.conditions, readinessConditions('Failed', []), now),
      containerStatuses: (pod.status?.containerStatuses ?? []).map((c) => ({
        ...c,
        ready: false,
        started: false,
        state: c.state?.running
          ? {
              terminated: {
                exitCode: 137,
                reason: 'Error',
                startedAt: c.state.running.startedAt ?? now,
                finishedAt: now,
              },
            }
          : c.state,
      })),
    },
  };
}
