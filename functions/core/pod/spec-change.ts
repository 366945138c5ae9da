import { readinessConditions } from '../ecs/pod-status';
import type { TaskView } from '../ecs/types';
import type { Container, Pod, PodStatus } from '../k8s';
import { withConditions } from './conditions';

/**
 * A pod's spec may change while it runs: Kubernetes lets an update change a container's image
 * (pod/update-rules.ts). The kubelet then kills the container and starts it again from the new
 * definition. An ECS task cannot change its task definition, so podplane stops the pod's task
 * and starts the next generation from a task definition built from the new spec.
 */

/** The kubelet's words when it kills a container whose definition changed (its Killing event). */
export const definitionChangedMessage = (container: string) =>
  `Container ${container} definition changed, will be restarted`;

const definitionChanged = /^Container \S+ definition changed, will be restarted/;

/** A task podplane stopped because its pod's spec changed (the StopTask reason above). */
export const stoppedForNewDefinition = (task: TaskView) =>
  task.stopCode === 'UserInitiated' && definitionChanged.test(task.stoppedReason ?? '');

/**
 * The app containers whose image is not the one their task runs. A container status names the
 * image its task was launched with (the kubelet writes it at launch and the status path keeps
 * it), so a new image in the spec shows up here until the next task runs it. Init containers
 * have no status: as in Kubernetes, a new init container image alone restarts nothing (it runs
 * with the next task).
 */
export function containersWithNewImage(pod: Pod): Container[] {
  const statuses = pod.status?.containerStatuses ?? [];
  return (pod.spec?.containers ?? []).filter(
    (container) => statuses.find((s) => s.name === container.name)?.image !== container.image,
  );
}

/** The status with each container's image taken from `launched`, the pod a task was started from. */
export function withImagesOf(status: PodStatus, launched: Pod): PodStatus {
  const images = new Map((launched.spec?.containers ?? []).map((c) => [c.name, c.image ?? '']));
  return withImages(status, (name) => images.get(name));
}

/**
 * A status read from the task the pod already shows keeps the images that status names: they
 * are what the task runs, while the spec may already name newer ones.
 */
export function withShownImages(status: PodStatus, shown: PodStatus | undefined): PodStatus {
  const before = shown?.containerStatuses ?? [];
  return withImages(status, (name) => before.find((c) => c.name === name)?.image);
}

function withImages(status: PodStatus, imageOf: (container: string) => string | undefined): PodStatus {
  if (!status.containerStatuses) return status;
  return {
    ...status,
    containerStatuses: status.containerStatuses.map((c) => {
      const image = imageOf(c.name);
      return image === undefined || image === c.image ? c : { ...c, image };
    }),
  };
}

/**
 * The pod once the task podplane stopped for a new image has stopped, before the next one is
 * launched: every container (the task restarts as a whole) counts a restart and keeps the run
 * as lastState, as after a crash, and waits for its new task. A task that never started leaves
 * no run to count. No back-off: this is not a failure.
 */
export function definitionChangedStatus(pod: Pod, task: TaskView, exited: PodStatus, now: string): PodStatus {
  const ran = task.startedAt !== undefined;
  const containerStatuses = (exited.containerStatuses ?? []).map((c) => ({
    ...c,
    ready: false,
    started: false,
    ...(ran
      ? {
          restartCount: c.restartCount + 1,
          ...(c.state?.terminated ? { lastState: { terminated: c.state.terminated } } : {}),
        }
      : {}),
    state: { waiting: { reason: 'ContainerCreating' } },
  }));
  // A stopped task reads as finished; the pod is not: it runs again at once.
  const { reason: _reason, message: _message, ...rest } = exited;
  const phase = ran || pod.status?.phase === 'Running' ? 'Running' : 'Pending';
  return {
    ...rest,
    phase,
    containerStatuses,
    conditions: withConditions(
      exited.conditions,
      readinessConditions(phase, containerStatuses),
      task.stoppedAt ?? now,
    ),
  };
}
