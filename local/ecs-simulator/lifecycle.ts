import type { HealthStatus, TaskStopCode } from '@aws-sdk/client-ecs';
import { stableId } from './arns';
import { markRunning, release } from './container-instances';
import type { LogStore } from './logs';
import type { SimContainer, SimTask, TaskLastStatus } from './model';

/** Each step of a stop (DEACTIVATING, STOPPING, ...) takes this long: quick, but observable. */
const stopStepMs = 1;

const outOfMemoryReason = 'OutOfMemoryError: Container killed due to memory usage';

export interface LifecycleHooks {
  readonly now: () => number;
  /** Announces the task as it is now (an "ECS Task State Change" event). */
  readonly announce: (task: SimTask) => void;
  readonly logs: LogStore;
}

/**
 * Drives tasks through ECS's lifecycle on timers, the way the ECS agent reports it:
 * PROVISIONING -> PENDING -> ACTIVATING -> RUNNING, and on stop or exit
 * DEACTIVATING -> STOPPING -> DEPROVISIONING -> STOPPED. Every change bumps `version`; every
 * change of lastStatus or desiredStatus is announced.
 */
export class TaskLifecycle {
  constructor(private readonly hooks: LifecycleHooks) {}

  /** The task was just created in PROVISIONING. */
  start(task: SimTask): void {
    this.hooks.announce(task);
    const delay = task.behaviour.startDelayMs;
    const step = Math.floor(delay / 3);
    task.timers.after(step, () => {
      this.moveTo(task, 'PENDING', (now) => {
        task.pullStartedAt = now;
        task.connectivityAt = now;
      });
      if (task.behaviour.imagePullError) {
        task.timers.after(delay - step, () => this.failImagePull(task));
        return;
      }
      if (task.containers.some((container) => container.createError)) {
        task.timers.after(delay - step, () => this.failContainerCreation(task));
        return;
      }
      task.timers.after(step, () => {
        this.moveTo(task, 'ACTIVATING', (now) => {
          task.pullStoppedAt = now;
        });
        task.timers.after(delay - 2 * step, () => this.run(task));
      });
    });
  }

  /**
   * StopTask, or an essential container exiting. A task already on its way out is left alone,
   * so its first stop reason stands, as in ECS. False when nothing changed.
   */
  stop(task: SimTask, stopCode: TaskStopCode, stoppedReason: string): boolean {
    const wasRunning = task.lastStatus === 'RUNNING';
    if (!this.markStopping(task, stopCode, stoppedReason)) return false;
    if (wasRunning) {
      this.afterSteps(task, [
        () => this.moveTo(task, 'DEACTIVATING'),
        () =>
          this.moveTo(task, 'STOPPING', (now) => {
            // The agent's SIGTERM: whatever still runs exits gracefully.
            for (const container of task.containers) {
              if (container.lastStatus !== 'RUNNING') continue;
              container.lastStatus = 'STOPPED';
              container.exitCode = 0;
            }
            task.executionStoppedAt ??= now;
          }),
        () => this.moveTo(task, 'DEPROVISIONING'),
        () => this.finish(task),
      ]);
    } else if (task.lastStatus === 'PROVISIONING') {
      this.afterSteps(task, [() => this.finish(task)]);
    } else {
      this.afterSteps(task, [() => this.moveTo(task, 'DEPROVISIONING'), () => this.finish(task)]);
    }
    return true;
  }

  /** desiredStatus STOPPED with its reason; the lastStatus steps follow on timers. */
  private markStopping(task: SimTask, stopCode: TaskStopCode, stoppedReason: string): boolean {
    if (task.desiredStatus === 'STOPPED') return false;
    task.timers.cancelAll();
    const wasRunning = task.lastStatus === 'RUNNING';
    this.change(task, true, (now) => {
      task.desiredStatus = 'STOPPED';
      task.stopCode = stopCode;
      task.stoppedReason = stoppedReason;
      task.stoppingAt = now;
      if (!wasRunning) {
        // Containers that never started have nothing to exit with: no exit code.
        for (const container of task.containers) container.lastStatus = 'STOPPED';
        task.executionStoppedAt = now;
      }
    });
    return true;
  }

  private run(task: SimTask): void {
    const now = this.hooks.now();
    for (const container of task.containers) {
      container.runtimeId =
        stableId(task.taskId, container.name, 'runtime') + stableId(container.containerArn);
      this.hooks.logs.write(task, container.name, task.behaviour.logLines, now);
      if (container.runsToCompletion) {
        container.lastStatus = 'STOPPED';
        container.exitCode = 0;
        continue;
      }
      container.lastStatus = 'RUNNING';
      container.healthStatus = container.hasHealthCheck ? 'HEALTHY' : 'UNKNOWN';
    }
    if (task.containerInstance) markRunning(task.containerInstance);
    this.moveTo(task, 'RUNNING', () => {
      task.startedAt = now;
      task.healthStatus = taskHealth(task.containers);
    });
    const { exitAfterMs, unhealthyAfterMs } = task.behaviour;
    if (unhealthyAfterMs !== undefined) task.timers.after(unhealthyAfterMs, () => this.turnUnhealthy(task));
    if (exitAfterMs !== undefined) task.timers.after(exitAfterMs, () => this.exit(task));
  }

  /** The containers exit on their own; their exit stops the task as an essential container's would. */
  private exit(task: SimTask): void {
    const exitCode = task.behaviour.exitCode;
    for (const container of task.containers) {
      if (container.lastStatus !== 'RUNNING') continue;
      container.lastStatus = 'STOPPED';
      container.exitCode = exitCode;
      if (exitCode === 137) container.reason = outOfMemoryReason;
    }
    task.executionStoppedAt = this.hooks.now();
    this.stop(task, 'EssentialContainerExited', 'Essential container in task exited');
  }

  /** ECS reports the health but does not stop a standalone task for it: the task keeps running. */
  private turnUnhealthy(task: SimTask): void {
    for (const container of task.containers) {
      if (container.lastStatus === 'RUNNING') container.healthStatus = 'UNHEALTHY';
    }
    this.change(task, false, () => {
      task.healthStatus = taskHealth(task.containers);
    });
  }

  /** Docker refused to create a container: the task stops from PENDING with the daemon's words. */
  private failContainerCreation(task: SimTask): void {
    const reason = task.containers.find((container) => container.createError)?.createError ?? '';
    for (const container of task.containers)
      if (container.createError) container.reason = container.createError;
    task.pullStoppedAt = this.hooks.now();
    if (this.markStopping(task, 'TaskFailedToStart', reason)) {
      this.afterSteps(task, [() => this.finish(task)]);
    }
  }

  private failImagePull(task: SimTask): void {
    const reasons = task.containers.map(
      (container) =>
        `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${container.image}: not found`,
    );
    task.containers.forEach((container, i) => {
      container.reason = reasons[i];
    });
    // A task whose images never arrived goes straight from PENDING to STOPPED.
    if (this.markStopping(task, 'TaskFailedToStart', reasons[0] ?? 'CannotPullContainerError')) {
      this.afterSteps(task, [() => this.finish(task)]);
    }
  }

  private finish(task: SimTask): void {
    const instance = task.containerInstance;
    if (instance && task.claim) release(instance, task.claim, task.startedAt !== undefined);
    this.moveTo(task, 'STOPPED', (now) => {
      task.stoppedAt = now;
    });
  }

  private afterSteps(task: SimTask, steps: (() => void)[]): void {
    const [first, ...rest] = steps;
    if (!first) return;
    task.timers.after(stopStepMs, () => {
      first();
      this.afterSteps(task, rest);
    });
  }

  private moveTo(task: SimTask, lastStatus: TaskLastStatus, alsoChange?: (now: number) => void): void {
    this.change(task, true, (now) => {
      task.lastStatus = lastStatus;
      alsoChange?.(now);
    });
  }

  private change(task: SimTask, announce: boolean, mutate: (now: number) => void): void {
    const now = this.hooks.now();
    mutate(now);
    task.version += 1;
    task.updatedAt = now;
    if (announce) this.hooks.announce(task);
  }
}

/**
 * ECS's task health: UNHEALTHY if an essential container is, HEALTHY when every essential
 * container with a health check is, UNKNOWN when none is checked.
 */
export function taskHealth(containers: readonly SimContainer[]): HealthStatus {
  const judged = containers.filter(
    (c) => c.essential && !c.runsToCompletion && (c.hasHealthCheck || c.healthStatus === 'UNHEALTHY'),
  );
  if (judged.some((c) => c.healthStatus === 'UNHEALTHY')) return 'UNHEALTHY';
  if (judged.length > 0 && judged.every((c) => c.healthStatus === 'HEALTHY')) return 'HEALTHY';
  return 'UNKNOWN';
}
