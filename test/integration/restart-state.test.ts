import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ContainerDefinition,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type RunTaskCommandInput,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { timerQueue } from '../../functions/wiring';
import { type EcsTaskStateChangeEvent, startEcsSimulator } from '../../local/ecs-simulator/index';
import { simulatorJournalFile } from '../../local/ecs-simulator/persistence';
import { sleep } from '../../local/processes';
import { type LocalSqs, startLocalSqs } from '../../local/sqs';
import { QueueEventSource } from '../../local/sqs/event-source';

// With --data-dir the ECS simulator and the timer queue keep their state, so a control plane
// killed at any moment resumes where it was. A copy of the data directory taken while they run
// is what SIGKILL at that moment leaves behind; each test restarts from such a copy.

const stops: (() => Promise<void>)[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'podplane-restart-'));
  dirs.push(dir);
  return dir;
}

/** The data directory as a process killed now would leave it. */
function killedNow(dir: string): string {
  const copy = dataDir();
  cpSync(dir, copy, { recursive: true });
  return copy;
}

async function simulator(dir: string, events: EcsTaskStateChangeEvent[] = []) {
  const said: string[] = [];
  const sim = await startEcsSimulator({
    clusterName: 'podplane',
    nodes: 2,
    nodeCpu: 4,
    nodeMemoryMiB: 8192,
    dataDir: dir,
    log: (line) => said.push(line),
    onTaskStateChange: (event) => events.push(event),
  });
  const ecs = new ECSClient({
    endpoint: sim.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  stops.push(async () => {
    ecs.destroy();
    await sim.stop();
  });
  return { sim, ecs, events, said };
}

const container = (labels: Record<string, string> = {}, more: Partial<ContainerDefinition> = {}) => ({
  name: 'app',
  image: 'nginx:1.27',
  cpu: 512,
  memoryReservation: 256,
  dockerLabels: labels,
  ...more,
});

async function run(ecs: ECSClient, input: Omit<RunTaskCommandInput, 'cluster'>): Promise<Task> {
  const { tasks = [], failures = [] } = await ecs.send(new RunTaskCommand({ cluster: 'podplane', ...input }));
  expect(failures).toEqual([]);
  const [task] = tasks;
  if (!task?.taskArn) throw new Error('RunTask returned no task');
  return task;
}

async function describe1(ecs: ECSClient, taskArn: string): Promise<Task | undefined> {
  const { tasks = [] } = await ecs.send(new DescribeTasksCommand({ cluster: 'podplane', tasks: [taskArn] }));
  return tasks[0];
}

async function until(ecs: ECSClient, taskArn: string, done: (task: Task) => boolean): Promise<Task> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const task = await describe1(ecs, taskArn);
    if (task && done(task)) return task;
    if (Date.now() > deadline) throw new Error(`task never got there: ${JSON.stringify(task)}`);
    await sleep(10);
  }
}

async function instances(ecs: ECSClient) {
  const { containerInstanceArns = [] } = await ecs.send(
    new ListContainerInstancesCommand({ cluster: 'podplane' }),
  );
  const { containerInstances = [] } = await ecs.send(
    new DescribeContainerInstancesCommand({ cluster: 'podplane', containerInstances: containerInstanceArns }),
  );
  return containerInstances.map((instance) => ({
    arn: instance.containerInstanceArn,
    remaining: instance.remainingResources?.map((r) => [r.name, r.integerValue, r.stringSetValue]),
    running: instance.runningTasksCount,
    pending: instance.pendingTasksCount,
  }));
}

describe('the ECS simulator with a data directory', () => {
  it('resumes after a kill: running tasks run, starting ones start, due exits happen, nothing is held twice', async () => {
    const dir = dataDir();
    const before = await simulator(dir);
    const { ecs } = before;
    const register = async (family: string, labels: Record<string, string>, hostPort?: number) =>
      (
        await ecs.send(
          new RegisterTaskDefinitionCommand({
            family,
            containerDefinitions: [
              container(labels, { portMappings: [{ containerPort: 80, hostPort: hostPort ?? 0 }] }),
            ],
          }),
        )
      ).taskDefinition?.taskDefinitionArn;
    const steady = await run(ecs, {
      taskDefinition: await register('steady', { 'sim.podplane.dev/logs': 'hello\nworld' }, 8080),
      clientToken: 'steady-token',
      startedBy: 'pod-steady',
    });
    const slow = await run(ecs, {
      taskDefinition: await register('slow', { 'sim.podplane.dev/start-delay': '3s' }),
    });
    const exiting = await run(ecs, {
      taskDefinition: await register('exiting', {
        'sim.podplane.dev/exit-after': '2500ms',
        'sim.podplane.dev/exit-code': '3',
      }),
    });
    const stopped = await run(ecs, { taskDefinition: 'steady' });
    const steadyRunning = await until(ecs, steady.taskArn ?? '', (t) => t.lastStatus === 'RUNNING');
    await until(ecs, exiting.taskArn ?? '', (t) => t.lastStatus === 'RUNNING');
    await ecs.send(new StopTaskCommand({ cluster: 'podplane', task: stopped.taskArn }));
    await until(ecs, stopped.taskArn ?? '', (t) => t.lastStatus === 'STOPPED');
    const held = await instances(ecs);
    expect((await describe1(ecs, slow.taskArn ?? ''))?.lastStatus).not.toBe('RUNNING');

    const after = await simulator(killedNow(dir));
    expect(after.sim.restored).toMatchObject({ tasks: 4, running: 2, dropped: 0 });
    expect(after.said).toEqual([]);
    // The instances hold what their tasks hold: not one port or CPU unit more or less.
    expect(await instances(after.ecs)).toEqual(held);
    expect(await describe1(after.ecs, steady.taskArn ?? '')).toEqual(steadyRunning);
    expect(after.sim.logLines(steady.taskArn ?? '', 'app').map((l) => l.message)).toEqual(['hello', 'world']);
    // RunTask's clientToken still names the task it launched.
    const retried = await run(after.ecs, { taskDefinition: 'steady', clientToken: 'steady-token' });
    expect(retried.taskArn).toBe(steady.taskArn);
    // The static host port is still the running task's.
    const { failures = [] } = await after.ecs.send(
      new RunTaskCommand({ cluster: 'podplane', taskDefinition: 'steady', count: 2 }),
    );
    expect(failures.map((f) => f.reason)).toEqual(['RESOURCE:PORTS']);

    const started = await until(after.ecs, slow.taskArn ?? '', (t) => t.lastStatus === 'RUNNING');
    expect(after.events.map((e) => [e.detail.taskArn, e.detail.lastStatus])).toContainEqual([
      slow.taskArn,
      'RUNNING',
    ]);
    // It started when its start delay said, counted from its creation before the kill.
    expect((started.startedAt?.getTime() ?? 0) - (started.createdAt?.getTime() ?? 0)).toBeGreaterThanOrEqual(
      2990,
    );
    const exited = await until(after.ecs, exiting.taskArn ?? '', (t) => t.lastStatus === 'STOPPED');
    expect(exited).toMatchObject({ stopCode: 'EssentialContainerExited', containers: [{ exitCode: 3 }] });
    expect((await describe1(after.ecs, stopped.taskArn ?? ''))?.lastStatus).toBe('STOPPED');
  });

  it('starts after a write torn by the kill, without the torn record', async () => {
    const dir = dataDir();
    const { ecs } = await simulator(dir);
    await ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [container()] }));
    const task = await run(ecs, { taskDefinition: 'web' });
    const killed = killedNow(dir);
    appendFileSync(join(killed, simulatorJournalFile), '{"k":"task/0123","v":{"taskArn":"arn:aws:ecs:');

    const after = await simulator(killed);
    expect(after.sim.restored?.tasks).toBe(1);
    expect(after.said.join('\n')).toMatch(/torn last record/);
    await until(after.ecs, task.taskArn ?? '', (t) => t.lastStatus === 'RUNNING');
  });

  it('hands out no task address twice across a restart', async () => {
    const dir = dataDir();
    const { ecs } = await simulator(dir);
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'vpc',
        networkMode: 'awsvpc',
        containerDefinitions: [container()],
      }),
    );
    const awsvpc = { awsvpcConfiguration: { subnets: ['subnet-1'] } };
    const first = await run(ecs, { taskDefinition: 'vpc', networkConfiguration: awsvpc });
    const killed = killedNow(dir);
    // Even when the kill cut off the counters written after the task.
    const journal = join(killed, simulatorJournalFile);
    writeFileSync(
      journal,
      readFileSync(journal, 'utf8')
        .split('\n')
        .filter((line) => !line.startsWith('{"k":"meta"'))
        .join('\n'),
    );
    const after = await simulator(killed);
    const second = await run(after.ecs, { taskDefinition: 'vpc', networkConfiguration: awsvpc });
    const address = (task: Task | undefined) =>
      task?.attachments?.[0]?.details?.find((d) => d.name === 'privateIPv4Address')?.value;
    const firstAddress = address(
      await until(after.ecs, first.taskArn ?? '', (t) => t.lastStatus === 'RUNNING'),
    );
    const secondAddress = address(
      await until(after.ecs, second.taskArn ?? '', (t) => t.lastStatus === 'RUNNING'),
    );
    expect(firstAddress).toBe('10.0.0.1');
    expect(secondAddress).toBe('10.0.0.2');
  });
});

describe('the timer queue with a data directory', () => {
  async function queue(dir: string) {
    const sqs: LocalSqs = await startLocalSqs({
      queues: [{ definition: timerQueue, maxReceiveCount: 5 }],
      timeScale: 0.1,
      dataDir: dir,
    });
    stops.push(() => sqs.stop());
    return sqs;
  }

  it('delivers after a kill what was sent and not deleted: received ones at once, delayed ones when due', async () => {
    const dir = dataDir();
    const sqs = await queue(dir);
    const local = sqs.queue(timerQueue.id);
    const client = new SQSClient({
      endpoint: sqs.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    // 5 s at time scale 0.1: due 500 ms after it was sent.
    await client.send(
      new SendMessageCommand({ QueueUrl: local.options.url, MessageBody: 'delayed', DelaySeconds: 5 }),
    );
    client.destroy();
    local.send('handled', 0);
    local.send('in flight', 0);
    await sleep(20);
    const received = local.receive(10);
    const handled = received.find((m) => m.body === 'handled');
    local.delete(handled?.receiptHandle ?? '');
    const sentAt = Date.now();
    await Promise.resolve();

    const after = await queue(killedNow(dir));
    expect(after.restoredMessages).toBe(2);
    const deliveries: { body: string; at: number; receives: string | undefined }[] = [];
    const trigger = {
      kind: 'sqs' as const,
      queue: timerQueue,
      batchSize: 10,
      maxBatchingWindowSeconds: 0,
      maxReceiveCount: 5,
    };
    const source = new QueueEventSource(
      after.queue(timerQueue.id),
      trigger,
      async (event) => {
        for (const record of event.Records)
          deliveries.push({
            body: record.body,
            at: Date.now(),
            receives: record.attributes.ApproximateReceiveCount,
          });
        return { batchItemFailures: [] };
      },
      () => undefined,
    );
    source.start();
    stops.unshift(() => source.stop());
    for (let i = 0; i < 100 && deliveries.length < 2; i++) await sleep(20);
    expect(deliveries.map((d) => [d.body, d.receives])).toEqual([
      ['in flight', '2'],
      ['delayed', '1'],
    ]);
    expect(deliveries[1]?.at ?? 0).toBeGreaterThanOrEqual(sentAt + 400);
  });
});
