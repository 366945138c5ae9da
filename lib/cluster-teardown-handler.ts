/**
 * The custom resource behind lib/cluster-teardown.ts, run by CloudFormation: when the stack is
 * deleted, stops every task in the stack's cluster and waits until they have stopped, so the
 * cluster (ECS refuses to delete one with tasks: ClusterContainsTasksException), the container
 * instances, and the security groups and subnets pods' ENIs sit in delete cleanly. Pods' tasks
 * are started by the kubelet, outside CloudFormation, so nothing else stops them.
 *
 * Create and Update do nothing. A Delete that is not the stack's own deletion (an update rolled
 * back, or a replacement cleaned up) stops nothing either: the cluster stays and its pods run on.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeTasksCommand, ECSClient, ListTasksCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { type CustomResourceResult, reasonOf, respond } from './cfn-response';

export interface ClusterTeardownProperties {
  readonly ClusterName: string;
}

/** The StopTask reason pods' tasks show after a `cdk destroy`. */
export const stopReason = 'podplane stack deleted';

/** The ECS calls the teardown makes, so tests can play ECS. */
export interface TeardownEcs {
  /** Every task ARN with this desired status (all pages); none when the cluster is gone. */
  listTasks(cluster: string, desiredStatus: 'RUNNING' | 'PENDING' | 'STOPPED'): Promise<string[]>;
  stopTask(cluster: string, taskArn: string, reason: string): Promise<void>;
  /** lastStatus by task ARN; tasks ECS no longer knows are absent. */
  lastStatuses(cluster: string, taskArns: readonly string[]): Promise<Map<string, string>>;
}

export interface TeardownClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface StopAllOptions {
  /** When to give up (epoch ms): before the function's own timeout, so it can still answer. */
  readonly deadline: number;
  readonly pollMs: number;
  readonly clock: TeardownClock;
  readonly log?: (message: string, details: Record<string, unknown>) => void;
}

/**
 * Stops every task the cluster runs or is about to run, then waits until none is left running or
 * stopping (an awsvpc task holds its ENI until it reaches STOPPED). Lists again on every round:
 * a task launched meanwhile (a kubelet invocation already under way) is stopped too.
 * Throws when tasks are still there at the deadline, naming a few.
 */
export async function stopAllTasks(
  ecs: TeardownEcs,
  cluster: string,
  options: StopAllOptions,
): Promise<{ stopped: number }> {
  const { clock, deadline, pollMs } = options;
  const stopped = new Set<string>();
  let lastError: unknown;
  for (let round = 1; ; round++) {
    const active = unique([
      ...(await ecs.listTasks(cluster, 'RUNNING')),
      ...(await ecs.listTasks(cluster, 'PENDING')),
    ]);
    for (const batch of chunks(active, 10)) {
      await Promise.all(
        batch.map(async (task) => {
          try {
            await ecs.stopTask(cluster, task, stopReason);
            stopped.add(task);
          } catch (error) {
            // Listed again next round; the last error is what the failure reports.
            lastError = error;
          }
        }),
      );
    }
    // Tasks told to stop (by us or anyone) that have not reached STOPPED still hold ENIs.
    const told = unique([...stopped, ...(await ecs.listTasks(cluster, 'STOPPED'))]);
    const statuses = await ecs.lastStatuses(cluster, told);
    const stopping = told.filter((task) => {
      const status = statuses.get(task);
      return status !== undefined && status !== 'STOPPED';
    });
    options.log?.('teardown round', { cluster, round, active: active.length, stopping: stopping.length });
    if (active.length === 0 && stopping.length === 0) return { stopped: stopped.size };
    if (clock.now() + pollMs > deadline) {
      const left = [...active, ...stopping];
      throw new Error(
        `${left.length} task(s) of cluster ${cluster} still running or stopping when time ran out (${left.slice(0, 3).join(', ')}${left.length > 3 ? ', ...' : ''})${lastError ? `; last StopTask error: ${reasonOf(lastError)}` : ''}. Delete the stack again to retry.`,
      );
    }
    await clock.sleep(pollMs);
  }
}

export interface TeardownDependencies {
  readonly ecs: () => TeardownEcs;
  /** The stack's status, e.g. DELETE_IN_PROGRESS. */
  readonly stackStatus: (stackId: string) => Promise<string | undefined>;
  readonly respond: (event: CloudFormationCustomResourceEvent, result: CustomResourceResult) => Promise<void>;
  readonly clock: TeardownClock;
  readonly log: (message: string, details: Record<string, unknown>) => void;
}

/** Time kept back from the function's timeout to answer CloudFormation. */
const answerMarginMs = 20_000;
const pollMs = 5_000;

export function createHandler(deps: TeardownDependencies) {
  return async (
    event: CloudFormationCustomResourceEvent,
    context: Pick<Context, 'getRemainingTimeInMillis'>,
  ) => {
    const properties = event.ResourceProperties as unknown as ClusterTeardownProperties;
    const physicalId =
      'PhysicalResourceId' in event
        ? event.PhysicalResourceId
        : `podplane-teardown-${properties.ClusterName}`;
    let result: CustomResourceResult;
    try {
      if (event.RequestType === 'Delete') {
        const status = await deps.stackStatus(event.StackId);
        if (status === 'DELETE_IN_PROGRESS') {
          const deadline = deps.clock.now() + context.getRemainingTimeInMillis() - answerMarginMs;
          const { stopped } = await stopAllTasks(deps.ecs(), properties.ClusterName, {
            deadline,
            pollMs,
            clock: deps.clock,
            log: deps.log,
          });
          deps.log('cluster emptied', { cluster: properties.ClusterName, stopped });
        } else {
          deps.log('not the stack being deleted: nothing stopped', { stackStatus: status });
        }
      }
      result = { Status: 'SUCCESS', PhysicalResourceId: physicalId };
    } catch (error) {
      result = { Status: 'FAILED', PhysicalResourceId: physicalId, Reason: reasonOf(error) };
    }
    await deps.respond(event, result);
  };
}

/** ECS through the SDK (the endpoint comes from AWS_ENDPOINT_URL_ECS when set). */
export function sdkTeardownEcs(client: ECSClient): TeardownEcs {
  return {
    async listTasks(cluster, desiredStatus) {
      const arns: string[] = [];
      let nextToken: string | undefined;
      do {
        try {
          const page = await client.send(
            new ListTasksCommand({
              cluster,
              desiredStatus,
              maxResults: 100,
              ...(nextToken ? { nextToken } : {}),
            }),
          );
          arns.push(...(page.taskArns ?? []));
          nextToken = page.nextToken;
        } catch (error) {
          // Nothing runs in a cluster that is gone.
          if (error instanceof Error && error.name === 'ClusterNotFoundException') return [];
          throw error;
        }
      } while (nextToken);
      return arns;
    },
    async stopTask(cluster, task, reason) {
      await client.send(new StopTaskCommand({ cluster, task, reason }));
    },
    async lastStatuses(cluster, taskArns) {
      const statuses = new Map<string, string>();
      for (const batch of chunks(taskArns, 100)) {
        const out = await client.send(new DescribeTasksCommand({ cluster, tasks: [...batch] }));
        for (const task of out.tasks ?? [])
          if (task.taskArn && task.lastStatus) statuses.set(task.taskArn, task.lastStatus);
      }
      return statuses;
    },
  };
}

export const handler = createHandler({
  ecs: () => sdkTeardownEcs(new ECSClient({})),
  async stackStatus(stackId) {
    const out = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: stackId }));
    return out.Stacks?.[0]?.StackStatus;
  },
  respond,
  clock: { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
  log: (message, details) => console.log(JSON.stringify({ message, ...details })),
});

const unique = (items: readonly string[]): string[] => [...new Set(items)];

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
