import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { CustomResourceResult } from '../../lib/cfn-response';
import {
  createHandler,
  type StopAllOptions,
  stopAllTasks,
  stopReason,
  type TeardownEcs,
} from '../../lib/cluster-teardown-handler';

/**
 * A cluster as ECS shows it to the teardown: tasks with a desired and a last status. A stopped
 * task takes `stopRounds` of the clock's sleeps to reach STOPPED (an awsvpc task detaching its
 * ENI), and a task can be launched while the teardown runs.
 */
class FakeCluster implements TeardownEcs {
  readonly tasks = new Map<
    string,
    { desired: 'RUNNING' | 'PENDING' | 'STOPPED'; last: string; left: number }
  >();
  readonly calls: string[] = [];
  readonly stopRequests: { cluster: string; task: string; reason: string }[] = [];
  failStops = 0;

  constructor(
    readonly name: string,
    private readonly stopRounds = 1,
  ) {}

  run(task: string, desired: 'RUNNING' | 'PENDING' = 'RUNNING'): void {
    this.tasks.set(task, { desired, last: desired === 'PENDING' ? 'PROVISIONING' : 'RUNNING', left: 0 });
  }

  /** One poll interval passes: stopping tasks move on towards STOPPED. */
  tick(): void {
    for (const task of this.tasks.values())
      if (task.desired === 'STOPPED' && task.last !== 'STOPPED') {
        task.left -= 1;
        task.last = task.left <= 0 ? 'STOPPED' : 'DEPROVISIONING';
      }
  }

  async listTasks(cluster: string, desiredStatus: 'RUNNING' | 'PENDING' | 'STOPPED'): Promise<string[]> {
    this.calls.push(`list ${desiredStatus}`);
    if (cluster !== this.name) return [];
    return [...this.tasks].filter(([, t]) => t.desired === desiredStatus).map(([arn]) => arn);
  }

  async stopTask(cluster: string, task: string, reason: string): Promise<void> {
    this.calls.push(`stop ${task}`);
    if (this.failStops > 0) {
      this.failStops -= 1;
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    }
    this.stopRequests.push({ cluster, task, reason });
    const known = this.tasks.get(task);
    if (known && known.desired !== 'STOPPED')
      this.tasks.set(task, { desired: 'STOPPED', last: 'DEACTIVATING', left: this.stopRounds });
  }

  async lastStatuses(_cluster: string, taskArns: readonly string[]): Promise<Map<string, string>> {
    this.calls.push(`describe ${taskArns.length}`);
    return new Map(
      taskArns.flatMap((arn) => {
        const task = this.tasks.get(arn);
        return task ? [[arn, task.last] as const] : [];
      }),
    );
  }
}

/** A clock whose sleep lets the fake cluster move on (and run whatever else the test scripts). */
function clockFor(cluster: FakeCluster, onSleep: (round: number) => void = () => undefined) {
  let now = 0;
  let sleeps = 0;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
      sleeps += 1;
      onSleep(sleeps);
      cluster.tick();
    },
    get sleeps() {
      return sleeps;
    },
  };
}

const options = (clock: StopAllOptions['clock'], deadline = 600_000): StopAllOptions => ({
  clock,
  deadline,
  pollMs: 5_000,
});

describe('stopping every task of the cluster', () => {
  it('stops running and pending tasks with the stack-deleted reason, then waits until they have stopped', async () => {
    const cluster = new FakeCluster('pods', 2);
    cluster.run('task/pods/a');
    cluster.run('task/pods/b');
    cluster.run('task/pods/c', 'PENDING');
    const clock = clockFor(cluster);
    const result = await stopAllTasks(cluster, 'pods', options(clock));
    expect(result).toEqual({ stopped: 3 });
    expect(cluster.stopRequests).toEqual(
      ['task/pods/a', 'task/pods/b', 'task/pods/c'].map((task) => ({
        cluster: 'pods',
        task,
        reason: 'podplane stack deleted',
      })),
    );
    expect(stopReason).toBe('podplane stack deleted');
    expect([...cluster.tasks.values()].every((t) => t.last === 'STOPPED')).toBe(true);
    // Stopped in the first round, STOPPED two polls later: the ENIs are gone before it returns.
    expect(clock.sleeps).toBe(2);
  });

  it('returns at once for an empty cluster, or one that is already gone', async () => {
    const empty = new FakeCluster('pods');
    const clock = clockFor(empty);
    expect(await stopAllTasks(empty, 'pods', options(clock))).toEqual({ stopped: 0 });
    expect(await stopAllTasks(empty, 'another-cluster', options(clock))).toEqual({ stopped: 0 });
    expect(clock.sleeps).toBe(0);
  });

  it('also waits for tasks someone else stopped that still hold their ENIs', async () => {
    const cluster = new FakeCluster('pods', 3);
    cluster.run('task/pods/stopping');
    await cluster.stopTask('pods', 'task/pods/stopping', 'liveness probe failed');
    cluster.stopRequests.length = 0;
    const clock = clockFor(cluster);
    expect(await stopAllTasks(cluster, 'pods', options(clock))).toEqual({ stopped: 0 });
    expect(cluster.stopRequests).toEqual([]);
    expect(clock.sleeps).toBe(3);
  });

  it('stops a task launched while it runs (a kubelet invocation already under way)', async () => {
    const cluster = new FakeCluster('pods');
    cluster.run('task/pods/a');
    const clock = clockFor(cluster, (round) => {
      if (round === 1) cluster.run('task/pods/late');
    });
    expect(await stopAllTasks(cluster, 'pods', options(clock))).toEqual({ stopped: 2 });
    expect(cluster.stopRequests.map((r) => r.task)).toEqual(['task/pods/a', 'task/pods/late']);
  });

  it('retries a StopTask that failed on the next round', async () => {
    const cluster = new FakeCluster('pods');
    cluster.run('task/pods/a');
    cluster.failStops = 1;
    const clock = clockFor(cluster);
    expect(await stopAllTasks(cluster, 'pods', options(clock))).toEqual({ stopped: 1 });
    expect(cluster.calls.filter((c) => c === 'stop task/pods/a')).toHaveLength(2);
  });

  it('gives up at the deadline, naming what is left and the last StopTask error', async () => {
    const cluster = new FakeCluster('pods');
    cluster.run('task/pods/stuck');
    cluster.failStops = Number.POSITIVE_INFINITY;
    const clock = clockFor(cluster);
    await expect(stopAllTasks(cluster, 'pods', options(clock, 30_000))).rejects.toThrow(
      /1 task\(s\) of cluster pods still running or stopping .*task\/pods\/stuck.*Rate exceeded/,
    );
    expect(clock.now()).toBeLessThanOrEqual(30_000);
  });

  it('lists every page of ListTasks and describes in batches of 100 (the SDK adapter)', async () => {
    const { sdkTeardownEcs } = await import('../../lib/cluster-teardown-handler');
    const sent: { name: string; input: Record<string, unknown> }[] = [];
    const arns = Array.from({ length: 250 }, (_, i) => `arn:aws:ecs:eu-west-1:123456789012:task/pods/${i}`);
    const client = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        sent.push({ name: command.constructor.name, input: command.input });
        if (command.constructor.name === 'ListTasksCommand') {
          const start = Number(command.input.nextToken ?? 0);
          const page = arns.slice(start, start + 100);
          return { taskArns: page, ...(start + 100 < arns.length ? { nextToken: String(start + 100) } : {}) };
        }
        if (command.constructor.name === 'DescribeTasksCommand')
          return {
            tasks: (command.input.tasks as string[]).map((taskArn) => ({ taskArn, lastStatus: 'RUNNING' })),
          };
        return {};
      },
    };
    const ecs = sdkTeardownEcs(client as never);
    expect(await ecs.listTasks('pods', 'RUNNING')).toEqual(arns);
    expect(sent.filter((s) => s.name === 'ListTasksCommand').map((s) => s.input)).toEqual([
      { cluster: 'pods', desiredStatus: 'RUNNING', maxResults: 100 },
      { cluster: 'pods', desiredStatus: 'RUNNING', maxResults: 100, nextToken: '100' },
      { cluster: 'pods', desiredStatus: 'RUNNING', maxResults: 100, nextToken: '200' },
    ]);
    const statuses = await ecs.lastStatuses('pods', arns);
    expect(statuses.size).toBe(250);
    expect(
      sent.filter((s) => s.name === 'DescribeTasksCommand').map((s) => (s.input.tasks as string[]).length),
    ).toEqual([100, 100, 50]);
    await ecs.stopTask('pods', arns[0] ?? '', stopReason);
    expect(sent.at(-1)).toEqual({
      name: 'StopTaskCommand',
      input: { cluster: 'pods', task: arns[0], reason: 'podplane stack deleted' },
    });
  });

  it('takes a cluster that no longer exists for an empty one', async () => {
    const { sdkTeardownEcs } = await import('../../lib/cluster-teardown-handler');
    const client = {
      send: async () => {
        throw Object.assign(new Error('Cluster not found.'), { name: 'ClusterNotFoundException' });
      },
    };
    expect(await sdkTeardownEcs(client as never).listTasks('gone', 'RUNNING')).toEqual([]);
  });
});

describe('the custom resource handler', () => {
  const event = (requestType: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent =>
    ({
      RequestType: requestType,
      ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:stopper',
      ResponseURL: 'https://cloudformation-custom-resource-response.example/signed',
      StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/podplane/guid',
      RequestId: 'request-1',
      LogicalResourceId: 'ClusterTeardown',
      ResourceType: 'Custom::PodplaneClusterTeardown',
      ResourceProperties: { ServiceToken: 'arn', ClusterName: 'pods' },
      ...(requestType === 'Create' ? {} : { PhysicalResourceId: 'podplane-teardown-pods' }),
      ...(requestType === 'Update' ? { OldResourceProperties: { ClusterName: 'pods' } } : {}),
    }) as CloudFormationCustomResourceEvent;

  function setUp(stackStatus: string) {
    const cluster = new FakeCluster('pods');
    cluster.run('task/pods/a');
    const answers: CustomResourceResult[] = [];
    const statusCalls: string[] = [];
    const handler = createHandler({
      ecs: () => cluster,
      stackStatus: async (stackId) => {
        statusCalls.push(stackId);
        return stackStatus;
      },
      respond: async (_, result) => {
        answers.push(result);
      },
      clock: clockFor(cluster),
      log: () => undefined,
    });
    const context = { getRemainingTimeInMillis: () => 600_000 };
    return {
      cluster,
      answers,
      statusCalls,
      run: (e: CloudFormationCustomResourceEvent) => handler(e, context),
    };
  }

  it('does nothing on Create and Update but answer SUCCESS with a stable id', async () => {
    const { cluster, answers, statusCalls, run } = setUp('CREATE_IN_PROGRESS');
    await run(event('Create'));
    await run(event('Update'));
    expect(answers).toEqual([
      { Status: 'SUCCESS', PhysicalResourceId: 'podplane-teardown-pods' },
      { Status: 'SUCCESS', PhysicalResourceId: 'podplane-teardown-pods' },
    ]);
    expect(cluster.calls).toEqual([]);
    expect(statusCalls).toEqual([]);
  });

  it("stops the cluster's tasks when the stack is being deleted", async () => {
    const { cluster, answers, statusCalls, run } = setUp('DELETE_IN_PROGRESS');
    await run(event('Delete'));
    expect(statusCalls).toEqual(['arn:aws:cloudformation:eu-west-1:123456789012:stack/podplane/guid']);
    expect(cluster.stopRequests.map((r) => r.task)).toEqual(['task/pods/a']);
    expect(answers).toEqual([{ Status: 'SUCCESS', PhysicalResourceId: 'podplane-teardown-pods' }]);
  });

  it.each(['UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS'])(
    'leaves pods running when it is deleted during %s (the cluster stays)',
    async (status) => {
      const { cluster, answers, run } = setUp(status);
      await run(event('Delete'));
      expect(cluster.calls).toEqual([]);
      expect(answers).toEqual([{ Status: 'SUCCESS', PhysicalResourceId: 'podplane-teardown-pods' }]);
    },
  );

  it('answers FAILED with the reason when the tasks do not stop in time', async () => {
    const { cluster, answers, run } = setUp('DELETE_IN_PROGRESS');
    cluster.failStops = Number.POSITIVE_INFINITY;
    await run(event('Delete'));
    expect(answers).toEqual([
      expect.objectContaining({
        Status: 'FAILED',
        PhysicalResourceId: 'podplane-teardown-pods',
        Reason: expect.stringMatching(/still running or stopping.*Delete the stack again/),
      }),
    ]);
  });
});
