import { noChanges, type SimulatorChanges } from './changes';
import type { SimTask } from './model';

export interface LogLine {
  readonly timestamp: number;
  readonly message: string;
}

/** One task's lines, per container name. */
export type TaskLogs = Record<string, LogLine[]>;

/**
 * What containers wrote, per task and container, as the awslogs driver would ship it to
 * CloudWatch Logs. Kept as long as the task is, so memory stays bounded.
 */
export class LogStore {
  private readonly lines = new Map<string, Map<string, LogLine[]>>();

  constructor(private readonly changes: SimulatorChanges = noChanges) {}

  write(task: SimTask, containerName: string, messages: readonly string[], timestamp: number): void {
    if (messages.length === 0) return;
    const perContainer = this.lines.get(task.taskId) ?? new Map<string, LogLine[]>();
    this.lines.set(task.taskId, perContainer);
    const lines = perContainer.get(containerName) ?? [];
    perContainer.set(containerName, lines);
    for (const message of messages) lines.push({ timestamp, message });
    this.changes.logsChanged(task.taskId, Object.fromEntries(perContainer));
  }

  read(taskId: string, containerName: string): LogLine[] {
    return [...(this.lines.get(taskId)?.get(containerName) ?? [])];
  }

  /** How many lines a container has written. */
  count(taskId: string, containerName: string): number {
    return this.lines.get(taskId)?.get(containerName)?.length ?? 0;
  }

  /** A task's lines kept in a data directory, back as they were. */
  restore(taskId: string, logs: TaskLogs): void {
    this.lines.set(taskId, new Map(Object.entries(logs)));
  }

  forget(taskId: string): void {
    this.lines.delete(taskId);
  }
}
