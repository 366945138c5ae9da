import type { TaskView } from '../ecs/types';
import type { ContainerStatus, Pod, PodStatus } from '../k8s';
import { withConditions } from './conditions';

/** Kubernetes' container back-off: 10 s, doubling, at most 300 s. */
export const initialBackOffSeconds = 10;
export const maxBackOffSeconds = 300;
/** A container that ran this long without a problem starts its back-off afresh. */
export const backOffResetMs = 10 * 60 * 1000;

/**
 * What a back-off counts: crashes and failed pulls have separate counters in the kubelet, so a
 * pod whose image finally arrives does not inherit the pulls' delay for its first crash.
 */
/** `placement`: ECS found no room on the pod's node, so it waits to be scheduled again. */
export type BackOffKind = 'crash' | 'pull' | 'placement';

export interface BackOff {
  readonly kind: BackOffKind;
  /** How many back-offs in a row: the next delay is 10 s × 2^steps. */
  readonly steps: number;
}

export const backOffSeconds = (steps: number) =>
  Math.min(maxBackOffSeconds, initialBackOffSeconds * 2 ** Math.min(steps, 16));

export type AfterStop =
  | { readonly kind: 'finish' }
  | {
      readonly kind: 'restart';
      readonly reason: 'CrashLoopBackOff' | 'ErrImagePull';
      readonly delaySeconds: number;
      readonly backOff: BackOff;
      /** The status to show while waiting: a waiting state per container, lastState kept. */
      readonly status: PodStatus;
    };

/**
 * The kubelet's decision when a pod's task has stopped on its own: run it again after a back-off
 * (restartPolicy Always; OnFailure when a container failed; a failed pull always), or let the
 * pod finish. `exited` is the status the stopped task reads as (podStatusFromTask).
 */
export function afterTaskStopped(pod: Pod, task: TaskView, exited: PodStatus, previous?: BackOff): AfterStop {
  if (task.stopCode === 'SpotInterruption' || task.stopCode === 'TerminationNotice')
    return { kind: 'finish' };
  const containers = exited.containerStatuses ?? [];
  const pullFailed = containers.some((c) => c.state?.waiting?.reason === 'ErrImagePull');
  const kind: BackOffKind = pullFailed ? 'pull' : 'crash';
  if (!pullFailed && !restartWanted(pod, containers)) return { kind: 'finish' };

  const ranMs = Date.parse(task.stoppedAt ?? '') - Date.parse(task.startedAt ?? '');
  const steps = previous?.kind === kind && !(ranMs >= backOffResetMs) ? previous.steps : 0;
  const delaySeconds = backOffSeconds(steps);
  return {
    kind: 'restart',
    reason: pullFailed ? 'ErrImagePull' : 'CrashLoopBackOff',
    delaySeconds,
    backOff: { kind, steps: steps + 1 },
    status: pullFailed ? exited : crashLoopStatus(pod, task, exited, delaySeconds),
  };
}

/**
 * What a container's earlier runs left on it: how often it restarted and how its last run
 * ended. Both belong to the container, not to the task now running it, so every new status
 * carries them over.
 */
export function earlierRuns(
  pod: Pod,
  container: string,
): Pick<ContainerStatus, 'restartCount' | 'lastState'> {
  const before = pod.status?.containerStatuses?.find((c) => c.name === container);
  return {
    restartCount: before?.restartCount ?? 0,
    ...(before?.lastState ? { lastState: before.lastState } : {}),
  };
}

/** How the kubelet names a pod in its messages: `name_namespace(uid)`. */
export const podRef = (pod: Pod) => `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;

/** Always restarts; OnFailure when a container did not exit 0; Never does not. */
function restartWanted(pod: Pod, containers: readonly ContainerStatus[]): boolean {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (policy === 'Always') return true;
  if (policy === 'Never') return false;
  return containers.some((c) => c.state?.terminated?.exitCode !== 0);
}

/**
 * Each container waits in CrashLoopBackOff with Kubernetes' message, its last run kept as
 * lastState and counted in restartCount. A task restarts as a whole, so every container does.
 */
function crashLoopStatus(pod: Pod, task: TaskView, exited: PodStatus, delaySeconds: number): PodStatus {
  const backingOff = (c: ContainerStatus): ContainerStatus => ({
    ...c,
    ready: false,
    started: false,
    restartCount: c.restartCount + 1,
    ...(c.state?.terminated ? { lastState: { terminated: c.state.terminated } } : {}),
    state: {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${delaySeconds}s restarting failed container=${c.name} pod=${podRef(pod)}`,
      },
    },
  });
  // An init container that failed is the one that backs off (Init:CrashLoopBackOff); the app
  // containers, which never started, keep waiting for it.
  const failedInit = (exited.initContainerStatuses ?? []).find(
    (c) => c.state?.terminated && c.state.terminated.exitCode !== 0,
  );
  if (failedInit) {
    const { reason: _reason, message: _message, ...rest } = exited;
    return {
      ...rest,
      phase: 'Pending',
      initContainerStatuses: (exited.initContainerStatuses ?? []).map((c) =>
        c === failedInit ? backingOff(c) : c,
      ),
    };
  }
  const containerStatuses = (exited.containerStatuses ?? []).map(backingOff);
  const unready = containerStatuses.map((c) => c.name).join(' ');
  const now = task.stoppedAt ?? exited.startTime ?? '';
  const { reason: _reason, message: _message, ...rest } = exited;
  return {
    ...rest,
    // A pod whose containers ran is Running while they restart; one that never ran is Pending.
    phase: task.startedAt ? 'Running' : 'Pending',
    containerStatuses,
    conditions: withConditions(
      exited.conditions,
      ['ContainersReady', 'Ready'].map((type) => ({
        type,
        status: 'False',
        reason: 'ContainersNotReady',
        message: `containers with unready status: [${unready}]`,
      })),
      now,
    ),
  };
}

/** ErrImagePull becomes ImagePullBackOff once the kubelet has decided to wait before the next pull. */
export function imagePullBackOffStatus(status: PodStatus): PodStatus {
  return {
    ...status,
    containerStatuses: (status.containerStatuses ?? []).map((c) =>
      c.state?.waiting?.reason === 'ErrImagePull'
        ? {
            ...c,
            state: {
              waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` },
            },
          }
        : c,
    ),
  };
}
