import {
  type ContainerDefinition,
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  RunTaskCommand,
  type RunTaskCommandInput,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { awsvpcTaskLimit } from '../../functions/core/nodes/pod-capacity';
import {
  type EcsSimulator,
  type EcsSimulatorOptions,
  type EcsTaskStateChangeEvent,
  startEcsSimulator,
} from '../../local/ecs-simulator/index';

// The simulator refuses what ECS refuses and reports networking as ECS does. Each expectation
// carries ECS's own exception type and message; the simulator's README names the page behind each.

const running: EcsSimulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.stop()));
});

async function harness(options: Partial<EcsSimulatorOptions> = {}) {
  const events: EcsTaskStateChangeEvent[] = [];
  const sim = await startEcsSimulator({
    clusterName: 'podplane',
    nodes: 1,
    nodeCpu: 4,
    nodeMemoryMiB: 8192,
    runTaskRate: false,
    onTaskStateChange: (event) => events.push(event),
    ...options,
  });
  running.push(sim);
  const ecs = new ECSClient({
    endpoint: sim.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  const register = async (input: Partial<RegisterTaskDefinitionCommandInput>) => {
    const { taskDefinition } = await ecs.send(
      new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [container()], ...input }),
    );
    return taskDefinition?.taskDefinitionArn ?? '';
  };
  const run = (input: Omit<RunTaskCommandInput, 'cluster'>) =>
    ecs.send(new RunTaskCommand({ cluster: 'podplane', ...input }));
  const runOne = async (input: Omit<RunTaskCommandInput, 'cluster'>): Promise<Task> => {
    const { tasks = [], failures = [] } = await run(input);
    expect(failures).toEqual([]);
    const [task] = tasks;
    if (!task?.taskArn) throw new Error('RunTask returned no task');
    return task;
  };
  const waitFor = async (taskArn: string, done: (task: Task) => boolean): Promise<Task> => {
    const deadline = Date.now() + 3000;
    for (;;) {
      const { tasks = [] } = await ecs.send(
        new DescribeTasksCommand({ cluster: 'podplane', tasks: [taskArn] }),
      );
      const [task] = tasks;
      if (task && done(task)) return task;
      if (Date.now() > deadline) throw new Error(`task never got there: ${JSON.stringify(task)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const stop = async (taskArn: string) => {
    await ecs.send(new StopTaskCommand({ cluster: 'podplane', task: taskArn }));
    return waitFor(taskArn, (t) => t.lastStatus === 'STOPPED');
  };
  const instances = async () => {
    const { containerInstanceArns = [] } = await ecs.send(
      new ListContainerInstancesCommand({ cluster: 'podplane' }),
    );
    const { containerInstances = [] } = await ecs.send(
      new DescribeContainerInstancesCommand({
        cluster: 'podplane',
        containerInstances: containerInstanceArns,
      }),
    );
    return containerInstances;
  };
  return { sim, ecs, events, register, run, runOne, waitFor, stop, instances };
}

function container(overrides: Partial<ContainerDefinition> = {}): ContainerDefinition {
  return { name: 'app', image: 'nginx:1.27', memoryReservation: 128, cpu: 256, ...overrides };
}

const awsvpc = (subnets = ['subnet-local']) => ({
  networkConfiguration: { awsvpcConfiguration: { subnets, assignPublicIp: 'DISABLED' as const } },
});

const fargate = { requiresCompatibilities: ['FARGATE' as const], networkMode: 'awsvpc' as const };
const fargateSize = { cpu: '256', memory: '512' };

const ports = (resources: { name?: string; stringSetValue?: string[] }[] | undefined, name: string) =>
  resources?.find((r) => r.name === name)?.stringSetValue;

const refusal = (name: string, message: string) => ({ name, message });

describe('RegisterTaskDefinition refuses what ECS refuses', () => {
  it('refuses containers whose cpu adds up to more than the task’s, init containers included', async () => {
    const { register } = await harness();
    await expect(
      register({
        cpu: '512',
        containerDefinitions: [
          container({ name: 'init', essential: false, cpu: 256 }),
          container({ name: 'app', cpu: 512 }),
        ],
      }),
    ).rejects.toMatchObject(
      refusal(
        'ClientException',
        "The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'.",
      ),
    );
    await expect(
      register({
        cpu: '512',
        containerDefinitions: [container({ name: 'a', cpu: 256 }), container({ name: 'b', cpu: 256 })],
      }),
    ).resolves.toContain(':task-definition/web:');
  });

  it('refuses container reservations (memoryReservation, else memory) above the task’s memory', async () => {
    const { register } = await harness();
    await expect(
      register({
        memory: '512',
        containerDefinitions: [
          container({ name: 'init', essential: false, memoryReservation: undefined, memory: 256 }),
          container({ name: 'app', memoryReservation: 300 }),
        ],
      }),
    ).rejects.toMatchObject(
      refusal(
        'ClientException',
        "The sum of all container 'memoryReservation' values cannot be greater than the value of the task 'memory'.",
      ),
    );
  });

  it('refuses more than 10 containers and a definition over 64 KiB', async () => {
    const { register } = await harness();
    const eleven = Array.from({ length: 11 }, (_, i) =>
      container({ name: `c${i}`, cpu: 0, memoryReservation: 8 }),
    );
    await expect(register({ containerDefinitions: eleven })).rejects.toMatchObject(
      refusal('ClientException', 'Too many containers.'),
    );
    const big = container({ dockerLabels: { note: 'x'.repeat(70_000) } });
    await expect(register({ containerDefinitions: [big] })).rejects.toMatchObject({
      name: 'ClientException',
      message: expect.stringMatching(/^Actual length: '\d+'\. Max allowed length is '65536' bytes\.$/),
    });
  });

  it.each<[string, Partial<RegisterTaskDefinitionCommandInput>, string]>([
    [
      'a privileged container',
      { containerDefinitions: [container({ privileged: true })] },
      'Fargate compatible task definitions do not support privileged',
    ],
    [
      'docker security options',
      { containerDefinitions: [container({ dockerSecurityOptions: ['no-new-privileges'] })] },
      'Fargate compatible task definitions do not support dockerSecurityOptions',
    ],
    [
      'a capability other than SYS_PTRACE',
      {
        containerDefinitions: [
          container({ linuxParameters: { capabilities: { add: ['SYS_PTRACE', 'NET_ADMIN'] } } }),
        ],
      },
      'Fargate compatible task definitions only support adding the SYS_PTRACE kernel capability, not NET_ADMIN.',
    ],
    [
      'host devices',
      { containerDefinitions: [container({ linuxParameters: { devices: [{ hostPath: '/dev/fuse' }] } })] },
      'Fargate compatible task definitions do not support devices',
    ],
    [
      'a host volume with a sourcePath',
      { volumes: [{ name: 'data', host: { sourcePath: '/var/data' } }] },
      'Fargate compatible task definitions do not support sourcePath',
    ],
    [
      'a Docker volume',
      { volumes: [{ name: 'data', dockerVolumeConfiguration: { scope: 'task' } }] },
      'Fargate compatible task definitions do not support dockerVolumeConfiguration',
    ],
    [
      'placement constraints',
      { placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.os-type == linux' }] },
      'Fargate compatible task definitions do not support constraints',
    ],
    ['an IPC mode', { ipcMode: 'task' }, 'Tasks using the Fargate launch type do not support ipcMode.'],
    [
      'the host PID mode',
      { pidMode: 'host' },
      "Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'.",
    ],
  ])('refuses %s on Fargate', async (_what, input, message) => {
    const { register } = await harness();
    await expect(register({ ...fargate, ...fargateSize, ...input })).rejects.toMatchObject(
      refusal('ClientException', message),
    );
  });

  it('accepts on Fargate what it allows: SYS_PTRACE, dropped capabilities, pidMode task, a host volume without a path', async () => {
    const { register, ecs } = await harness();
    const arn = await register({
      ...fargate,
      ...fargateSize,
      pidMode: 'task',
      volumes: [{ name: 'scratch', host: {} }],
      containerDefinitions: [
        container({ linuxParameters: { capabilities: { add: ['SYS_PTRACE'], drop: ['NET_RAW'] } } }),
      ],
    });
    const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
    expect(taskDefinition?.compatibilities).toEqual(['EC2', 'FARGATE']);
  });

  it('leaves FARGATE out of the compatibilities of an awsvpc definition that Fargate would refuse', async () => {
    const { register, ecs } = await harness();
    const arn = await register({
      networkMode: 'awsvpc',
      ...fargateSize,
      containerDefinitions: [container({ privileged: true })],
    });
    const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
    expect(taskDefinition?.compatibilities).toEqual(['EC2']);
  });

  it.each<[string, Partial<ContainerDefinition>, string]>([
    ['a hostname', { hostname: 'web' }, 'hostname is not supported on container when networkMode=awsvpc.'],
    [
      '/etc/hosts entries',
      { extraHosts: [{ hostname: 'db', ipAddress: '10.0.0.9' }] },
      'Extra hosts are not supported on container when networkMode=awsvpc.',
    ],
    ['links', { links: ['db'] }, 'Links are not supported when networkMode=awsvpc.'],
    [
      'a host port other than the container port',
      { portMappings: [{ containerPort: 80, hostPort: 8080 }] },
      'When networkMode=awsvpc, the host ports and container ports in port mappings must match.',
    ],
  ])('refuses %s in awsvpc mode, on EC2 too', async (_what, fields, message) => {
    const { register } = await harness();
    await expect(
      register({
        networkMode: 'awsvpc',
        requiresCompatibilities: ['EC2'],
        containerDefinitions: [container(fields)],
      }),
    ).rejects.toMatchObject(refusal('ClientException', message));
  });

  it('fills in host ports as ECS registers them: the container port in awsvpc, 0 (dynamic) in bridge', async () => {
    const { register, ecs } = await harness();
    const mappings = [{ containerPort: 80 }, { containerPort: 53, protocol: 'udp' as const }];
    const describe = async (arn: string) =>
      (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }))).taskDefinition
        ?.containerDefinitions?.[0]?.portMappings;
    const inAwsvpc = await register({
      networkMode: 'awsvpc',
      containerDefinitions: [container({ portMappings: mappings })],
    });
    expect(await describe(inAwsvpc)).toEqual([
      { containerPort: 80, hostPort: 80, protocol: 'tcp' },
      { containerPort: 53, hostPort: 53, protocol: 'udp' },
    ]);
    const inBridge = await register({ containerDefinitions: [container({ portMappings: mappings })] });
    expect(await describe(inBridge)).toEqual([
      { containerPort: 80, hostPort: 0, protocol: 'tcp' },
      { containerPort: 53, hostPort: 0, protocol: 'udp' },
    ]);
  });

  it('refuses links outside bridge mode and port mappings in none mode', async () => {
    const { register } = await harness();
    await expect(
      register({ networkMode: 'host', containerDefinitions: [container({ links: ['db'] })] }),
    ).rejects.toMatchObject(refusal('ClientException', 'Links are not supported when networkMode=host.'));
    await expect(
      register({
        networkMode: 'none',
        containerDefinitions: [container({ portMappings: [{ containerPort: 80 }] })],
      }),
    ).rejects.toMatchObject(
      refusal('ClientException', 'Port mappings are not supported when networkMode=none.'),
    );
  });
});

describe('RunTask refuses what ECS refuses', () => {
  it('takes 1 to 16 subnets and at most 5 security groups for an awsvpc task', async () => {
    const { register, run } = await harness();
    const taskDefinition = await register({ networkMode: 'awsvpc' });
    await expect(run({ taskDefinition })).rejects.toMatchObject(
      refusal(
        'InvalidParameterException',
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
      ),
    );
    const seventeen = Array.from({ length: 17 }, (_, i) => `subnet-${i}`);
    await expect(run({ taskDefinition, ...awsvpc(seventeen) })).rejects.toMatchObject(
      refusal('InvalidParameterException', 'subnets can have at most 16 items.'),
    );
    const securityGroups = Array.from({ length: 6 }, (_, i) => `sg-${i}`);
    await expect(
      run({
        taskDefinition,
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-local'], securityGroups } },
      }),
    ).rejects.toMatchObject(refusal('InvalidParameterException', 'securityGroups can have at most 5 items.'));
  });

  it('gives a public IP only to Fargate tasks', async () => {
    const { register, run, runOne } = await harness();
    const taskDefinition = await register({ networkMode: 'awsvpc', ...fargateSize });
    const withPublicIp = {
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ['subnet-local'], assignPublicIp: 'ENABLED' as const },
      },
    };
    await expect(run({ taskDefinition, launchType: 'EC2', ...withPublicIp })).rejects.toMatchObject(
      refusal('InvalidParameterException', 'Assign public IP is not supported for this launch type.'),
    );
    const onFargate = await runOne({ taskDefinition, launchType: 'FARGATE', ...withPublicIp });
    expect(onFargate.launchType).toBe('FARGATE');
  });

  it('refuses container overrides longer than 8192 characters', async () => {
    const { register, run } = await harness();
    const taskDefinition = await register({});
    const environment = [{ name: 'BIG', value: 'x'.repeat(8200) }];
    await expect(
      run({ taskDefinition, overrides: { containerOverrides: [{ name: 'app', environment }] } }),
    ).rejects.toMatchObject(
      refusal('InvalidParameterException', 'Container Overrides length must be at most 8192'),
    );
  });

  it('places a container under Docker’s 6 MiB minimum, which then fails to start', async () => {
    const { register, runOne, waitFor } = await harness();
    const taskDefinition = await register({ containerDefinitions: [container({ memoryReservation: 4 })] });
    const { taskArn = '' } = await runOne({ taskDefinition });
    const stopped = await waitFor(taskArn, (t) => t.lastStatus === 'STOPPED');
    const reason =
      'CannotCreateContainerError: Error response from daemon: Minimum memory reservation allowed is 6MB';
    expect(stopped).toMatchObject({ stopCode: 'TaskFailedToStart', stoppedReason: reason });
    expect(stopped.containers?.[0]?.reason).toBe(reason);
    expect(stopped.startedAt).toBeUndefined();
  });
});

describe('placement failures carry ECS’s reasons', () => {
  it('fails with RESOURCE:PORTS while a static host port is taken, and places once its holder stops', async () => {
    const { register, run, runOne, stop, instances } = await harness();
    const taskDefinition = await register({
      containerDefinitions: [container({ portMappings: [{ containerPort: 80, hostPort: 8080 }] })],
    });
    const holder = await runOne({ taskDefinition });
    const [instance] = await instances();
    expect(ports(instance?.remainingResources, 'PORTS')).toEqual([
      '22',
      '2375',
      '2376',
      '8080',
      '51678',
      '51679',
    ]);
    expect(ports(instance?.registeredResources, 'PORTS')).toEqual(['22', '2375', '2376', '51678', '51679']);

    const refused = await run({ taskDefinition });
    expect(refused.tasks).toEqual([]);
    expect(refused.failures).toEqual([{ arn: instance?.containerInstanceArn, reason: 'RESOURCE:PORTS' }]);

    await stop(holder.taskArn ?? '');
    expect(ports((await instances())[0]?.remainingResources, 'PORTS')).toEqual([
      '22',
      '2375',
      '2376',
      '51678',
      '51679',
    ]);
    await runOne({ taskDefinition });
  });

  it('counts the agent’s reserved ports, per protocol', async () => {
    const { register, run, runOne, instances } = await harness();
    const ssh = await register({
      containerDefinitions: [container({ portMappings: [{ containerPort: 22, hostPort: 22 }] })],
    });
    expect((await run({ taskDefinition: ssh })).failures?.[0]?.reason).toBe('RESOURCE:PORTS');
    const overUdp = await register({
      containerDefinitions: [
        container({ portMappings: [{ containerPort: 22, hostPort: 22, protocol: 'udp' }] }),
      ],
    });
    await runOne({ taskDefinition: overUdp });
    expect(ports((await instances())[0]?.remainingResources, 'PORTS_UDP')).toEqual(['22']);
  });

  it('reports the first resource short, CPU before ports', async () => {
    const { register, run, runOne } = await harness({ nodeCpu: 1, nodeMemoryMiB: 2048 });
    const taskDefinition = await register({
      containerDefinitions: [container({ cpu: 768, portMappings: [{ containerPort: 80, hostPort: 80 }] })],
    });
    await runOne({ taskDefinition });
    expect((await run({ taskDefinition })).failures?.[0]?.reason).toBe('RESOURCE:CPU');
  });

  it('fails with RESOURCE:ENI once the instance holds as many awsvpc tasks as it has ENIs, and places after one stops', async () => {
    // c5.large: 3 ENIs, the primary one included, so 2 awsvpc tasks without trunking.
    const { register, run, runOne, stop, instances } = await harness({
      nodeCpu: 2,
      nodeMemoryMiB: 4096,
      awsvpcTrunking: false,
    });
    const [instance] = await instances();
    const attributes = Object.fromEntries((instance?.attributes ?? []).map((a) => [a.name, a.value]));
    expect(attributes['ecs.instance-type']).toBe('c5.large');
    expect(attributes).not.toHaveProperty('ecs.awsvpc-trunk-id');
    const limit = awsvpcTaskLimit('c5.large', false);
    expect(limit).toBe(2);

    const taskDefinition = await register({
      networkMode: 'awsvpc',
      containerDefinitions: [container({ cpu: 64, memoryReservation: 64 })],
    });
    const holders = [];
    for (let i = 0; i < (limit ?? 0); i++) holders.push(await runOne({ taskDefinition, ...awsvpc() }));
    const refused = await run({ taskDefinition, ...awsvpc() });
    expect(refused.failures).toEqual([{ arn: instance?.containerInstanceArn, reason: 'RESOURCE:ENI' }]);

    await stop(holders[0]?.taskArn ?? '');
    await runOne({ taskDefinition, ...awsvpc() });
  });

  it('with awsvpcTrunking (the default) registers a trunk ENI and places as many tasks as ECS’s trunking table allows', async () => {
    const { register, run, instances } = await harness({ nodeCpu: 2, nodeMemoryMiB: 4096 });
    const [instance] = await instances();
    const trunk = instance?.attributes?.find((a) => a.name === 'ecs.awsvpc-trunk-id');
    expect(trunk?.value).toMatch(/^eni-[0-9a-f]{17}$/);
    const limit = awsvpcTaskLimit('c5.large', true) ?? 0;
    expect(limit).toBe(10);
    const taskDefinition = await register({
      networkMode: 'awsvpc',
      containerDefinitions: [container({ cpu: 16, memoryReservation: 16 })],
    });
    const placed = await run({ taskDefinition, count: limit, ...awsvpc() });
    expect(placed.tasks).toHaveLength(limit);
    expect((await run({ taskDefinition, ...awsvpc() })).failures?.[0]?.reason).toBe('RESOURCE:ENI');
  });

  it('applies no ENI limit to an instance type the table does not know', async () => {
    const { register, run, instances } = await harness({ nodeCpu: 3, nodeMemoryMiB: 3072 });
    const type = (await instances())[0]?.attributes?.find((a) => a.name === 'ecs.instance-type')?.value ?? '';
    expect(awsvpcTaskLimit(type, true)).toBeUndefined();
    const taskDefinition = await register({
      networkMode: 'awsvpc',
      containerDefinitions: [container({ cpu: 16, memoryReservation: 16 })],
    });
    for (let i = 0; i < 3; i++)
      expect((await run({ taskDefinition, count: 10, ...awsvpc() })).failures).toEqual([]);
  });
});

describe('networking in task descriptions', () => {
  const detailNames = [
    'subnetId',
    'networkInterfaceId',
    'macAddress',
    'privateDnsName',
    'privateIPv4Address',
  ];

  it('gives an awsvpc task on EC2 an ENI attachment, its address on every container, and DELETED once stopped', async () => {
    const { register, runOne, waitFor, stop, events } = await harness();
    const taskDefinition = await register({
      networkMode: 'awsvpc',
      containerDefinitions: [
        container({ portMappings: [{ containerPort: 80 }] }),
        container({ name: 'sidecar' }),
      ],
    });
    const launched = await runOne({ taskDefinition, ...awsvpc(['subnet-local']) });
    // As RunTask answers: the ENI is only being provisioned; its subnet is all that is known.
    expect(launched.attachments).toEqual([
      {
        id: expect.any(String),
        type: 'ElasticNetworkInterface',
        status: 'PRECREATED',
        details: [{ name: 'subnetId', value: 'subnet-local' }],
      },
    ]);
    expect(launched.containers?.[0]?.networkInterfaces).toEqual([]);

    const taskArn = launched.taskArn ?? '';
    const runningTask = await waitFor(taskArn, (t) => t.lastStatus === 'RUNNING');
    const [attachment] = runningTask.attachments ?? [];
    expect(attachment).toMatchObject({
      id: launched.attachments?.[0]?.id,
      type: 'ElasticNetworkInterface',
      status: 'ATTACHED',
    });
    expect(attachment?.details?.map((d) => d.name)).toEqual(detailNames);
    const detail = Object.fromEntries((attachment?.details ?? []).map((d) => [d.name, d.value]));
    expect(detail).toMatchObject({
      subnetId: 'subnet-local',
      networkInterfaceId: expect.stringMatching(/^eni-[0-9a-f]{17}$/),
      macAddress: expect.stringMatching(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/),
      privateIPv4Address: expect.stringMatching(/^10\.\d+\.\d+\.\d+$/),
    });
    expect(detail.privateDnsName).toBe(`ip-${detail.privateIPv4Address?.replaceAll('.', '-')}.ec2.internal`);
    for (const c of runningTask.containers ?? []) {
      expect(c.networkInterfaces).toEqual([
        { attachmentId: attachment?.id, privateIpv4Address: detail.privateIPv4Address },
      ]);
      expect(c.networkBindings).toEqual([]);
    }

    const stopped = await stop(taskArn);
    expect(stopped.attachments?.[0]).toMatchObject({ status: 'DELETED', details: attachment?.details });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const statuses = events
      .filter((e) => e.detail.taskArn === taskArn)
      .map((e) => `${e.detail.lastStatus}:${e.detail.attachments[0]?.status}`);
    expect(statuses).toContain('RUNNING:ATTACHED');
    expect(statuses.at(-1)).toBe('STOPPED:DELETED');
    const runningEvent = events.find(
      (e) => e.detail.taskArn === taskArn && e.detail.lastStatus === 'RUNNING',
    );
    // The event calls the attachment type `eni`, as ECS's event reference shows it.
    expect(runningEvent?.detail.attachments[0]?.type).toBe('eni');
    expect(runningEvent?.detail.containers[0]?.networkInterfaces).toEqual([
      { attachmentId: attachment?.id, privateIpv4Address: detail.privateIPv4Address },
    ]);
  });

  it('gives a Fargate task its ENI in the subnet RunTask names', async () => {
    const { register, runOne, waitFor } = await harness({ region: 'eu-west-1', zones: ['eu-west-1a'] });
    const taskDefinition = await register({ ...fargate, ...fargateSize });
    const { taskArn = '' } = await runOne({
      taskDefinition,
      launchType: 'FARGATE',
      ...awsvpc(['subnet-fargate']),
    });
    const task = await waitFor(taskArn, (t) => t.lastStatus === 'RUNNING');
    const detail = Object.fromEntries((task.attachments?.[0]?.details ?? []).map((d) => [d.name, d.value]));
    expect(detail.subnetId).toBe('subnet-fargate');
    expect(detail.privateDnsName).toMatch(/^ip-10-\d+-\d+-\d+\.eu-west-1\.compute\.internal$/);
    expect(task.containers?.[0]?.networkInterfaces?.[0]?.privateIpv4Address).toBe(detail.privateIPv4Address);
  });

  it('binds a bridge task’s ports on the instance once it runs: static as asked, dynamic from Docker’s ephemeral range', async () => {
    const { register, runOne, waitFor, events } = await harness();
    const taskDefinition = await register({
      containerDefinitions: [
        container({
          portMappings: [
            { containerPort: 80, hostPort: 8080 },
            { containerPort: 9090 },
            { containerPort: 5353, protocol: 'udp' },
          ],
        }),
      ],
    });
    const launched = await runOne({ taskDefinition });
    expect(launched.attachments).toEqual([]);
    expect(launched.containers?.[0]).toMatchObject({ networkBindings: [], networkInterfaces: [] });
    const task = await waitFor(launched.taskArn ?? '', (t) => t.lastStatus === 'RUNNING');
    const [fixed, tcp, udp] = task.containers?.[0]?.networkBindings ?? [];
    expect(fixed).toEqual({ bindIP: '0.0.0.0', containerPort: 80, hostPort: 8080, protocol: 'tcp' });
    expect(tcp).toMatchObject({ bindIP: '0.0.0.0', containerPort: 9090, protocol: 'tcp' });
    expect(udp).toMatchObject({ bindIP: '0.0.0.0', containerPort: 5353, protocol: 'udp' });
    for (const binding of [tcp, udp]) {
      expect(binding?.hostPort).toBeGreaterThanOrEqual(32768);
      expect(binding?.hostPort).toBeLessThanOrEqual(60999);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
    const runningEvent = events.find(
      (e) => e.detail.taskArn === task.taskArn && e.detail.lastStatus === 'RUNNING',
    );
    expect(runningEvent?.detail.containers[0]?.networkBindings).toEqual(
      task.containers?.[0]?.networkBindings,
    );
  });

  it('hands out dynamic host ports no other task on the instance holds, per protocol', async () => {
    const { register, run, waitFor, stop } = await harness({ nodeCpu: 8, nodeMemoryMiB: 16384 });
    const taskDefinition = await register({
      containerDefinitions: [
        container({
          cpu: 16,
          portMappings: [
            { containerPort: 80 },
            { containerPort: 81 },
            { containerPort: 53, protocol: 'udp' },
          ],
        }),
      ],
    });
    const { tasks = [] } = await run({ taskDefinition, count: 10 });
    const first = await Promise.all(
      tasks.map((t) => waitFor(t.taskArn ?? '', (x) => x.lastStatus === 'RUNNING')),
    );
    // One stops and its ports go back; the tasks after it still never share a port.
    await stop(first[0]?.taskArn ?? '');
    const more = (await run({ taskDefinition, count: 5 })).tasks ?? [];
    const after = await Promise.all(
      more.map((t) => waitFor(t.taskArn ?? '', (x) => x.lastStatus === 'RUNNING')),
    );
    const held = [...first.slice(1), ...after].flatMap((t) => t.containers?.[0]?.networkBindings ?? []);
    for (const protocol of ['tcp', 'udp']) {
      const hostPorts = held.filter((b) => b.protocol === protocol).map((b) => b.hostPort);
      expect(new Set(hostPorts).size).toBe(hostPorts.length);
    }
    expect(held).toHaveLength(14 * 3);
  });

  it('binds a host-mode task’s container ports on the same host ports, exclusively', async () => {
    const { register, run, runOne, waitFor } = await harness();
    const taskDefinition = await register({
      networkMode: 'host',
      containerDefinitions: [container({ portMappings: [{ containerPort: 9100 }] })],
    });
    const { taskArn = '' } = await runOne({ taskDefinition });
    const task = await waitFor(taskArn, (t) => t.lastStatus === 'RUNNING');
    expect(task.containers?.[0]?.networkBindings).toEqual([
      { bindIP: '0.0.0.0', containerPort: 9100, hostPort: 9100, protocol: 'tcp' },
    ]);
    expect((await run({ taskDefinition })).failures?.[0]?.reason).toBe('RESOURCE:PORTS');
  });
});
