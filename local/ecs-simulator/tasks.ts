import type { Failure } from '@aws-sdk/client-ecs';
import { resourceId } from './arns';
import type { SimTask } from './model';
import type { Wire } from './wire';

/** ECS keeps a stopped task describable for about an hour, then forgets it. */
export const stoppedTaskRetentionMs = 60 * 60 * 1000;
/** RunTask's clientToken is remembered for 24 hours. */
export const clientTokenRetentionMs = 24 * 60 * 60 * 1000;

interface RememberedRunTask {
  readonly taskIds: readonly string[];
  readonly failures: readonly Wire<Failure>[];
  readonly at: number;
}

/**
 * The cluster's tasks, RunTask's idempotency tokens and the private IPs handed out. Expiry is
 * lazy (on the next request), so nothing here needs a timer.
 */
export class TaskStore {
  private readonly tasks = new Map<string, SimTask>();
  private readonly clientTokens = new Map<string, RememberedRunTask>();
  private addressesHandedOut = 0;
  private launched = 0;

  constructor(private readonly now: () => number = Date.now) {}

  add(task: SimTask): void {
    this.tasks.set(task.taskId, task);
    this.launched += 1;
  }

  /** By task ARN (either ARN format) or task id. */
  find(identifier: string): SimTask | undefined {
    return this.tasks.get(resourceId(identifier));
  }

  all(): IterableIterator<SimTask> {
    return this.tasks.values();
  }

  get launchedCount(): number {
    return this.launched;
  }

  rememberClientToken(token: string, taskIds: readonly string[], failures: readonly Wire<Failure>[]): void {
    this.clientTokens.set(token, { taskIds, failures, at: this.now() });
  }

  /** The tasks an earlier RunTask with this token launched (forgotten ones left out). */
  recall(token: string): { tasks: SimTask[]; failures: readonly Wire<Failure>[] } | undefined {
    const remembered = this.clientTokens.get(token);
    if (!remembered) return undefined;
    const tasks = remembered.taskIds.flatMap((id) => this.tasks.get(id) ?? []);
    return { tasks, failures: remembered.failures };
  }

  /**
   * A private IPv4 address no other task got: 10.0.0.1, 10.0.0.2, ... skipping .0 and .255 of
   * each /24 so every address looks like a usable host address.
   */
  nextPrivateIpv4Address(): string {
    const n = this.addressesHandedOut++;
    const host = (n % 254) + 1;
    const subnet = Math.floor(n / 254);
    return `10.${Math.floor(subnet / 256) % 256}.${subnet % 256}.${host}`;
  }

  /** Forgets tasks stopped more than an hour ago and tokens older than a day; returns the task ids. */
  sweep(): string[] {
    const now = this.now();
    const forgotten: string[] = [];
    for (const [id, task] of this.tasks) {
      if (task.stoppedAt !== undefined && now - task.stoppedAt > stoppedTaskRetentionMs) {
        this.tasks.delete(id);
        forgotten.push(id);
      }
    }
    for (const [token, remembered] of this.clientTokens) {
      if (now - remembered.at > clientTokenRetentionMs) this.clientTokens.delete(token);
    }
    return forgotten;
  }
}
