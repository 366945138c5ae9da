import type { SimTask } from './model';

export interface LogLine {
  readonly timestamp: number;
  readonly message: string;
}

/**
 * What containers wrote, per task and container, as the awslogs driver would ship it to
 * CloudWatch Logs. Kept as long as the task is, so memory stays bounded.
 */
export class LogStore {
  private readonly lines = new Map<string, Map<string, LogLine[]>>();

  write(task: SimTask, containerName: string, messages: readonly string[], timestamp: number): void {
    if (messages.length === 0) return;
    const perContainer = this.lines.get(task.taskId) ?? new Map<string, LogLine[]>();
    this.lines.set(task.taskId, perContainer);
    const lines = perContainer.get(containerName) ?? [];
    perContainer.set(containerName, lines);
    for (const message of messages) lines.push({ timestamp, message });
  }

  read(taskId: string, containerName: string): LogLine[] {
    return [...(this.lines.get(taskId)?.get(containerName) ?? [])];
  }

  forget(taskId: string): void {
    this.lines.delete(taskId);
  }
}
