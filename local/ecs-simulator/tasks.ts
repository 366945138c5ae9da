import type { Failure } from '@aws-sdk/client-ecs';
import { resourceId } from './arns';
import { noChanges, type SimulatorChanges } from './changes';
import type { SimTask } from './model';
import type { Wire } from './wire';

/** ECS keeps a stopped task describable for about an hour, then forgets it. */
export const stoppedTaskRetentionMs = 60 * 60 * 1000;
/** RunTask's clientToken is remembered for 24 hours. */
export const clientTokenRetentionMs = 24 * 60 * 60 * 1000;

export interface RememberedRunTask {
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

  constructor(
    private readonly now: () => number = Date.now,
    private readonly changes: SimulatorChanges = noChanges,
  ) {}

  add(task: SimTask): void {
    this.tasks.set(task.taskId, task);
    this.launched += 1;
    this.changes.taskChanged(task);
  }

  /** A task kept in a data directory, back as it was (restoring changes nothing there). */
  restore(task: SimTask): void {
    this.tasks.set(task.taskId, task);
    // The counters are written after the task: should a kill have cut them off, its address is
    // still never handed out again.
    const address = task.eni?.privateIpv4Address;
    if (address) this.addressesHandedOut = Math.max(this.addressesHandedOut, addressNumber(address) + 1);
  }

  restoreClientToken(token: string, remembered: RememberedRunTask): void {
    this.clientTokens.set(token, remembered);
  }

  /** The counters behind task addresses and subnet turns, so a restart hands out no address twice. */
  get counters(): { addressesHandedOut: number; launched: number } {
    return { addressesHandedOut: this.addressesHandedOut, launched: this.launched };
  }

  restoreCounters(counters: { addressesHandedOut: number; launched: number }): void {
    this.addressesHandedOut = Math.max(this.addressesHandedOut, counters.addressesHandedOut);
    this.launched = Math.max(this.launched, counters.launched);
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
    const remembered = { taskIds, failures, at: this.now() };
    this.clientTokens.set(token, remembered);
    this.changes.clientTokenChanged(token, remembered);
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
        this.changes.taskForgotten(id);
      }
    }
    for (const [token, remembered] of this.clientTokens) {
      if (now - remembered.at > clientTokenRetentionMs) {
        this.clientTokens.delete(token);
        this.changes.clientTokenChanged(token, undefined);
      }
    }
    return forgotten;
  }
}

/** Which address nextPrivateIpv4Address handed out as `10.a.b.c` (its n). */
function addressNumber(address: string): number {
  const [, a = 0, b = 0, c = 1] = address.split('.').map(Number);
  return (a * 256 + b) * 254 + (c - 1);
}
