import type { Container, ContainerStatus, Pod, PodCondition, PodStatus } from '../k8s';
import { withConditions } from '../pod/conditions';
import { earlierRuns } from '../pod/restart';
import { initContainerStatusesFromTask, initializedCondition, initializing } from './init-containers';
import { terminationReason } from './termination';
import type { ContainerView, TaskView } from './types';

const startingStatuses = new Set(['PROVISIONING', 'PENDING', 'ACTIVATING']);

/**
 * The pod status the kubelet would report for this ECS task. Pure: the same pod and task always
 * give the same status, so replaying an event changes nothing.
 */
export function podStatusFromTask(pod: Pod, task: TaskView, now: string): PodStatus {
  const previous = pod.status ?? {};
  const initContainerStatuses = initContainerStatusesFromTask(pod, task);
  // App containers wait for the init containers, PodInitializing, as long as one has not succeeded.
  const waitingForInit = initializing(pod, initContainerStatuses);
  const containerStatuses = (pod.spec?.containers ?? []).map((container) => ({
    ...(waitingForInit
      ? podInitializing(container)
      : containerStatusFrom(
          container,
          task,
          task.containers.find((c) => c.name === container.name),
        )),
    ...earlierRuns(pod, container.name),
  }));
  const phase = podPhaseFromTask(pod, task, containerStatuses);
  const podIP =
    task.containers.find((c) => c.privateIpv4Address)?.privateIpv4Address ??
    task.privateIpv4Address ??
    previous.podIP;
  // The kubelet writes the node's address at launch. A pod without one (on Fargate, whose virtual
  // node has no address) is its own host, as EKS on Fargate shows: its hostIP is its task's
  // address, and follows it to the next task's.
  const ownHost = !previous.hostIP || previous.hostIP === previous.podIP;
  const hostIP = ownHost ? podIP : previous.hostIP;
  const conditions = withConditions(
    previous.conditions ?? [],
    [
      { type: 'PodScheduled', status: 'True' },
      initializedCondition(pod, initContainerStatuses),
      ...readinessConditions(phase, containerStatuses),
    ],
    now,
  );
  const status: PodStatus = {
    ...previous,
    phase,
    conditions,
    containerStatuses,
    ...(initContainerStatuses ? { initContainerStatuses } : {}),
    ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    ...(hostIP ? { hostIP, hostIPs: [{ ip: hostIP }] } : {}),
    startTime: previous.startTime ?? task.createdAt ?? now,
  };
  const failure = task.lastStatus === 'STOPPED' && phase === 'Failed' ? stoppedReason(task) : undefined;
  if (failure) {
    status.reason = failure.reason;
    status.message = failure.message;
  }
  return status;
}

/** ContainersReady and Ready, worded as the kubelet words them for running and finished pods. */
export function readinessConditions(phase: string, containers: readonly ContainerStatus[]): PodCondition[] {
  const terminal = phase === 'Succeeded' ? 'PodCompleted' : phase === 'Failed' ? 'PodFailed' : undefined;
  if (terminal)
    return ['ContainersReady', 'Ready'].map((type) => ({ type, status: 'False', reason: terminal }));
  if (containers.length > 0 && containers.every((c) => c.ready))
    return [
      { type: 'ContainersReady', status: 'True' },
      { type: 'Ready', status: 'True' },
    ];
  const message = `containers with unready status: [${containers
    .filter((c) => !c.ready)
    .map((c) => c.name)
    .join(' ')}]`;
  return ['ContainersReady', 'Ready'].map((type) => ({
    type,
    status: 'False',
    reason: 'ContainersNotReady',
    message,
  }));
}

/**
 * Pending until the task runs, Running while it runs; once it stops, Succeeded if every container
 * exited 0, Failed otherwise. (Whether it restarts instead is pod/restart.ts's decision.)
 */
export function podPhaseFromTask(
  pod: Pod,
  task: TaskView,
  containers: readonly ContainerStatus[],
): NonNullable<PodStatus['phase']> {
  if (startingStatuses.has(task.lastStatus)) return 'Pending';
  // A failed pull never fails a pod: the kubelet keeps trying (ErrImagePull, ImagePullBackOff).
  if (containers.some((c) => c.state?.waiting?.reason === 'ErrImagePull')) return 'Pending';
  if (task.lastStatus !== 'STOPPED') return 'Running';
  const terminated = containers.map((c) => c.state?.terminated);
  if (terminated.length > 0 && terminated.every((t) => t && t.exitCode === 0)) return 'Succeeded';
  // A deleted pod whose task stopped on request ends the way its containers did; it is removed anyway.
  return pod.metadata?.deletionTimestamp && terminated.every((t) => t) ? 'Succeeded' : 'Failed';
}

/** An app container that has not started because an init container has not finished. */
export const podInitializing = (container: Container): ContainerStatus => ({
  name: container.name,
  image: container.image ?? '',
  imageID: '',
  restartCount: 0,
  started: false,
  ready: false,
  state: { waiting: { reason: 'PodInitializing' } },
});

function containerStatusFrom(
  container: Container,
  task: TaskView,
  view: ContainerView | undefined,
): ContainerStatus {
  const base = {
    name: container.name,
    image: container.image ?? '',
    imageID: '',
    restartCount: 0,
    started: false,
    ready: false,
  };
  const pullError = isImagePullFailure(task, view);
  if (pullError) {
    return { ...base, state: { waiting: { reason: 'ErrImagePull', message: pullError } } };
  }
  const containerStatus = view?.lastStatus ?? task.lastStatus;
  if (containerStatus === 'STOPPED' || (task.lastStatus === 'STOPPED' && view?.exitCode !== undefined)) {
    const exitCode = view?.exitCode ?? 137;
    return {
      ...base,
      state: {
        terminated: {
          exitCode,
          reason: terminationReason(exitCode, view?.reason),
          ...(view?.reason ? { message: view.reason } : {}),
          ...(task.startedAt ? { startedAt: task.startedAt } : {}),
          finishedAt: task.stoppedAt ?? task.startedAt ?? '',
        },
      },
    };
  }
  if (task.lastStatus === 'STOPPED') {
    return {
      ...base,
      state: {
        terminated: { exitCode: 137, reason: 'Error', message: task.stoppedReason ?? 'task stopped' },
      },
    };
  }
  if (containerStatus === 'RUNNING' && task.lastStatus === 'RUNNING') {
    const health = view?.healthStatus;
    // A probe that gates readiness or startup must have passed: ECS says UNKNOWN until it has.
    const passed = health === 'HEALTHY';
    return {
      ...base,
      started: container.startupProbe ? passed : true,
      ready: container.readinessProbe || container.startupProbe ? passed : health !== 'UNHEALTHY',
      state: { running: { startedAt: task.startedAt ?? '' } },
    };
  }
  return { ...base, state: { waiting: { reason: 'ContainerCreating' } } };
}

/** The kubelet's words for a container it can no longer find. */
export const containerStatusUnknown = {
  exitCode: 137,
  reason: 'ContainerStatusUnknown',
  message: 'The container could not be located when the pod was terminated',
} as const;

/**
 * The status the kubelet reports for a pod whose containers it can no longer find (ECS no longer
 * knows the pod's task): every container terminated with exit code 137 and reason
 * ContainerStatusUnknown, and the pod Failed — unless its restart policy runs it again, which
 * pod/restart.ts decides as for any stop.
 */
export function podStatusWithoutTask(pod: Pod, now: string): PodStatus {
  const { reason: _reason, message: _message, ...previous } = pod.status ?? {};
  const containerStatuses = (pod.spec?.containers ?? []).map((container): ContainerStatus => {
    const before = previous.containerStatuses?.find((c) => c.name === container.name);
    const startedAt = before?.state?.running?.startedAt;
    return {
      name: container.name,
      image: before?.image ?? container.image ?? '',
      imageID: before?.imageID ?? '',
      started: false,
      ready: false,
      ...earlierRuns(pod, container.name),
      state: {
        terminated: { ...containerStatusUnknown, ...(startedAt ? { startedAt } : {}), finishedAt: now },
      },
    };
  });
  return {
    ...previous,
    phase: 'Failed',
    containerStatuses,
    conditions: withConditions(
      previous.conditions ?? [],
      readinessConditions('Failed', containerStatuses),
      now,
    ),
  };
}

/** The StopTask reason podplane gives when a liveness or startup probe fails. */
export const probeKillReason = (container: string, probe: 'liveness' | 'startup') =>
  `Container ${container} failed ${probe} probe, will be restarted`;

const isProbeKill = (reason: string | undefined) =>
  /^Container \S+ failed (liveness|startup) probe, will be restarted/.test(reason ?? '');

export { terminationReason } from './termination';

function isImagePullFailure(task: TaskView, view: ContainerView | undefined): string | undefined {
  const text = view?.reason ?? task.stoppedReason ?? '';
  return text.includes('CannotPullContainerError') ? text : undefined;
}

/**
 * Why a failed pod failed, from ECS's stop code: a task that never started says so; one stopped
 * because its instance is going away reads as Kubernetes' node-shutdown termination; one stopped
 * by someone else than podplane says who. An essential container's own exit needs no pod-level
 * reason: the container status carries it, as in Kubernetes.
 */
export function stoppedReason(task: TaskView): { reason: string; message: string } | undefined {
  switch (task.stopCode) {
    case 'TaskFailedToStart':
      return { reason: 'TaskFailedToStart', message: task.stoppedReason ?? '' };
    case 'SpotInterruption':
    case 'TerminationNotice':
      return { reason: 'Terminated', message: 'Pod was terminated in response to imminent node shutdown.' };
    case 'UserInitiated':
      // podplane's own liveness kill: the container's terminated state says what happened.
      if (isProbeKill(task.stoppedReason)) return undefined;
      return {
        reason: 'TaskStopped',
        message: `ECS task stopped outside podplane: ${task.stoppedReason ?? task.stopCode}`,
      };
    case 'ServiceSchedulerInitiated':
      return {
        reason: 'TaskStopped',
        message: `ECS task stopped outside podplane: ${task.stoppedReason ?? task.stopCode}`,
      };
    default:
      return undefined;
  }
}
