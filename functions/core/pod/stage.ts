import type { Pod } from '../k8s';

/**
 * The one thing a controller must do next for a pod. It is stored as a top-level attribute of
 * the pod item so that stream filters deliver each record only to the function that acts on it,
 * and a function's own follow-up write (which moves the stage on) does not wake it again.
 *
 * - schedule: unbound, waiting for the scheduler
 * - unschedulable: the scheduler found no node; waits for capacity
 * - launch: bound to a node, no ECS task yet: the kubelet runs one
 * - run: a task exists; status arrives from ECS events
 * - backoff: the task stopped and the pod waits out its restart back-off (a timer ends it)
 * - stop: being deleted while a task may be running: the kubelet stops it
 * - done: Succeeded or Failed; nothing more to do
 *
 * (A deleted pod's item lingers as a tombstone with stage `deleted` so watchers see the deletion.)
 */
export type PodStage = 'schedule' | 'unschedulable' | 'launch' | 'run' | 'backoff' | 'stop' | 'done';

export interface PodRuntimeFacts {
  /** The ECS task the kubelet launched for this pod, once known. */
  readonly taskArn?: string;
  /** Set while the pod waits to restart. */
  readonly restartDue?: number;
}

export function podStage(pod: Pod, facts: PodRuntimeFacts): PodStage {
  const phase = pod.status?.phase;
  if (pod.metadata?.deletionTimestamp) return 'stop';
  if (phase === 'Succeeded' || phase === 'Failed') return 'done';
  if (!pod.spec?.nodeName) {
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    return scheduled?.status === 'False' && scheduled.reason === 'Unschedulable'
      ? 'unschedulable'
      : 'schedule';
  }
  if (facts.restartDue !== undefined) return 'backoff';
  return facts.taskArn ? 'run' : 'launch';
}

export const isFinished = (pod: Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
