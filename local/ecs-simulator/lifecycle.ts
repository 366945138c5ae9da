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
  /** Every change of the task (announced or not), for a data directory to keep. */
  readonly changed?: (task: SimTask) => void;
  readonly logs: LogStore;
}

/** The step a task takes next, and when (on the simulator's clock). */
interface NextStep {
  readonly at: number;
  readonly take: () => void;
}

/**
 * Drives tasks through ECS's lifecycle on timers, the way the ECS agent reports it:
 * PROVISIONING -> PENDING -> ACTIVATING -> RUNNING, and on stop or exit
 * DEACTIVATING -> STOPPING -> DEPROVISIONING -> STOPPED. Every change bumps `version`; every
 * change of lastStatus or desiredStatus is announced.
 *
 * What a task does next, and when, follows from what it shows (its status and the times it
 * reached each one), so a task has at most one timer, and a task restored from a data directory
 * resumes where it was: `resume` schedules the same step at the same time.
 */
export class TaskLifecycle {
  constructor(private readonly hooks: LifecycleHooks) {}

  /** The task was just created in PROVISIONING. */
  start(task: SimTask): void {
    this.hooks.announce(task);
    this.scheduleNext(task);
  }

  /**
   * A task restored after a restart: announced as it is now (the killed process may not have
   * delivered its last event; consumers take events at least once, as EventBridge sends them),
   * and the step it was waiting for is taken when it was due, at once if that time passed while
   * the simulator was down.
   */
  resume(task: SimTask): void {
    this.hooks.announce(task);
    this.scheduleNext(task);
  }

  /**
   * StopTask, or an essential container exiting. A task already on its way out is left alone,
   * so its first stop reason stands, as in ECS. False when nothing changed.
   */
  stop(task: SimTask, stopCode: TaskStopCode, stoppedReason: string): boolean {
    if (!this.markStopping(task, stopCode, stoppedReason)) return false;
    this.scheduleNext(task);
    return true;
  }

  private scheduleNext(task: SimTask): void {
    task.timers.cancelAll();
    const next = this.nextStep(task);
    if (!next) return;
    task.timers.after(next.at - this.hooks.now(), () => {
      next.take();
      this.scheduleNext(task);
    });
  }

  /**
   * The task's next step from what it shows: the start's steps split its start delay in thirds
   * (PENDING, ACTIVATING, RUNNING), a stop takes 1 ms a step, and a running task's own exit and
   * health change count from its start. Undefined when nothing is pending.
   */
  private nextStep(task: SimTask): NextStep | undefined {
    if (task.lastStatus === 'STOPPED') return undefined;
    if (task.desiredStatus === 'STOPPED')
      return { at: task.updatedAt + stopStepMs, take: this.stopStep(task) };
    const delay = task.behaviour.startDelayMs;
    const step = Math.floor(delay / 3);
    switch (task.lastStatus) {
      case 'PROVISIONING':
        return {
          at: task.createdAt + step,
          take: () =>
            this.moveTo(task, 'PENDING', (now) => {
              task.pullStartedAt = now;
              task.connectivityAt = now;
            }),
        };
      case 'PENDING': {
        const pending = task.pullStartedAt ?? task.updatedAt;
        if (task.behaviour.imagePullError)
          return { at: pending + delay - step, take: () => this.failImagePull(task) };
        if (task.containers.some((container) => container.createError))
          return { at: pending + delay - step, take: () => this.failContainerCreation(task) };
        return {
          at: pending + step,
          take: () =>
            this.moveTo(task, 'ACTIVATING', (now) => {
              task.pullStoppedAt = now;
            }),
        };
      }
      case 'ACTIVATING':
        return { at: (task.pullStoppedAt ?? task.updatedAt) + delay - 2 * step, take: () => this.run(task) };
      case 'RUNNING':
        return this.nextWhileRunning(task);
      default:
        return undefined;
    }
  }

  /**
   * A running task writes its ticks, turns unhealthy and exits when its behaviour says, counted
   * from its start: the earliest of these first, and on a tie in that order, so a tick due as the
   * container exits is still written.
   */
  private nextWhileRunning(task: SimTask): NextStep | undefined {
    const started = task.startedAt ?? task.updatedAt;
    const { exitAfterMs, unhealthyAfterMs } = task.behaviour;
    const healthy = task.containers.some((c) => c.lastStatus === 'RUNNING' && c.healthStatus !== 'UNHEALTHY');
    const steps: NextStep[] = [];
    const tick = this.nextTick(task, started);
    if (tick) steps.push(tick);
    if (unhealthyAfterMs !== undefined && healthy)
      steps.push({ at: started + unhealthyAfterMs, take: () => this.turnUnhealthy(task) });
    if (exitAfterMs !== undefined) steps.push({ at: started + exitAfterMs, take: () => this.exit(task) });
    return steps.reduce<NextStep | undefined>(
      (first, step) => (first && first.at <= step.at ? first : step),
      undefined,
    );
  }

  /**
   * `log-every`: tick n is due n intervals after the start, stamped with that time. Which n is
   * next follows from the lines the containers have written (kept with the task's logs), so a
   * restored task writes the ticks it missed while the simulator was down, then goes on.
   */
  private nextTick(task: SimTask, started: number): NextStep | undefined {
    const every = task.behaviour.logEveryMs;
    const writer = task.containers.find((c) => c.lastStatus === 'RUNNING');
    if (every === undefined || !writer) return undefined;
    const n = this.hooks.logs.count(task.taskId, writer.name) - task.behaviour.logLines.length + 1;
    const at = started + n * every;
    return {
      at,
      take: () => {
        for (const container of task.containers)
          if (container.lastStatus === 'RUNNING')
            this.hooks.logs.write(task, container.name, [`tick ${n}`], at);
      },
    };
  }

  /**
   * The next step of a stop: a running task goes DEACTIVATING, STOPPING (the agent's SIGTERM),
   * DEPROVISIONING, STOPPED; one stopped before it ran goes (DEPROVISIONING ->) STOPPED, and
   * one that failed to start (image pull, container creation) straight to STOPPED.
   */
  private stopStep(task: SimTask): () => void {
    switch (task.lastStatus) {
      case 'RUNNING':
        return () => this.moveTo(task, 'DEACTIVATING');
      case 'DEACTIVATING':
        return () =>
          this.moveTo(task, 'STOPPING', (now) => {
            // The agent's SIGTERM: whatever still runs exits gracefully.
            for (const container of task.containers) {
              if (container.lastStatus !== 'RUNNING') continue;
              container.lastStatus = 'STOPPED';
              container.exitCode = 0;
            }
            task.executionStoppedAt ??= now;
          });
      case 'STOPPING':
        return () => this.moveTo(task, 'DEPROVISIONING');
      case 'PENDING':
      case 'ACTIVATING':
        if (task.stopCode !== 'TaskFailedToStart') return () => this.moveTo(task, 'DEPROVISIONING');
        return () => this.finish(task);
      default:
        return () => this.finish(task);
    }
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
    this.markStopping(task, 'TaskFailedToStart', reason);
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
    this.markStopping(task, 'TaskFailedToStart', reasons[0] ?? 'CannotPullContainerError');
  }

  private finish(task: SimTask): void {
    const instance = task.containerInstance;
    if (instance && task.claim) release(instance, task.claim, task.startedAt !== undefined);
    this.moveTo(task, 'STOPPED', (now) => {
      task.stoppedAt = now;
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
    this.hooks.changed?.(task);
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
