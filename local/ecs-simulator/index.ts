import type { AddressInfo } from 'node:net';
import { resourceId } from './arns';
import type { LogLine } from './logs';
import { clusterOperations } from './operations/cluster';
import { logsOperations } from './operations/logs';
import { runTaskOperations } from './operations/run-task';
import { taskDefinitionOperations } from './operations/task-definitions';
import { taskOperations } from './operations/tasks';
import { type EcsSimulatorOptions, resolveOptions } from './options';
import { type RestoredSimulator, SimulatorJournal } from './persistence';
import { createAwsJsonServer } from './server';
import { SimulatorState, scaledClock } from './state';

export type { EcsTaskStateChangeEvent, TaskStateChangeContainer, TaskStateChangeDetail } from './events';
export type { LogLine } from './logs';
export type { EcsSimulatorOptions } from './options';
export type { RestoredSimulator } from './persistence';

export interface EcsSimulator {
  /** Base URL for `new ECSClient({ endpoint })` or AWS_ENDPOINT_URL_ECS, e.g. http://127.0.0.1:41234 */
  endpoint: string;
  clusterArn: string;
  /** Closes the server and clears every timer: no handle is left open. */
  stop(): Promise<void>;
  /** RunTask calls received (throttled ones included), those throttled, and tasks launched. */
  stats(): { runTaskCalls: number; runTaskThrottles: number; tasks: number };
  /** What a container wrote (the `sim.podplane.dev/logs` lines), by task ARN or id. */
  logLines(taskArn: string, containerName: string): LogLine[];
  /** With a data directory: what was restored from it at start. */
  readonly restored: RestoredSimulator | undefined;
}

const ecsTarget = 'AmazonEC2ContainerServiceV20141113';
// CloudWatch Logs' GetLogEvents is served on the same endpoint, for AWS_ENDPOINT_URL_CLOUDWATCH_LOGS.
const logsTarget = 'Logs_20140328';

/**
 * Starts an in-process Amazon ECS that speaks ECS's JSON protocol: a cluster of simulated EC2
 * container instances (and Fargate) on which tasks go through ECS's lifecycle on timers.
 */
export async function startEcsSimulator(options: EcsSimulatorOptions): Promise<EcsSimulator> {
  const config = resolveOptions(options);
  const journal = options.dataDir ? SimulatorJournal.open(options.dataDir, options.log) : undefined;
  const clockStart = journal?.clockStart(config.timeScale);
  const state = new SimulatorState(
    config,
    options.onTaskStateChange,
    scaledClock(config.timeScale, clockStart),
    journal,
  );
  const restored = journal?.restore(state);
  const server = createAwsJsonServer(
    state,
    {
      [ecsTarget]: {
        ...taskDefinitionOperations,
        ...clusterOperations,
        ...runTaskOperations,
        ...taskOperations,
      },
      [logsTarget]: logsOperations,
    },
    options.operationHook,
  );
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    state.timers.clearAll();
    journal?.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://${host}:${port}`,
    clusterArn: state.clusterArn,
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        state.timers.clearAll();
        journal?.close();
        server.close((error) => (error ? reject(error) : resolve()));
        // Clients keep connections alive; close them so `close` completes now.
        server.closeAllConnections();
      });
      return stopped;
    },
    stats: () => ({
      runTaskCalls: state.counters.runTaskCalls,
      runTaskThrottles: state.counters.runTaskThrottles,
      tasks: state.tasks.launchedCount,
    }),
    logLines: (taskArn, containerName) => state.logs.read(resourceId(taskArn), containerName),
    restored,
  };
}
