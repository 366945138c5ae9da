import type { TaskLogs } from './logs';
import type { SimTask } from './model';
import type { RegisteredTaskDefinition } from './task-definitions';
import type { RememberedRunTask } from './tasks';

/**
 * Where the simulator reports each change of what it holds, so a data directory can keep it
 * (persistence.ts). In memory, nobody listens.
 */
export interface SimulatorChanges {
  /** A task was created or changed (its containers and claim included). */
  taskChanged(task: SimTask): void;
  /** A stopped task ECS no longer describes: it and its logs are gone. */
  taskForgotten(taskId: string): void;
  /** RunTask remembered a clientToken, or forgot it (undefined). */
  clientTokenChanged(token: string, remembered: RememberedRunTask | undefined): void;
  familyChanged(family: string, revisions: readonly RegisteredTaskDefinition[]): void;
  logsChanged(taskId: string, logs: TaskLogs): void;
  /** Writes what changed now: called before a response tells a client that it happened. */
  settle(): void;
}

export const noChanges: SimulatorChanges = {
  taskChanged: () => undefined,
  taskForgotten: () => undefined,
  clientTokenChanged: () => undefined,
  familyChanged: () => undefined,
  logsChanged: () => undefined,
  settle: () => undefined,
};
