import { join } from 'node:path';
import { Journal } from '../journal';
import type { SimulatorChanges } from './changes';
import { type PortProtocol, reclaim, type SimContainerInstance } from './container-instances';
import type { TaskLogs } from './logs';
import type { SimTask } from './model';
import type { SimulatorState } from './state';
import type { RegisteredTaskDefinition } from './task-definitions';
import type { RememberedRunTask } from './tasks';
import { TimerGroup } from './timers';

/** The simulator's file in a data directory. */
export const simulatorJournalFile = 'ecs-simulator.jsonl';
const format = 'podplane-ecs-simulator/1';

/** A task as it is written down: its instance by id, no timers (they follow from its state). */
type StoredTask = Omit<SimTask, 'containerInstance' | 'timers'> & { containerInstanceId?: string };

/** What a container instance keeps beyond its tasks' claims. */
interface StoredInstance {
  readonly version: number;
  readonly nextDynamicPort: Record<PortProtocol, number>;
}

interface StoredMeta {
  /** The simulator's clock and the real one at the last change, so a restart's clock goes on. */
  readonly clock: { readonly simulated: number; readonly real: number };
  readonly addressesHandedOut: number;
  readonly launched: number;
  readonly fargateLaunches: number;
  readonly runTaskCalls: number;
  readonly runTaskThrottles: number;
}

export interface RestoredSimulator {
  /** Tasks back in the cluster, and how many of them are RUNNING. */
  readonly tasks: number;
  readonly running: number;
  /** Tasks left out because their container instance is no longer configured (--nodes). */
  readonly dropped: number;
}

/**
 * The simulator's state in a data directory: every task (containers, claim, ENI, behaviour),
 * RunTask's clientTokens, task definitions, log lines, each container instance's version and
 * dynamic-port cursor, and the counters behind addresses and subnet turns — written as it
 * changes (local/journal.ts) and read back by `restore`.
 *
 * Not written: the instances' remaining resources, ports and ENIs (a restore takes its tasks'
 * claims again, so they cannot disagree with the tasks) and the timers (a task's next step
 * follows from its state; TaskLifecycle.resume schedules it).
 */
export class SimulatorJournal implements SimulatorChanges {
  private state: SimulatorState | undefined;

  private constructor(private readonly journal: Journal) {}

  static open(dataDir: string, log?: (line: string) => void): SimulatorJournal {
    return new SimulatorJournal(
      Journal.open(join(dataDir, simulatorJournalFile), { format, ...(log ? { log } : {}) }),
    );
  }

  /**
   * The clock a restart goes on with: where the last one was, plus the time the simulator was
   * down, scaled as the clock is (ECS's clock did not stop while the plane was down).
   */
  clockStart(timeScale: number): number | undefined {
    const meta = this.journal.get<StoredMeta>('meta');
    if (!meta) return undefined;
    const start = meta.clock.simulated + (Date.now() - meta.clock.real) / timeScale;
    // At full speed the clock is the real one, unless an earlier, faster run got ahead of it.
    return timeScale === 1 && start <= Date.now() ? undefined : Math.round(start);
  }

  /** Puts back what the data directory holds; the tasks' pending steps resume on their timers. */
  restore(state: SimulatorState): RestoredSimulator {
    const meta = this.journal.get<StoredMeta>('meta');
    if (meta) {
      state.tasks.restoreCounters(meta);
      state.fargateLaunches = meta.fargateLaunches;
      state.counters.runTaskCalls = meta.runTaskCalls;
      state.counters.runTaskThrottles = meta.runTaskThrottles;
    }
    for (const [key, revisions] of this.journal.entries<RegisteredTaskDefinition[]>('family/'))
      state.taskDefinitions.restore(key.slice('family/'.length), revisions);
    const instances = new Map(state.containerInstances.map((instance) => [instance.id, instance]));
    for (const [key, stored] of this.journal.entries<StoredInstance>('instance/')) {
      const instance = instances.get(key.slice('instance/'.length));
      if (!instance) continue;
      instance.version = stored.version;
      Object.assign(instance.nextDynamicPort, stored.nextDynamicPort);
    }
    const restored: SimTask[] = [];
    let dropped = 0;
    for (const [key, stored] of this.journal.entries<StoredTask>('task/')) {
      const task = taskFrom(stored, instances, state);
      if (!task) {
        dropped++;
        this.journal.delete(key);
        this.journal.delete(`logs/${stored.taskId}`);
        continue;
      }
      state.tasks.restore(task);
      if (task.containerInstance && task.claim && task.lastStatus !== 'STOPPED')
        reclaim(task.containerInstance, task.claim, task.startedAt !== undefined);
      restored.push(task);
    }
    for (const [key, remembered] of this.journal.entries<RememberedRunTask>('token/'))
      state.tasks.restoreClientToken(key.slice('token/'.length), remembered);
    for (const [key, logs] of this.journal.entries<TaskLogs>('logs/'))
      state.logs.restore(key.slice('logs/'.length), logs);
    this.state = state;
    for (const task of restored) state.lifecycle.resume(task);
    return {
      tasks: restored.length,
      running: restored.filter((task) => task.lastStatus === 'RUNNING').length,
      dropped,
    };
  }

  taskChanged(task: SimTask): void {
    const { containerInstance, timers: _timers, ...rest } = task;
    const stored: StoredTask = {
      ...rest,
      ...(containerInstance ? { containerInstanceId: containerInstance.id } : {}),
    };
    this.journal.put(`task/${task.taskId}`, stored);
    if (containerInstance) this.instanceChanged(containerInstance);
    this.metaChanged();
  }

  taskForgotten(taskId: string): void {
    this.journal.delete(`task/${taskId}`);
    this.journal.delete(`logs/${taskId}`);
  }

  clientTokenChanged(token: string, remembered: RememberedRunTask | undefined): void {
    if (remembered) this.journal.put(`token/${token}`, remembered);
    else this.journal.delete(`token/${token}`);
  }

  familyChanged(family: string, revisions: readonly RegisteredTaskDefinition[]): void {
    this.journal.put(`family/${family}`, revisions);
  }

  logsChanged(taskId: string, logs: TaskLogs): void {
    this.journal.put(`logs/${taskId}`, logs);
  }

  settle(): void {
    this.journal.flush();
  }

  close(): void {
    this.journal.close();
  }

  private instanceChanged(instance: SimContainerInstance): void {
    const stored: StoredInstance = { version: instance.version, nextDynamicPort: instance.nextDynamicPort };
    this.journal.put(`instance/${instance.id}`, stored);
  }

  private metaChanged(): void {
    const state = this.state;
    if (!state) return;
    const meta: StoredMeta = {
      clock: { simulated: state.now(), real: Date.now() },
      ...state.tasks.counters,
      fargateLaunches: state.fargateLaunches,
      runTaskCalls: state.counters.runTaskCalls,
      runTaskThrottles: state.counters.runTaskThrottles,
    };
    this.journal.put('meta', meta);
  }
}

/** A stored task back in its live shape; undefined when its container instance is gone. */
function taskFrom(
  stored: StoredTask,
  instances: ReadonlyMap<string, SimContainerInstance>,
  state: SimulatorState,
): SimTask | undefined {
  const { containerInstanceId, ...rest } = stored;
  const containerInstance = containerInstanceId ? instances.get(containerInstanceId) : undefined;
  if (containerInstanceId && !containerInstance) return undefined;
  return {
    ...rest,
    ...(containerInstance ? { containerInstance } : {}),
    timers: new TimerGroup(state.timers),
  };
}
