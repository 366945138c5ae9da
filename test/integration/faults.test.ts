import { spawnSync } from 'node:child_process';
import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dynamo } from '../../functions/adapters/dynamodb/client';
import type { FunctionDefinition } from '../../functions/wiring';
import {
  type EcsSimulator,
  type EcsTaskStateChangeEvent,
  startEcsSimulator,
} from '../../local/ecs-simulator';
import { startDynamoDbFaultProxy } from '../../local/faults/dynamodb-proxy';
import { ecsFaults, noFaultsHeader } from '../../local/faults/ecs';
import { FaultInjector } from '../../local/faults/injector';
import { InjectedCrashError, invocationFaults, LambdaTimeoutError } from '../../local/faults/invocations';
import type { FaultRates } from '../../local/faults/spec';
import { sleep } from '../../local/processes';
import { useFreshTable } from './support';

/** The fault mode's parts against the real things: DynamoDB Local, the ECS simulator, the SDKs. */

let table: { tableName: string; endpoint: string };
const credentials = { accessKeyId: 'podplane', secretAccessKey: 'podplane' };
const armed = (rates: FaultRates) => {
  const injector = new FaultInjector(rates, 1);
  injector.arm();
  return injector;
};
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  table = await useFreshTable();
});

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

describe('the DynamoDB proxy', () => {
  async function through(rates: FaultRates, maxAttempts = 3) {
    const proxy = await startDynamoDbFaultProxy(table.endpoint, armed(rates));
    const client = new DynamoDBClient({
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      credentials,
      maxAttempts,
    });
    stops.push(async () => {
      client.destroy();
      await proxy.stop();
    });
    return client;
  }
  const item = (sk: string) => ({ pk: { S: 'faults' }, sk: { S: sk } });

  it('passes calls through unchanged when it injects nothing', async () => {
    const client = await through({});
    await client.send(
      new PutItemCommand({ TableName: table.tableName, Item: { ...item('a'), v: { N: '1' } } }),
    );
    const got = await client.send(new GetItemCommand({ TableName: table.tableName, Key: item('a') }));
    expect(got.Item?.v).toEqual({ N: '1' });
  });

  it("answers throttling as DynamoDB does, and the SDK's retries see it", async () => {
    const client = await through({ throttle: 1 }, 2);
    const error = await client
      .send(new GetItemCommand({ TableName: table.tableName, Key: item('a') }))
      .catch((e: unknown) => e as Error & { $metadata?: { attempts?: number; httpStatusCode?: number } });
    expect(['ProvisionedThroughputExceededException', 'ThrottlingException']).toContain(
      (error as Error).name,
    );
    expect((error as { $metadata?: { attempts?: number } }).$metadata?.attempts).toBe(2);
  });

  it('cancels a transaction with one item in TransactionConflict, the reasons in place', async () => {
    const client = await through({ cancel: 1 });
    const error = (await client
      .send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: table.tableName, Item: item('b') } },
            { Put: { TableName: table.tableName, Item: item('c') } },
          ],
        }),
      )
      .catch((e: unknown) => e)) as Error & { CancellationReasons?: { Code?: string }[] };
    expect(error.name).toBe('TransactionCanceledException');
    expect(error.CancellationReasons?.map((r) => r.Code).sort()).toEqual(['None', 'TransactionConflict']);
  });
});

describe('ECS faults at the simulator', () => {
  async function simulator(rates: FaultRates) {
    const injector = armed(rates);
    const faults = ecsFaults(injector);
    const events: EcsTaskStateChangeEvent[] = [];
    const sim: EcsSimulator = await startEcsSimulator({
      clusterName: 'podplane',
      nodes: 1,
      nodeCpu: 4,
      nodeMemoryMiB: 8192,
      onTaskStateChange: (event) => events.push(event),
      operationHook: faults.hook,
    });
    const client = new ECSClient({
      endpoint: sim.endpoint,
      region: 'us-east-1',
      credentials,
      maxAttempts: 1,
    });
    stops.push(async () => {
      injector.stop();
      client.destroy();
      await sim.stop();
    });
    // Calls carrying the header are never faulted: the checks read ECS through it.
    const exempt = new ECSClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials });
    exempt.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers[noFaultsHeader] = '1';
        return next(args);
      },
      { step: 'build' },
    );
    stops.push(async () => exempt.destroy());
    const { taskDefinition } = await exempt.send(
      new RegisterTaskDefinitionCommand({
        family: 'app',
        containerDefinitions: [{ name: 'app', image: 'nginx:1.27', memoryReservation: 128, cpu: 256 }],
      }),
    );
    const run = async (ecs: ECSClient) => {
      const out = await ecs.send(
        new RunTaskCommand({
          cluster: 'podplane',
          taskDefinition: taskDefinition?.taskDefinitionArn,
          startedBy: 'pod',
        }),
      );
      return out.tasks?.[0]?.taskArn ?? '';
    };
    const describeTask = async (taskArn: string) =>
      exempt.send(new DescribeTasksCommand({ cluster: 'podplane', tasks: [taskArn] }));
    return { injector, faults, events, client, exempt, run, describeTask };
  }

  it('throttles RunTask, StopTask and DescribeTasks, and answers ServerException with HTTP 500', async () => {
    const { client, exempt, run } = await simulator({ 'ecs-throttle': 1 });
    await expect(run(client)).rejects.toMatchObject({ name: 'ThrottlingException' });
    const taskArn = await run(exempt);
    await expect(
      client.send(new DescribeTasksCommand({ cluster: 'podplane', tasks: [taskArn] })),
    ).rejects.toMatchObject({ name: 'ThrottlingException' });
    // Other operations are left alone.
    await client.send(new ListContainerInstancesCommand({ cluster: 'podplane' }));
    const failing = await simulator({ 'ecs-error': 1 });
    await expect(run(failing.client)).rejects.toMatchObject({
      name: 'ServerException',
      $metadata: { httpStatusCode: 500 },
    });
  });

  it('accepts a StopTask that never happens', async () => {
    const { client, exempt, run, describeTask } = await simulator({ 'lost-stop': 1 });
    const taskArn = await run(exempt);
    const answer = await client.send(
      new StopTaskCommand({ cluster: 'podplane', task: taskArn, reason: 'test' }),
    );
    expect(answer.task?.desiredStatus).toBe('STOPPED');
    await sleep(100);
    const { tasks } = await describeTask(taskArn);
    expect(tasks?.[0]).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' });
  });

  it('makes a launched task vanish without a STOPPED event, its instance left running', async () => {
    const { faults, events, client, describeTask } = await simulator({ vanish: 1 });
    const taskArn = await (async () => {
      const { taskDefinition } = await client.send(
        new RegisterTaskDefinitionCommand({
          family: 'vanishing',
          containerDefinitions: [{ name: 'app', image: 'nginx:1.27', memoryReservation: 128, cpu: 256 }],
        }),
      );
      const out = await client.send(
        new RunTaskCommand({
          cluster: 'podplane',
          taskDefinition: taskDefinition?.taskDefinitionArn,
          startedBy: 'p',
        }),
      );
      return out.tasks?.[0]?.taskArn ?? '';
    })();
    for (let waited = 0; !faults.vanished().has(taskArn) && waited < 6000; waited += 100) await sleep(100);
    expect(faults.vanished().get(taskArn)).toBe('p');
    const described = await describeTask(taskArn);
    expect(described.tasks).toEqual([]);
    expect(described.failures?.[0]?.reason).toBe('MISSING');
    expect(events.filter((e) => e.detail.taskArn === taskArn).map((e) => e.detail.lastStatus)).not.toContain(
      'STOPPED',
    );
    // The instance is still there, with what the task held given back.
    const { containerInstanceArns = [] } = await client.send(
      new ListContainerInstancesCommand({ cluster: 'podplane' }),
    );
    const { containerInstances = [] } = await client.send(
      new DescribeContainerInstancesCommand({
        cluster: 'podplane',
        containerInstances: containerInstanceArns,
      }),
    );
    expect(containerInstances[0]).toMatchObject({
      status: 'ACTIVE',
      runningTasksCount: 0,
      pendingTasksCount: 0,
    });
    const cpu = (resources: (typeof containerInstances)[0]['remainingResources']) =>
      resources?.find((r) => r.name === 'CPU')?.integerValue;
    expect(cpu(containerInstances[0]?.remainingResources)).toBe(
      cpu(containerInstances[0]?.registeredResources),
    );
  });
});

describe("the Lambda runner's faults", () => {
  const definition = (timeoutSeconds: number): FunctionDefinition => ({
    entry: 'unused',
    memoryMiB: 128,
    timeoutSeconds,
    trigger: { kind: 'schedule', everySeconds: 60 },
  });

  it('crash: the handler does its work, and the runner reports an error instead of its answer', async () => {
    const hook = invocationFaults(armed({ crash: 1 }), { timeScale: 1, exempt: new Set() });
    let worked = false;
    await expect(
      hook('kubelet', definition(60), async () => {
        worked = true;
        return 'done';
      }),
    ).rejects.toBeInstanceOf(InjectedCrashError);
    expect(worked).toBe(true);
  });

  it('timeout: the handler is frozen mid-work, its next DynamoDB call never made, and the runner gives up', async () => {
    const hook = invocationFaults(armed({ timeout: 1 }), { timeScale: 0.01, exempt: new Set() });
    const key = { pk: 'faults', sk: 'frozen' };
    const started = Date.now();
    await expect(
      hook('kubelet', definition(60), async () => {
        await sleep(200);
        await dynamo().send(new PutCommand({ TableName: table.tableName, Item: { ...key, written: true } }));
      }),
    ).rejects.toBeInstanceOf(LambdaTimeoutError);
    // 60 s times the scale: the retry comes after the function's (scaled) timeout.
    expect(Date.now() - started).toBeGreaterThanOrEqual(590);
    await sleep(300);
    const got = await dynamo().send(
      new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }),
    );
    expect(got.Item).toBeUndefined();
  });

  it('leaves an exempt function alone', async () => {
    const hook = invocationFaults(armed({ crash: 1, timeout: 1 }), {
      timeScale: 1,
      exempt: new Set(['authorizer']),
    });
    expect(await hook('authorizer', definition(10), async () => 'allowed')).toBe('allowed');
  });
});

describe('npm start -- --faults', () => {
  const start = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'bin/podplane.ts', ...args], { encoding: 'utf8' });

  it('lists the kinds in --help, and refuses an unknown kind or a seed without faults as usage errors', () => {
    const help = start('--help');
    expect(help.status).toBe(0);
    for (const kind of ['crash', 'timeout', 'duplicate', 'reorder', 'delay', 'drop', 'throttle', 'cancel'])
      expect(help.stdout).toContain(kind);
    expect(help.stdout).toMatch(/ecs-throttle[\s\S]*ecs-error[\s\S]*lost-stop[\s\S]*vanish/);
    const unknown = start('--faults', 'crash=0.1,bogus=1');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown fault "bogus"');
    const seedAlone = start('--seed', '3');
    expect(seedAlone.status).toBe(2);
    expect(seedAlone.stderr).toContain('--seed seeds the fault draws');
  });
});

afterAll(async () => {
  dynamo().destroy();
});
