import {
  type ContainerDefinition,
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type RunTaskCommandInput,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type EcsSimulator,
  type EcsSimulatorOptions,
  type EcsTaskStateChangeEvent,
  startEcsSimulator,
} from '../../local/ecs-simulator/index';

const region = 'us-east-1';
const running: EcsSimulator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.stop()));
});

interface Harness {
  sim: EcsSimulator;
  ecs: ECSClient;
  events: EcsTaskStateChangeEvent[];
}

async function harness(options: Partial<EcsSimulatorOptions> = {}, maxAttempts = 3): Promise<Harness> {
  const events: EcsTaskStateChangeEvent[] = [];
  const sim = await startEcsSimulator({
    clusterName: 'podplane',
    nodes: 3,
    nodeCpu: 4,
    nodeMemoryMiB: 8192,
    onTaskStateChange: (event) => events.push(event),
    ...options,
  });
  running.push(sim);
  const ecs = new ECSClient({
    endpoint: sim.endpoint,
    region,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts,
  });
  return { sim, ecs, events };
}

function container(overrides: Partial<ContainerDefinition> = {}): ContainerDefinition {
  return { name: 'app', image: 'nginx:1.27', memoryReservation: 128, cpu: 256, ...overrides };
}

async function register(ecs: ECSClient, family: string, containers: ContainerDefinition[] = [container()]) {
  const { taskDefinition } = await ecs.send(
    new RegisterTaskDefinitionCommand({ family, containerDefinitions: containers }),
  );
  return taskDefinition?.taskDefinitionArn ?? '';
}

async function runOne(ecs: ECSClient, input: Omit<RunTaskCommandInput, 'cluster'>): Promise<Task> {
  const { tasks = [], failures = [] } = await ecs.send(new RunTaskCommand({ cluster: 'podplane', ...input }));
  expect(failures).toEqual([]);
  const [task] = tasks;
  if (!task?.taskArn) throw new Error('RunTask returned no task');
  return task;
}

async function describeTask(ecs: ECSClient, taskArn: string): Promise<Task> {
  const { tasks = [] } = await ecs.send(new DescribeTasksCommand({ cluster: 'podplane', tasks: [taskArn] }));
  const [task] = tasks;
  if (!task) throw new Error(`task ${taskArn} is missing`);
  return task;
}

async function waitForTask(ecs: ECSClient, taskArn: string, done: (task: Task) => boolean): Promise<Task> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const task = await describeTask(ecs, taskArn);
    if (done(task)) return task;
    if (Date.now() > deadline) throw new Error(`task never got there: ${JSON.stringify(task)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const lastStatuses = (events: EcsTaskStateChangeEvent[], taskArn: string) =>
  events.filter((e) => e.detail.taskArn === taskArn).map((e) => e.detail.lastStatus);

/** Events are delivered after the response; give them a turn to arrive. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

async function containerInstances(ecs: ECSClient) {
  const { containerInstanceArns = [] } = await ecs.send(
    new ListContainerInstancesCommand({ cluster: 'podplane' }),
  );
  const { containerInstances = [] } = await ecs.send(
    new DescribeContainerInstancesCommand({ cluster: 'podplane', containerInstances: containerInstanceArns }),
  );
  return containerInstances;
}

const resource = (resources: { name?: string; integerValue?: number }[] | undefined, name: string) =>
  resources?.find((r) => r.name === name)?.integerValue;

describe('ECS simulator', () => {
  it('registers revisions per family and describes them by family, family:revision and ARN', async () => {
    const { ecs } = await harness();
    const first = await register(ecs, 'web');
    const second = await register(ecs, 'web', [container({ image: 'nginx:1.28' })]);
    expect(first).toBe('arn:aws:ecs:us-east-1:000000000000:task-definition/web:1');
    expect(second).toBe('arn:aws:ecs:us-east-1:000000000000:task-definition/web:2');

    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));
    expect(latest.taskDefinition?.revision).toBe(2);
    expect(latest.taskDefinition?.containerDefinitions?.[0]?.image).toBe('nginx:1.28');
    expect(latest.taskDefinition?.registeredAt).toBeInstanceOf(Date);
    const byRevision = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:1' }));
    expect(byRevision.taskDefinition?.containerDefinitions?.[0]?.image).toBe('nginx:1.27');
    const byArn = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: first }));
    expect(byArn.taskDefinition?.revision).toBe(1);

    await expect(
      ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'nope' })),
    ).rejects.toMatchObject({
      name: 'ClientException',
      message: 'Unable to describe task definition.',
    });
  });

  it('describes container instances the way ECS registers them', async () => {
    const { ecs } = await harness();
    const instances = await containerInstances(ecs);
    expect(instances.map((i) => i.ec2InstanceId)).toEqual([
      'i-0000000000000001',
      'i-0000000000000002',
      'i-0000000000000003',
    ]);
    const [first] = instances;
    expect(first).toMatchObject({ status: 'ACTIVE', agentConnected: true, runningTasksCount: 0 });
    expect(resource(first?.registeredResources, 'CPU')).toBe(4096);
    expect(resource(first?.registeredResources, 'MEMORY')).toBe(8192);
    expect(first?.remainingResources?.map((r) => r.name)).toEqual(['CPU', 'MEMORY', 'PORTS', 'PORTS_UDP']);
    const attributes = Object.fromEntries((first?.attributes ?? []).map((a) => [a.name, a.value]));
    expect(attributes).toMatchObject({
      'ecs.availability-zone': 'us-east-1a',
      'ecs.instance-type': 'c5.xlarge',
      'ecs.cpu-architecture': 'x86_64',
      'ecs.os-type': 'linux',
    });
    expect(instances[1]?.attributes?.find((a) => a.name === 'ecs.availability-zone')?.value).toBe(
      'us-east-1b',
    );
  });

  it('runs a task to RUNNING and announces PROVISIONING..RUNNING with a growing version', async () => {
    const { ecs, events } = await harness();
    const taskDefinition = await register(ecs, 'web');
    const task = await runOne(ecs, {
      taskDefinition,
      startedBy: 'pod-uid-1',
      group: 'pods',
      tags: [{ key: 'k', value: 'v' }],
    });
    expect(task).toMatchObject({
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      launchType: 'EC2',
      version: 1,
    });
    expect(task.taskArn).toMatch(/^arn:aws:ecs:us-east-1:000000000000:task\/podplane\/[0-9a-f]{32}$/);
    expect(task.createdAt).toBeInstanceOf(Date);

    const taskArn = task.taskArn ?? '';
    const runningTask = await waitForTask(ecs, taskArn, (t) => t.lastStatus === 'RUNNING');
    expect(runningTask.startedAt).toBeInstanceOf(Date);
    expect(runningTask.containers?.[0]).toMatchObject({
      name: 'app',
      image: 'nginx:1.27',
      lastStatus: 'RUNNING',
    });
    // A bridge task shares its instance's address: no ENI of its own, and no ports mapped here.
    expect(runningTask.attachments).toEqual([]);
    expect(runningTask.containers?.[0]).toMatchObject({ networkInterfaces: [], networkBindings: [] });
    expect(runningTask.containerInstanceArn).toContain(':container-instance/podplane/');

    await settle();
    expect(lastStatuses(events, taskArn)).toEqual(['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING']);
    const versions = events.filter((e) => e.detail.taskArn === taskArn).map((e) => e.detail.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    const last = events.at(-1);
    expect(last).toMatchObject({
      version: '0',
      source: 'aws.ecs',
      'detail-type': 'ECS Task State Change',
      account: '000000000000',
      region,
      resources: [taskArn],
      detail: {
        startedBy: 'pod-uid-1',
        group: 'pods',
        clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/podplane',
      },
    });
    expect(last?.detail.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(last?.detail).not.toHaveProperty('tags');

    const withTags = await ecs.send(
      new DescribeTasksCommand({ cluster: 'podplane', tasks: [taskArn], include: ['TAGS'] }),
    );
    expect(withTags.tasks?.[0]?.tags).toEqual([{ key: 'k', value: 'v' }]);
  });

  it('returns the same task for a repeated clientToken', async () => {
    const { sim, ecs } = await harness();
    const taskDefinition = await register(ecs, 'web');
    const first = await runOne(ecs, { taskDefinition, clientToken: 'pod-uid-1-0' });
    const again = await runOne(ecs, { taskDefinition, clientToken: 'pod-uid-1-0' });
    expect(again.taskArn).toBe(first.taskArn);
    expect(sim.stats()).toMatchObject({ runTaskCalls: 2, tasks: 1 });
    const { taskArns } = await ecs.send(new ListTasksCommand({ cluster: 'podplane' }));
    expect(taskArns).toEqual([first.taskArn]);
  });

  it('places a task on the instance a memberOf constraint names', async () => {
    const { ecs } = await harness();
    const taskDefinition = await register(ecs, 'web');
    const third = (await containerInstances(ecs))[2];
    const inList = await runOne(ecs, {
      taskDefinition,
      placementConstraints: [
        { type: 'memberOf', expression: `ec2InstanceId in ['${third?.ec2InstanceId}']` },
      ],
    });
    expect(inList.containerInstanceArn).toBe(third?.containerInstanceArn);
    expect(inList.availabilityZone).toBe('us-east-1c');
    const equals = await runOne(ecs, {
      taskDefinition,
      placementConstraints: [{ type: 'memberOf', expression: `ec2InstanceId == ${third?.ec2InstanceId}` }],
    });
    expect(equals.containerInstanceArn).toBe(third?.containerInstanceArn);
    const { taskArns } = await ecs.send(
      new ListTasksCommand({ cluster: 'podplane', containerInstance: third?.containerInstanceArn }),
    );
    expect(taskArns).toHaveLength(2);
  });

  it('fails with RESOURCE:MEMORY when no instance has the memory left', async () => {
    const { ecs } = await harness({ nodes: 1, nodeCpu: 2, nodeMemoryMiB: 1024 });
    const taskDefinition = await register(ecs, 'big', [container({ memoryReservation: 600, memory: 2048 })]);
    await runOne(ecs, { taskDefinition });
    const instance = (await containerInstances(ecs))[0];
    // The soft reservation is what the instance gives up, as in ECS.
    expect(resource(instance?.remainingResources, 'MEMORY')).toBe(424);
    const second = await ecs.send(new RunTaskCommand({ cluster: 'podplane', taskDefinition }));
    expect(second.tasks).toEqual([]);
    expect(second.failures).toEqual([{ arn: instance?.containerInstanceArn, reason: 'RESOURCE:MEMORY' }]);
  });

  it('stops a task on StopTask, says the user did it, and gives its resources back', async () => {
    const { ecs, events } = await harness({ nodes: 1 });
    const taskDefinition = await register(ecs, 'web', [container({ cpu: 1024, memoryReservation: 2048 })]);
    const { taskArn = '' } = await runOne(ecs, { taskDefinition, startedBy: 'pod-a' });
    await waitForTask(ecs, taskArn, (t) => t.lastStatus === 'RUNNING');
    const busy = (await containerInstances(ecs))[0];
    expect(resource(busy?.remainingResources, 'CPU')).toBe(3072);
    expect(busy?.runningTasksCount).toBe(1);

    const { task: stopping } = await ecs.send(
      new StopTaskCommand({ cluster: 'podplane', task: taskArn, reason: 'pod deleted' }),
    );
    expect(stopping).toMatchObject({
      desiredStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'pod deleted',
    });
    const stopped = await waitForTask(ecs, taskArn, (t) => t.lastStatus === 'STOPPED');
    expect(stopped.containers?.[0]).toMatchObject({ lastStatus: 'STOPPED', exitCode: 0 });
    expect(stopped.stoppedAt).toBeInstanceOf(Date);
    expect(stopped.executionStoppedAt).toBeInstanceOf(Date);

    const idle = (await containerInstances(ecs))[0];
    expect(resource(idle?.remainingResources, 'CPU')).toBe(4096);
    expect(resource(idle?.remainingResources, 'MEMORY')).toBe(8192);
    expect(idle?.runningTasksCount).toBe(0);

    const again = await ecs.send(
      new StopTaskCommand({ cluster: 'podplane', task: taskArn, reason: 'twice' }),
    );
    expect(again.task).toMatchObject({
      lastStatus: 'STOPPED',
      stoppedReason: 'pod deleted',
      version: stopped.version,
    });

    await settle();
    expect(lastStatuses(events, taskArn).slice(4)).toEqual([
      'RUNNING',
      'DEACTIVATING',
      'STOPPING',
      'DEPROVISIONING',
      'STOPPED',
    ]);
    const listed = await ecs.send(
      new ListTasksCommand({ cluster: 'podplane', startedBy: 'pod-a', desiredStatus: 'STOPPED' }),
    );
    expect(listed.taskArns).toEqual([taskArn]);
    const runningNow = await ecs.send(new ListTasksCommand({ cluster: 'podplane', startedBy: 'pod-a' }));
    expect(runningNow.taskArns).toEqual([]);
  });

  it('stops a task whose container exits, with the exit code from sim.podplane.dev/exit-code', async () => {
    const { ecs } = await harness();
    const labels = { 'sim.podplane.dev/exit-after': '20ms', 'sim.podplane.dev/exit-code': '137' };
    const taskDefinition = await register(ecs, 'oom', [container({ dockerLabels: labels })]);
    const { taskArn = '' } = await runOne(ecs, { taskDefinition });
    const stopped = await waitForTask(ecs, taskArn, (t) => t.lastStatus === 'STOPPED');
    expect(stopped).toMatchObject({
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
    });
    expect(stopped.startedAt).toBeInstanceOf(Date);
    expect(stopped.containers?.[0]).toMatchObject({
      exitCode: 137,
      reason: 'OutOfMemoryError: Container killed due to memory usage',
    });
  });

  it('fails a task to start when its image cannot be pulled', async () => {
    const { ecs, events } = await harness();
    const labels = { 'sim.podplane.dev/image-pull-error': 'true' };
    const taskDefinition = await register(ecs, 'bad-image', [
      container({ image: 'nope:1', dockerLabels: labels }),
    ]);
    const { taskArn = '' } = await runOne(ecs, { taskDefinition });
    const stopped = await waitForTask(ecs, taskArn, (t) => t.lastStatus === 'STOPPED');
    const reason =
      'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref nope:1: not found';
    expect(stopped).toMatchObject({ stopCode: 'TaskFailedToStart', stoppedReason: reason });
    expect(stopped.startedAt).toBeUndefined();
    expect(stopped.containers?.[0]?.reason).toBe(reason);
    expect(stopped.containers?.[0]?.exitCode).toBeUndefined();
    await settle();
    expect([...new Set(lastStatuses(events, taskArn))]).toEqual(['PROVISIONING', 'PENDING', 'STOPPED']);
  });

  it('turns a task UNHEALTHY after sim.podplane.dev/unhealthy-after and keeps it running', async () => {
    const { ecs } = await harness();
    const labels = { 'sim.podplane.dev/unhealthy-after': '200ms' };
    const healthCheck = { command: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'] };
    const taskDefinition = await register(ecs, 'flaky', [container({ dockerLabels: labels, healthCheck })]);
    const { taskArn = '' } = await runOne(ecs, { taskDefinition });
    const healthy = await waitForTask(ecs, taskArn, (t) => t.lastStatus === 'RUNNING');
    expect(healthy.healthStatus).toBe('HEALTHY');
    const unhealthy = await waitForTask(ecs, taskArn, (t) => t.healthStatus === 'UNHEALTHY');
    expect(unhealthy.lastStatus).toBe('RUNNING');
    expect(unhealthy.containers?.[0]?.healthStatus).toBe('UNHEALTHY');
    expect(unhealthy.version).toBeGreaterThan(healthy.version ?? 0);
  });

  it('throttles RunTask beyond its burst and counts the throttles', async () => {
    const { sim, ecs } = await harness({}, 1);
    const taskDefinition = await register(ecs, 'tiny', [container({ cpu: 0, memoryReservation: 6 })]);
    const results = await Promise.allSettled(
      Array.from({ length: 130 }, () =>
        ecs.send(new RunTaskCommand({ cluster: 'podplane', taskDefinition })),
      ),
    );
    const throttled = results.filter((r) => r.status === 'rejected');
    expect(throttled.length).toBeGreaterThan(0);
    for (const result of throttled) {
      expect(result.status === 'rejected' && result.reason).toMatchObject({
        name: 'ThrottlingException',
        message: 'Rate exceeded',
      });
    }
    expect(sim.stats()).toEqual({
      runTaskCalls: 130,
      runTaskThrottles: throttled.length,
      tasks: 130 - throttled.length,
    });
  });

  it('keeps the lines a container writes, by task and container', async () => {
    const { sim, ecs } = await harness();
    const labels = { 'sim.podplane.dev/logs': 'hello\nworld' };
    const logConfiguration = {
      logDriver: 'awslogs' as const,
      options: {
        'awslogs-group': '/podplane/pods',
        'awslogs-region': region,
        'awslogs-stream-prefix': 'pod',
      },
    };
    const taskDefinition = await register(ecs, 'chatty', [
      container({ dockerLabels: labels, logConfiguration }),
    ]);
    const { taskArn = '' } = await runOne(ecs, { taskDefinition });
    await waitForTask(ecs, taskArn, (t) => t.lastStatus === 'RUNNING');
    expect(sim.logLines(taskArn, 'app').map((l) => l.message)).toEqual(['hello', 'world']);

    const taskId = taskArn.split('/').at(-1);
    const response = await fetch(sim.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'Logs_20140328.GetLogEvents', 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({
        logGroupName: '/podplane/pods',
        logStreamName: `pod/app/${taskId}`,
        startFromHead: true,
      }),
    });
    const body = (await response.json()) as { events: { message: string; timestamp: number }[] };
    expect(body.events.map((e) => e.message)).toEqual(['hello', 'world']);
  });

  it('answers with ECS errors: missing tasks, unknown clusters, a too-long startedBy', async () => {
    const { ecs } = await harness();
    const taskDefinition = await register(ecs, 'web');
    const missing = await ecs.send(
      new DescribeTasksCommand({ cluster: 'podplane', tasks: ['0123456789abcdef0123456789abcdef'] }),
    );
    expect(missing.failures).toEqual([
      {
        arn: 'arn:aws:ecs:us-east-1:000000000000:task/podplane/0123456789abcdef0123456789abcdef',
        reason: 'MISSING',
      },
    ]);
    await expect(ecs.send(new ListTasksCommand({ cluster: 'elsewhere' }))).rejects.toMatchObject({
      name: 'ClusterNotFoundException',
    });
    await expect(
      ecs.send(new RunTaskCommand({ cluster: 'podplane', taskDefinition, startedBy: 'x'.repeat(37) })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('survives a listener that throws and leaves no timers behind when stopped', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const { sim, ecs } = await harness({
      onTaskStateChange: () => {
        throw new Error('listener bug');
      },
    });
    const quiet = console.error;
    console.error = () => {};
    try {
      const labels = { 'sim.podplane.dev/exit-after': '10m', 'sim.podplane.dev/start-delay': '1ms' };
      const taskDefinition = await register(ecs, 'long', [container({ dockerLabels: labels })]);
      const { taskArn = '' } = await runOne(ecs, { taskDefinition });
      await waitForTask(ecs, taskArn, (t) => t.lastStatus === 'RUNNING');
    } finally {
      console.error = quiet;
    }
    ecs.destroy();
    await sim.stop();
    const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(after).toBeLessThanOrEqual(before);
  });
});
