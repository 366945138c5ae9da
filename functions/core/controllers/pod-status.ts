import { healthCheckRole } from '../ecs/health-check';
import { withHostPorts } from '../ecs/host-ports';
import { podStatusFromTask, podStatusWithoutTask, probeKillReason } from '../ecs/pod-status';
import { generationOfGroup } from '../ecs/task-definition';
import type { TaskView } from '../ecs/types';
import { type EventRecorder, podEvent, recordContainerEvents, recordQuietly } from '../events';
import type { Container, Pod } from '../k8s';
import { isFirstRunning, latencySinceCreation, type PodMetrics } from '../metrics';
import { endedAlready } from '../pod/deletion';
import { type AfterStop, afterTaskStopped, podRef } from '../pod/restart';
import { stoppedForNewDefinition, withShownImages } from '../pod/spec-change';
import { isFinished } from '../pod/stage';
import type { PodRecord, PodRuntime, PodStore, PodTimers } from '../ports';
import { finishDeletion } from './finish-deletion';
import { requeueUnschedulable } from './requeue';
import { withFreshPod } from './retry';
import { restartWithNewDefinition } from './spec-change';
import { schedulePodTimer, scheduleProbe } from './timers';

export interface PodStatusDeps {
  readonly pods: PodStore;
  readonly runtime: PodRuntime;
  readonly events: EventRecorder;
  readonly timers: PodTimers;
  readonly now: () => string;
  readonly metrics?: PodMetrics;
}

/** How a deletion's last step reads as an observation's outcome: a held pod has finished. */
const deletionOutcome = { deleted: 'deleted', held: 'finished', unchanged: 'stale' } as const;

export type TaskStateOutcome =
  | 'applied'
  | 'restarting'
  | 'finished'
  | 'stale'
  | 'deleted'
  | 'orphan'
  | 'ignored';

/**
 * Folds one observation of an ECS task (an event or a DescribeTasks result) into its pod.
 * Observations arrive twice, late and out of order: one older than what the pod already shows
 * (by the task's `version`) or about a task the pod no longer runs changes nothing.
 */
export async function applyTaskState(
  task: TaskView,
  deps: PodStatusDeps,
  /** The task's pod, when the caller has just read it: saves looking it up by uid. */
  known?: PodRecord,
): Promise<TaskStateOutcome> {
  const uid = task.startedBy;
  if (!uid) return 'ignored';
  const first = known?.pod.metadata?.uid === uid ? known : await deps.pods.findPodByUid(uid);
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
      (outcome === 'finished' || outcome === 'deleted') &&
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
  // A task of an earlier generation has been replaced (or is being), whatever it says now.
  if (generationOfGroup(task.group) !== record.taskGeneration) return 'stale';
  if (record.taskArn && record.taskArn !== task.taskArn) return 'stale';
  if (record.taskVersion !== undefined && task.version !== undefined && task.version <= record.taskVersion) {
    // Seen before, but a stop podplane asked for may have been lost (ECS then changes nothing,
    // not even the version): while the task is still meant to run, it is asked for again.
    await stopAgainIfLost(record, task, deps);
    return 'stale';
  }
  // A finished pod changes no more; nor does one whose containers ended while finalizers hold it.
  if (isFinished(record.pod) && (!record.pod.metadata?.deletionTimestamp || endedAlready(record.pod)))
    return 'stale';
  const write = {
    taskArn: task.taskArn,
    ...(task.version !== undefined ? { taskVersion: task.version } : {}),
  };
  if (task.lastStatus === 'STOPPED' && record.pod.metadata?.deletionTimestamp) {
    const ended = { status: podStatusFromTask(record.pod, task, deps.now()), write };
    return deletionOutcome[await finishDeletion(record, deps.pods, deps.now(), ended)];
  }
  const read = podStatusFromTask(record.pod, task, deps.now());
  // The images the pod shows are the ones its task was launched with, not a newer spec's.
  const next: Pod = withHostPorts(
    {
      ...record.pod,
      status: record.taskArn === task.taskArn ? withShownImages(read, record.pod.status) : read,
    },
    task,
  );
  if (task.lastStatus === 'STOPPED') {
    // Stopped by the kubelet for a new image: the next task starts now, whatever the policy.
    if (stoppedForNewDefinition(task)) {
      await restartWithNewDefinition(record, task, next.status ?? {}, deps);
      return 'restarting';
    }
    const decision = afterTaskStopped(record.pod, task, next.status ?? {}, record.backOff);
    if (decision.kind === 'restart') {
      await backOff(record, { ...record.pod, status: decision.status }, decision, task, deps);
      return 'restarting';
    }
  }
  // An observation that changes nothing a client can see is not worth a write. A failing
  // liveness check is still acted on: the stop may have been lost after the status was written.
  if (
    record.taskArn === task.taskArn &&
    JSON.stringify(next.status) === JSON.stringify(record.pod.status) &&
    next.metadata === record.pod.metadata
  ) {
    await killIfUnhealthy(next, task, deps);
    return 'stale';
  }
  if (isFinished(next)) await deps.pods.finishPod(record, next, write);
  else await deps.pods.updatePod(record, next, write);
  if (isFirstRunning(record.pod, next))
    latencySinceCreation(deps.metrics, 'StartupLatency', next, deps.now());
  await announceTransitions(record.pod, next, task, deps);
  await killIfUnhealthy(next, task, deps);
  // A pod with probes is looked at again every probe period while its task runs.
  if (startedRunning(record.pod, next)) await scheduleProbe(deps.timers, next, record.taskGeneration, 1);
  return isFinished(next) ? 'finished' : 'applied';
}

/**
 * The task stopped and the pod runs again after a back-off: the pod shows why it waits, the
 * next generation is reserved (so the old task's late events are recognised), and a delayed
 * timer hands it back to the kubelet. Its node keeps its place meanwhile, as in Kubernetes.
 */
async function backOff(
  record: PodRecord,
  next: Pod,
  decision: Extract<AfterStop, { kind: 'restart' }>,
  task: TaskView,
  deps: PodStatusDeps,
): Promise<void> {
  const generation = record.taskGeneration + 1;
  const now = new Date(deps.now());
  await deps.pods.updatePod(record, next, {
    taskArn: task.taskArn,
    ...(task.version !== undefined ? { taskVersion: task.version } : {}),
    taskGeneration: generation,
    restartDue: now.getTime() + decision.delaySeconds * 1000,
    backOff: decision.backOff,
  });
  if (decision.reason === 'ErrImagePull') {
    await announceTransitions(record.pod, next, task, deps);
    // The kubelet shows ErrImagePull first and ImagePullBackOff once it waits for the next pull.
    await schedulePodTimer(deps.timers, next, { kind: 'image-backoff', generation }, 1);
  } else {
    deps.metrics?.count('PodRestarts');
    await recordContainerEvents(
      deps.events,
      next,
      {
        type: 'Warning',
        reason: 'BackOff',
        key: `backoff|${generation}`,
        message: (c) => `Back-off restarting failed container ${c.name} in pod ${podRef(next)}`,
      },
      now,
    );
  }
  await schedulePodTimer(deps.timers, next, { kind: 'restart', generation }, decision.delaySeconds);
}

const isRunning = (pod: Pod) => pod.status?.containerStatuses?.some((c) => c.state?.running) === true;
const startedRunning = (before: Pod, after: Pod) => isRunning(after) && !isRunning(before);

/**
 * A stop that ECS accepted and never carried out: the task of a pod being deleted, or one whose
 * liveness check fails, still runs with desiredStatus RUNNING. StopTask again; ECS takes a
 * repeated stop as a no-op.
 */
async function stopAgainIfLost(record: PodRecord, task: TaskView, deps: PodStatusDeps): Promise<void> {
  if (record.taskArn !== task.taskArn || task.lastStatus === 'STOPPED' || task.desiredStatus === 'STOPPED')
    return;
  if (record.pod.metadata?.deletionTimestamp)
    await deps.runtime.stopPod(record.pod, task.taskArn, 'Pod deleted');
  else await killIfUnhealthy(record.pod, task, deps);
}

/**
 * ECS reports a failing health check but leaves the task running: for a liveness (or startup)
 * probe the kubelet's answer is to kill the container so it restarts. The stop arrives later as
 * STOPPED, and the restart policy decides what follows.
 */
async function killIfUnhealthy(pod: Pod, task: TaskView, deps: PodStatusDeps): Promise<void> {
  // A task already asked to stop needs no second StopTask.
  if (task.lastStatus !== 'RUNNING' || task.desiredStatus === 'STOPPED') return;
  const failing = (pod.spec?.containers ?? []).filter((container) => {
    const role = healthCheckRole(container);
    const view = task.containers.find((c) => c.name === container.name);
    return (role === 'liveness' || role === 'startup') && view?.healthStatus === 'UNHEALTHY';
  });
  if (failing.length === 0) return;
  const probe = (c: Container) => (healthCheckRole(c) === 'startup' ? 'startup' : 'liveness');
  const reason = failing.map((c) => probeKillReason(c.name, probe(c))).join('; ');
  await deps.runtime.stopPod(pod, task.taskArn, reason);
  const now = new Date(deps.now());
  // Recorded together, so the store can keep them in one item.
  await Promise.all(
    failing.flatMap((container) =>
      (
        [
          {
            type: 'Warning',
            reason: 'Unhealthy',
            message: `${capitalised(probe(container))} probe failed: ECS health check reported UNHEALTHY`,
          },
          {
            type: 'Normal',
            reason: 'Killing',
            message: probeKillReason(container.name, probe(container)),
          },
        ] as const
      ).map((event) =>
        recordQuietly(
          deps.events,
          podEvent(
            pod,
            {
              ...event,
              component: 'kubelet',
              key: `${task.taskArn}|${container.name}`,
              fieldPath: `spec.containers{${container.name}}`,
            },
            now,
          ),
        ),
      ),
    ),
  );
}

const capitalised = (word: string) => `${word[0]?.toUpperCase()}${word.slice(1)}`;

/** The kubelet's events for what this observation changed: containers started, pulls failed. */
async function announceTransitions(
  before: Pod,
  after: Pod,
  task: TaskView,
  deps: PodStatusDeps,
): Promise<void> {
  const now = new Date(deps.now());
  if (startedRunning(before, after)) {
    // Recorded together, so the store can keep them in one item.
    await Promise.all(
      (
        [
          ['Pulled', (c: Container) => `Successfully pulled image "${c.image}"`],
          ['Created', (c: Container) => `Created container ${c.name}`],
          ['Started', (c: Container) => `Started container ${c.name}`],
        ] as const
      ).map(([reason, message]) =>
        recordContainerEvents(
          deps.events,
          after,
          { type: 'Normal', reason, key: task.taskArn, message },
          now,
        ),
      ),
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

/**
 * ECS no longer knows the pod's task (it vanished while its instance lives, or was forgotten an
 * hour after a stop nobody saw). The kubelet's answer to a container it can no longer find:
 * every container terminated with ContainerStatusUnknown, exit code 137, and the restart policy
 * decides as for any stop — Always and OnFailure run the pod again after the usual back-off,
 * Never fails it. A pod being deleted is removed. Only a node that is gone (`nodeLost`, its
 * name) fails the pod whatever its policy, with Kubernetes' NodeLost.
 */
export async function applyTaskVanished(
  first: PodRecord,
  taskArn: string,
  deps: PodStatusDeps,
  nodeLost?: string,
): Promise<TaskStateOutcome> {
  // Assigned in the write below (which may run more than once): TypeScript cannot narrow it.
  let outcome = 'stale' as TaskStateOutcome;
  let pod: Pod = first.pod;
  await withFreshPod(first, deps.pods, async (record) => {
    outcome = 'stale';
    pod = record.pod;
    // Another generation runs now, or the pod already waits to restart: nothing was lost.
    if (record.taskArn !== taskArn || record.restartDue !== undefined) return;
    if (record.pod.metadata?.deletionTimestamp) {
      outcome = deletionOutcome[await finishDeletion(record, deps.pods, deps.now())];
      return;
    }
    const now = deps.now();
    const exited = podStatusWithoutTask(record.pod, now);
    if (nodeLost !== undefined) {
      const message = `node "${nodeLost}" no longer exists`;
      await deps.pods.finishPod(record, {
        ...record.pod,
        status: { ...exited, reason: 'NodeLost', message },
      });
      outcome = 'finished';
      return;
    }
    const startedAt = record.pod.status?.containerStatuses?.find((c) => c.state?.running)?.state?.running
      ?.startedAt;
    // The stop the pod never saw, as the restart decision reads a stopped task.
    const stopped: TaskView = {
      taskArn,
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stoppedAt: now,
      ...(startedAt ? { startedAt } : {}),
      containers: [],
    };
    const decision = afterTaskStopped(record.pod, stopped, exited, record.backOff);
    if (decision.kind === 'restart') {
      await backOff(record, { ...record.pod, status: decision.status }, decision, stopped, deps);
      outcome = 'restarting';
    } else {
      await deps.pods.finishPod(record, { ...record.pod, status: exited });
      outcome = 'finished';
    }
  });
  if (outcome === 'restarting' || outcome === 'finished') {
    const event =
      nodeLost !== undefined
        ? {
            reason: 'NodeLost',
            message: `Node ${nodeLost} no longer exists: its containers could not be located`,
          }
        : {
            reason: 'TaskLost',
            message: `ECS no longer knows task ${taskArn}: its containers could not be located (ContainerStatusUnknown, exit code 137)`,
          };
    await recordQuietly(
      deps.events,
      podEvent(
        pod,
        { type: 'Warning', ...event, key: `lost|${taskArn}`, component: 'kubelet' },
        new Date(deps.now()),
      ),
    );
  }
  return outcome;
}
