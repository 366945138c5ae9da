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
 * - replace: the spec changed since the task was started (metadata.generation grew past the
 *   generation the kubelet last acted on): the kubelet restarts the task with a new image, or
 *   records that nothing needs restarting
 * - backoff: the task stopped and the pod waits out its restart back-off (a timer ends it)
 * - stop: being deleted while a task may be running: the kubelet stops it
 * - done: Succeeded or Failed (being deleted or not), or deleted before it was bound; nothing
 *   more to do
 *
 * (A deleted pod's item lingers as a tombstone with stage `deleted` so watchers see the deletion;
 * `stop` instead when it was removed while its task may still run, so the kubelet stops that.)
 */
export type PodStage =
  | 'schedule'
  | 'unschedulable'
  | 'launch'
  | 'run'
  | 'replace'
  | 'backoff'
  | 'stop'
  | 'done';

export interface PodRuntimeFacts {
  /** The ECS task the kubelet launched for this pod, once known. */
  readonly taskArn?: string;
  /** Set while the pod waits to restart. */
  readonly restartDue?: number;
  /** The metadata.generation the kubelet last acted on for the task (absent: 1). */
  readonly specGeneration?: number;
}

export function podStage(pod: Pod, facts: PodRuntimeFacts): PodStage {
  const phase = pod.status?.phase;
  // A finished pod being deleted runs nothing, nor does one never bound: finalizers alone hold
  // them (pod/deletion.ts), and no controller has anything to do.
  if (phase === 'Succeeded' || phase === 'Failed') return 'done';
  if (pod.metadata?.deletionTimestamp) return pod.spec?.nodeName ? 'stop' : 'done';
  if (!pod.spec?.nodeName) {
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    return scheduled?.status === 'False' && scheduled.reason === 'Unschedulable'
      ? 'unschedulable'
      : 'schedule';
  }
  const specChanged = facts.taskArn !== undefined && specChangedSince(pod, facts.specGeneration);
  if (facts.restartDue !== undefined) return specChanged ? 'replace' : 'backoff';
  if (!facts.taskArn) return 'launch';
  return specChanged ? 'replace' : 'run';
}

/** Whether the pod's spec changed after the generation the kubelet last acted on. */
const specChangedSince = (pod: Pod, specGeneration: number | undefined) =>
  (pod.metadata?.generation ?? 1) > (specGeneration ?? 1);

export const isFinished = (pod: Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
