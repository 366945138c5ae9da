import { Arns, clusterName } from './arns';
import { noChanges, type SimulatorChanges } from './changes';
import { createContainerInstances, type SimContainerInstance } from './container-instances';
import { clusterNotFound } from './errors';
import { type EcsTaskStateChangeEvent, eventDelivery, toTaskStateChangeEvent } from './events';
import { TaskLifecycle } from './lifecycle';
import { LogStore } from './logs';
import type { SimulatorConfig } from './options';
import { TokenBucket } from './rate-limit';
import { TaskDefinitionRegistry } from './task-definitions';
import { TaskStore } from './tasks';
import { Timers } from './timers';

/** ECS's name for the cluster a request without `cluster` goes to. */
const defaultClusterName = 'default';
/** Expired tasks and tokens are swept at most this often, on the back of a request. */
const sweepIntervalMs = 1000;

/** Everything one simulated account, Region and cluster holds; the operations work on this. */
export class SimulatorState {
  readonly arns: Arns;
  readonly clusterArn: string;
  readonly timers: Timers;
  readonly logs: LogStore;
  readonly taskDefinitions: TaskDefinitionRegistry;
  readonly containerInstances: readonly SimContainerInstance[];
  readonly tasks: TaskStore;
  readonly lifecycle: TaskLifecycle;
  readonly runTaskRate: TokenBucket | undefined;
  readonly counters = { runTaskCalls: 0, runTaskThrottles: 0 };
  fargateLaunches = 0;
  private sweptAt: number;

  constructor(
    readonly config: SimulatorConfig,
    onTaskStateChange: ((event: EcsTaskStateChangeEvent) => void) | undefined,
    readonly now: () => number = scaledClock(config.timeScale),
    /** A data directory's journal (persistence.ts); nothing is kept by default. */
    readonly changes: SimulatorChanges = noChanges,
  ) {
    this.timers = new Timers(config.timeScale);
    this.arns = new Arns(config.region, config.accountId);
    this.clusterArn = this.arns.cluster(config.clusterName);
    this.logs = new LogStore(changes);
    this.taskDefinitions = new TaskDefinitionRegistry(this.arns, now, changes);
    this.containerInstances = createContainerInstances(config, this.arns, now());
    this.tasks = new TaskStore(now, changes);
    // ECS's rate limit is in real seconds, whatever the simulated clock does.
    this.runTaskRate = config.runTaskRate ? new TokenBucket(config.runTaskRate, Date.now) : undefined;
    const deliver = eventDelivery(onTaskStateChange, (run) => this.timers.soon(run));
    const context = { account: config.accountId, region: config.region };
    this.lifecycle = new TaskLifecycle({
      now,
      logs: this.logs,
      // The event is built now, so it shows the task as it was at this change.
      announce: (task) => deliver(toTaskStateChangeEvent(task, context)),
      changed: (task) => changes.taskChanged(task),
    });
    this.sweptAt = now();
  }

  /** The simulated cluster, by name or ARN; ECS's `default` when the request names none. */
  resolveCluster(identifier: string | undefined): string {
    const name = clusterName(identifier ?? defaultClusterName);
    if (name !== this.config.clusterName) throw clusterNotFound();
    if (identifier?.startsWith('arn:') && identifier !== this.clusterArn) throw clusterNotFound();
    return this.clusterArn;
  }

  /** Fargate picks a zone per task; the simulator goes round the configured zones. */
  nextFargateZone(): string {
    const zones = this.config.zones;
    return zones[this.fargateLaunches++ % zones.length] ?? this.config.region;
  }

  /** After each request, before its response: what it changed is written down first. */
  settle(): void {
    this.changes.settle();
  }

  sweepExpired(): void {
    const now = this.now();
    if (now - this.sweptAt < sweepIntervalMs) return;
    this.sweptAt = now;
    for (const taskId of this.tasks.sweep()) this.logs.forget(taskId);
  }
}

/**
 * A clock that runs 1/scale times as fast as the real one, from now on, starting at `from` (a
 * restart's clock goes on from where the last one was).
 */
export function scaledClock(scale: number, from?: number): () => number {
  if (scale === 1 && from === undefined) return Date.now;
  const realOrigin = Date.now();
  const origin = from ?? realOrigin;
  return () => Math.round(origin + (Date.now() - realOrigin) / scale);
}
