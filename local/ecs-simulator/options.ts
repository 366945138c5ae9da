import { parseQuantity } from '../../functions/core/quantity';
import type { EcsTaskStateChangeEvent } from './events';
import type { OperationHook } from './server';
import type { SimulatorState } from './state';

export interface EcsSimulatorOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** 0 picks a free port (the default). */
  port?: number;
  /** Default 'us-east-1'. */
  region?: string;
  /** Default '000000000000'. */
  accountId?: string;
  clusterName: string;
  /** Number of simulated EC2 container instances. */
  nodes: number;
  /** vCPUs per instance; ECS registers 1024 CPU units per vCPU. */
  nodeCpu: number;
  /** MiB per instance. */
  nodeMemoryMiB: number;
  /** Default ['us-east-1a', 'us-east-1b', 'us-east-1c']; instances are spread round-robin. */
  zones?: string[];
  /** Default { burst: 100, perSecond: 20 } as ECS; false disables throttling. */
  runTaskRate?: { burst: number; perSecond: number } | false;
  /** Time from RunTask to RUNNING when a task does not say otherwise. Default 5 ms. */
  defaultStartDelayMs?: number;
  /** Receives every "ECS Task State Change" event, as EventBridge would deliver it. */
  onTaskStateChange?: (event: EcsTaskStateChangeEvent) => void;
  /**
   * Simulated time per real time, for tests: 0.01 makes `exit-after: 10m` take 6 s, and the
   * task's timestamps read as if 10 minutes had passed. Default 1. RunTask's rate stays real.
   */
  timeScale?: number;
  /**
   * ECS's `awsvpcTrunking` account setting, on by default here: every container instance gets a
   * trunk ENI (the `ecs.awsvpc-trunk-id` attribute) and holds as many awsvpc tasks as ECS's
   * trunking table allows for its instance type; off, one per ENI beyond the primary.
   */
  awsvpcTrunking?: boolean;
  /** Runs around every ECS operation: the fault mode's hook (local/faults/ecs.ts). */
  operationHook?: OperationHook<SimulatorState>;
  /**
   * Keep the simulator's state in this directory (`ecs-simulator.jsonl`) and resume from it on
   * the next start: tasks, container instances, clientTokens, task definitions, logs, and the
   * lifecycle steps still to come. In memory when absent.
   */
  dataDir?: string;
  /** Says what a data directory's journal discarded (a torn last write) or could not write. */
  log?: (line: string) => void;
}

export interface SimulatorConfig {
  readonly host: string;
  readonly port: number;
  readonly region: string;
  readonly accountId: string;
  readonly clusterName: string;
  readonly nodes: number;
  readonly nodeCpuUnits: number;
  readonly nodeMemoryMiB: number;
  readonly zones: readonly string[];
  readonly runTaskRate: { readonly burst: number; readonly perSecond: number } | false;
  readonly defaultStartDelayMs: number;
  readonly timeScale: number;
  readonly awsvpcTrunking: boolean;
}

export function resolveOptions(options: EcsSimulatorOptions): SimulatorConfig {
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(options.clusterName)) {
    throw new Error(
      `clusterName must be 1-255 letters, digits, hyphens or underscores: ${options.clusterName}`,
    );
  }
  if (!Number.isInteger(options.nodes) || options.nodes < 0)
    throw new Error('nodes must be a whole number >= 0');
  if (!(options.nodeCpu > 0) || !(options.nodeMemoryMiB > 0)) {
    throw new Error('nodeCpu and nodeMemoryMiB must be positive');
  }
  if (options.timeScale !== undefined && !(options.timeScale > 0))
    throw new Error('timeScale must be positive');
  const zones = options.zones ?? ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  if (zones.length === 0) throw new Error('zones must not be empty');
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    region: options.region ?? 'us-east-1',
    accountId: options.accountId ?? '000000000000',
    clusterName: options.clusterName,
    nodes: options.nodes,
    nodeCpuUnits: Math.round(options.nodeCpu * 1024),
    nodeMemoryMiB: Math.floor(options.nodeMemoryMiB),
    zones,
    runTaskRate: options.runTaskRate ?? { burst: 100, perSecond: 20 },
    defaultStartDelayMs: options.defaultStartDelayMs ?? 5,
    timeScale: options.timeScale ?? 1,
    awsvpcTrunking: options.awsvpcTrunking ?? true,
  };
}

/**
 * A node's vCPUs from `--node-cpu`: a number of vCPUs (`4`, `0.5`) or a Kubernetes CPU quantity
 * (`4000m`). Throws, saying what is expected, for anything else.
 */
export function nodeCpuFromFlag(text: string): number {
  const cores = parseQuantity(text);
  // ECS registers whole CPU units, 1024 per vCPU.
  if (cores === undefined || !Number.isFinite(cores) || !(Math.round(cores * 1024) >= 1))
    throw new Error(
      `--node-cpu must be a number of vCPUs or a CPU quantity such as 4 or 4000m, got "${text}"`,
    );
  return cores;
}

/**
 * A node's memory in MiB from `--node-memory`: a plain number is MiB (`8192`), as it always was;
 * anything else is a Kubernetes memory quantity (`8Gi`, `8192Mi`, `8G`), rounded down to whole
 * MiB as ECS registers memory. Throws, saying what is expected, for anything else.
 */
export function nodeMemoryMiBFromFlag(text: string): number {
  const plain = /^\s*\d+(\.\d+)?\s*$/.test(text);
  const value = parseQuantity(text);
  const mebibytes = value === undefined ? 0 : Math.floor(plain ? value : value / 2 ** 20);
  if (!Number.isFinite(mebibytes) || !(mebibytes >= 1))
    throw new Error(
      `--node-memory must be a number of MiB or a memory quantity such as 8Gi, 8192Mi or 8G (at least 1Mi), got "${text}"`,
    );
  return mebibytes;
}
