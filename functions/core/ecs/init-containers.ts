import type { Container, ContainerStatus, Pod, PodCondition } from '../k8s';
import { terminationReason } from './termination';
import type { TaskView } from './types';

/**
 * Init containers are the task's non-essential containers the app containers depend on with
 * SUCCESS (task-definition.ts), so ECS reports each one's state and exit code with the task. Their
 * statuses read as the kubelet's: waiting PodInitializing until they run, running, terminated with
 * reason and exit code; restartCount and lastState belong to the container and carry over.
 */

/** Whether the app containers got to start: the task ran, so every init container succeeded. */
const appStarted = (task: TaskView) => task.lastStatus === 'RUNNING' || task.startedAt !== undefined;

const isSidecar = (container: Container) => container.restartPolicy === 'Always';

export function initContainerStatusesFromTask(pod: Pod, task: TaskView): ContainerStatus[] | undefined {
  const initContainers = pod.spec?.initContainers ?? [];
  if (initContainers.length === 0) return undefined;
  return initContainers.map((container): ContainerStatus => {
    const view = task.containers.find((c) => c.name === container.name);
    const base = {
      ...initBase(pod, container),
      ...earlierInitRuns(pod, container.name),
    };
    // A sidecar (restartPolicy Always) keeps running beside the app containers.
    const sidecarRunning = isSidecar(container) && appStarted(task) && view?.lastStatus !== 'STOPPED';
    if ((view?.lastStatus === 'RUNNING' || sidecarRunning) && task.lastStatus !== 'STOPPED')
      return {
        ...base,
        started: true,
        ready: isSidecar(container),
        state: { running: { startedAt: task.startedAt ?? task.createdAt ?? '' } },
      };
    const exitCode = view?.exitCode ?? (appStarted(task) && !isSidecar(container) ? 0 : undefined);
    if (
      exitCode !== undefined &&
      (view?.lastStatus === 'STOPPED' || task.lastStatus === 'STOPPED' || appStarted(task))
    )
      return {
        ...base,
        ready: exitCode === 0,
        state: {
          terminated: {
            exitCode,
            reason: terminationReason(exitCode, view?.reason),
            ...(view?.reason ? { message: view.reason } : {}),
            ...(task.createdAt ? { startedAt: task.createdAt } : {}),
            finishedAt: task.startedAt ?? task.stoppedAt ?? task.createdAt ?? '',
          },
        },
      };
    return { ...base, state: { waiting: { reason: 'PodInitializing' } } };
  });
}

/** Before the task runs: every init container waits, PodInitializing, as the kubelet shows them. */
export function initContainerStatusesAtLaunch(pod: Pod): ContainerStatus[] | undefined {
  const initContainers = pod.spec?.initContainers ?? [];
  if (initContainers.length === 0) return undefined;
  return initContainers.map((container) => ({
    ...initBase(pod, container),
    ...earlierInitRuns(pod, container.name),
    state: { waiting: { reason: 'PodInitializing' } },
  }));
}

function initBase(pod: Pod, container: Container) {
  const before = pod.status?.initContainerStatuses?.find((c) => c.name === container.name);
  return {
    name: container.name,
    image: before?.image ?? container.image ?? '',
    imageID: '',
    started: false,
    ready: false,
  };
}

function earlierInitRuns(pod: Pod, name: string): Pick<ContainerStatus, 'restartCount' | 'lastState'> {
  const before = pod.status?.initContainerStatuses?.find((c) => c.name === name);
  return {
    restartCount: before?.restartCount ?? 0,
    ...(before?.lastState ? { lastState: before.lastState } : {}),
  };
}

/** Done: exited 0, or a sidecar (restartPolicy Always) that has started. */
const initialized = (pod: Pod, status: ContainerStatus) => {
  const container = pod.spec?.initContainers?.find((c) => c.name === status.name);
  if (container && isSidecar(container)) return status.started === true;
  return status.state?.terminated?.exitCode === 0;
};

/** Whether any init container has yet to finish: the app containers wait PodInitializing meanwhile. */
export const initializing = (pod: Pod, statuses: readonly ContainerStatus[] | undefined) =>
  (statuses ?? []).some((s) => !initialized(pod, s));

/** The Initialized condition: True once every init container is done, as the kubelet words it. */
export function initializedCondition(
  pod: Pod,
  statuses: readonly ContainerStatus[] | undefined,
): PodCondition {
  const pending = (statuses ?? []).filter((s) => !initialized(pod, s)).map((s) => s.name);
  if (pending.length === 0) return { type: 'Initialized', status: 'True' };
  return {
    type: 'Initialized',
    status: 'False',
    reason: 'ContainersNotInitialized',
    message: `containers with incomplete status: [${pending.join(' ')}]`,
  };
}
