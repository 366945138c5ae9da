import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  type GetLogEventsCommandInput,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeTasksCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type EcsSimulator,
  type EcsSimulatorOptions,
  startEcsSimulator,
} from '../../local/ecs-simulator/index';

/**
 * `sim.podplane.dev/log-every` and the simulator's GetLogEvents, read with the CloudWatch Logs
 * client the pod logs adapter uses: lines written over time, and tokens that behave as
 * CloudWatch's do (past the end, the same while nothing is new).
 */

const region = 'us-east-1';
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const group = '/podplane/pods';
const running: EcsSimulator[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function simulator(options: Partial<EcsSimulatorOptions> = {}) {
  const sim = await startEcsSimulator({
    clusterName: 'podplane',
    nodes: 1,
    nodeCpu: 4,
    nodeMemoryMiB: 8192,
    ...options,
  });
  running.push(sim);
  const ecs = new ECSClient({ endpoint: sim.endpoint, region, credentials });
  const logs = new CloudWatchLogsClient({ endpoint: sim.endpoint, region, credentials });
  return { sim, ecs, logs };
}

/** Runs a task of containers `app` and `sidecar` labelled as the kubelet labels a pod's. */
async function runTask(ecs: ECSClient, labels: Record<string, string>, containers = ['app']) {
  const { taskDefinition } = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'ticker',
      containerDefinitions: containers.map((name) => ({
        name,
        image: 'busybox',
        memoryReservation: 64,
        dockerLabels: labels,
        logConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-group': group, 'awslogs-region': region, 'awslogs-stream-prefix': 'pod' },
        },
      })),
    }),
  );
  const { tasks = [] } = await ecs.send(
    new RunTaskCommand({ cluster: 'podplane', taskDefinition: taskDefinition?.taskDefinitionArn ?? '' }),
  );
  const taskArn = tasks[0]?.taskArn ?? '';
  return { taskArn, taskId: taskArn.split('/').at(-1) ?? '' };
}

const lastStatus = async (ecs: ECSClient, taskArn: string) =>
  (await ecs.send(new DescribeTasksCommand({ cluster: 'podplane', tasks: [taskArn] }))).tasks?.[0]
    ?.lastStatus;

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function reader(logs: CloudWatchLogsClient, taskId: string, container = 'app') {
  return async (input: Partial<GetLogEventsCommandInput> = {}) => {
    const out = await logs.send(
      new GetLogEventsCommand({ logGroupName: group, logStreamName: `pod/${container}/${taskId}`, ...input }),
    );
    return {
      messages: (out.events ?? []).map((e) => e.message),
      timestamps: (out.events ?? []).map((e) => e.timestamp ?? 0),
      token: out.nextForwardToken ?? '',
    };
  };
}

describe('ECS simulator: log-every and GetLogEvents', () => {
  it('writes a tick every interval after the start lines, read on from the forward token', async () => {
    const { sim, ecs, logs } = await simulator();
    const { taskArn, taskId } = await runTask(ecs, {
      'sim.podplane.dev/logs': 'starting',
      'sim.podplane.dev/log-every': '50ms',
    });
    const read = reader(logs, taskId);
    await until('two ticks', () => sim.logLines(taskArn, 'app').length >= 3);
    const first = await read({ startFromHead: true });
    expect(first.messages.slice(0, 3)).toEqual(['starting', 'tick 1', 'tick 2']);
    await until('more ticks', () => sim.logLines(taskArn, 'app').length >= first.messages.length + 2);
    const next = await read({ nextToken: first.token });
    // Only what was written since, and nothing twice.
    expect(next.messages[0]).toBe(`tick ${first.messages.length}`);
    const all = [...first.messages, ...next.messages];
    expect(all).toEqual(['starting', ...all.slice(1).map((_, i) => `tick ${i + 1}`)]);
    // Tick n is stamped n intervals after the start line.
    const stamps = [...first.timestamps, ...next.timestamps];
    const started = stamps[0] ?? 0;
    expect(stamps.map((t) => t - started)).toEqual(stamps.map((_, i) => i * 50));
  });

  it('stops ticking when the task stops; a reader at the end gets its own token back', async () => {
    const { sim, ecs, logs } = await simulator();
    const { taskArn, taskId } = await runTask(ecs, { 'sim.podplane.dev/log-every': '20ms' });
    await until('a tick', () => sim.logLines(taskArn, 'app').length >= 1);
    await ecs.send(new StopTaskCommand({ cluster: 'podplane', task: taskArn }));
    await until('the stop', async () => (await lastStatus(ecs, taskArn)) === 'STOPPED');
    const read = reader(logs, taskId);
    const whole = await read({ startFromHead: true });
    await sleep(100);
    expect(sim.logLines(taskArn, 'app')).toHaveLength(whole.messages.length);
    const again = await read({ nextToken: whole.token });
    expect(again).toEqual({ messages: [], timestamps: [], token: whole.token });
  });

  it('ends the ticks with the exit: the one due as the container exits is written, none after', async () => {
    const { sim, ecs } = await simulator();
    const { taskArn } = await runTask(ecs, {
      'sim.podplane.dev/log-every': '30ms',
      'sim.podplane.dev/exit-after': '150ms',
    });
    await until('the exit', async () => (await lastStatus(ecs, taskArn)) === 'STOPPED');
    await sleep(100);
    expect(sim.logLines(taskArn, 'app').map((l) => l.message)).toEqual([
      'tick 1',
      'tick 2',
      'tick 3',
      'tick 4',
      'tick 5',
    ]);
  });

  it('ticks in every container, each in its own stream', async () => {
    const { sim, ecs } = await simulator();
    const { taskArn } = await runTask(ecs, { 'sim.podplane.dev/log-every': '20ms' }, ['app', 'sidecar']);
    await until('ticks in both', () => sim.logLines(taskArn, 'sidecar').length >= 2);
    expect(
      sim
        .logLines(taskArn, 'sidecar')
        .slice(0, 2)
        .map((l) => l.message),
    ).toEqual(['tick 1', 'tick 2']);
    expect(
      sim
        .logLines(taskArn, 'app')
        .slice(0, 2)
        .map((l) => l.message),
    ).toEqual(['tick 1', 'tick 2']);
  });

  it('honours startTime, and reads a tail whose forward token is the end', async () => {
    const { sim, ecs, logs } = await simulator();
    const { taskArn, taskId } = await runTask(ecs, { 'sim.podplane.dev/log-every': '20ms' });
    await until('five ticks', () => sim.logLines(taskArn, 'app').length >= 5);
    await ecs.send(new StopTaskCommand({ cluster: 'podplane', task: taskArn }));
    await until('the stop', async () => (await lastStatus(ecs, taskArn)) === 'STOPPED');
    const lines = sim.logLines(taskArn, 'app');
    const read = reader(logs, taskId);
    const third = lines[2]?.timestamp ?? 0;
    const since = await read({ startFromHead: true, startTime: third });
    expect(since.messages).toEqual(lines.slice(2).map((l) => l.message));
    // A token is a place in the stream whatever the range: read with another startTime it still holds.
    const page = await read({ startFromHead: true, startTime: third, limit: 1 });
    expect(page.messages).toEqual(['tick 3']);
    expect((await read({ nextToken: page.token, limit: 1 })).messages).toEqual(['tick 4']);
    const tail = await read({ startFromHead: false, limit: 2 });
    expect(tail.messages).toEqual(lines.slice(-2).map((l) => l.message));
    expect(await read({ nextToken: tail.token })).toEqual({
      messages: [],
      timestamps: [],
      token: tail.token,
    });
  });

  it('leaves no timer behind when the simulator stops', async () => {
    const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timeouts();
    const { sim, ecs } = await simulator();
    const { taskArn } = await runTask(ecs, { 'sim.podplane.dev/log-every': '10ms' });
    await until('a tick', () => sim.logLines(taskArn, 'app').length >= 1);
    await sim.stop();
    const written = sim.logLines(taskArn, 'app').length;
    await sleep(50);
    expect(sim.logLines(taskArn, 'app')).toHaveLength(written);
    expect(timeouts()).toBeLessThanOrEqual(before);
  });

  it('writes, after a restart, the ticks missed while it was down, numbered on', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'podplane-sim-logs-'));
    dirs.push(dataDir);
    const first = await simulator({ dataDir });
    const { taskArn } = await runTask(first.ecs, { 'sim.podplane.dev/log-every': '20ms' });
    await until('two ticks', () => first.sim.logLines(taskArn, 'app').length >= 2);
    await first.sim.stop();
    await sleep(100);
    const second = await simulator({ dataDir });
    await until('ticks after the restart', () => second.sim.logLines(taskArn, 'app').length >= 8);
    const lines = second.sim.logLines(taskArn, 'app');
    expect(lines.map((l) => l.message)).toEqual(lines.map((_, i) => `tick ${i + 1}`));
    const stamps = lines.map((l) => l.timestamp);
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
  });
});
