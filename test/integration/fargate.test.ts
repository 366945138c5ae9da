import { DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoEventStore } from '../../functions/adapters/dynamodb/event-store';
import { dynamoNodeStore } from '../../functions/adapters/dynamodb/node-store';
import { dynamoPodStore } from '../../functions/adapters/dynamodb/pod-store';
import { ecsPodRuntime } from '../../functions/adapters/ecs/runtime';
import { syncPod } from '../../functions/core/controllers/kubelet';
import { syncNodes } from '../../functions/core/controllers/node-sync';
import { createScheduler } from '../../functions/core/controllers/scheduler';
import type { Pod } from '../../functions/core/k8s';
import { fargateTaint, parseFargatePools } from '../../functions/core/nodes/fargate-pool';
import type { PodRecord } from '../../functions/core/ports';
import { defaultProfile } from '../../functions/core/scheduler/profile';
import { type EcsSimulator, startEcsSimulator } from '../../local/ecs-simulator';
import { storedPod } from '../fixtures';
import { fakeTimers } from '../unit/fakes';
import { useFreshTable } from './support';

const pods = dynamoPodStore;
const nodes = dynamoNodeStore;
const events = dynamoEventStore;
const now = () => new Date().toISOString();
let ecs: EcsSimulator;

const pool = parseFargatePools(
  JSON.stringify([
    {
      name: 'fargate-a',
      zone: 'us-east-1a',
      cpu: '8',
      memory: '16Gi',
      pods: 10,
      subnets: ['subnet-1'],
      securityGroups: ['sg-1'],
    },
  ]),
);

beforeAll(async () => {
  await useFreshTable();
  ecs = await startEcsSimulator({ clusterName: 'podplane-test', nodes: 1, nodeCpu: 2, nodeMemoryMiB: 4096 });
  process.env.AWS_ENDPOINT_URL_ECS = ecs.endpoint;
  expect(await syncNodes({ runtime: ecsPodRuntime, nodes, now, fargatePools: pool })).toBe(2);
});

afterAll(async () => {
  await ecs?.stop();
});

const read = async (name: string): Promise<PodRecord> => {
  const record = await pods.getPod('default', name, true);
  if (!record) throw new Error(`no pod ${name}`);
  return record;
};

/** A pod that opts in to Fargate the way EKS users do: tolerate its taint, select its nodes. */
function fargatePod(name: string, extra: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  const pod = storedPod(name, { cpu: '300m', memory: '600Mi' });
  return {
    ...pod,
    spec: {
      ...pod.spec,
      containers: pod.spec?.containers ?? [],
      nodeSelector: { 'eks.amazonaws.com/compute-type': 'fargate' },
      tolerations: [
        { key: fargateTaint.key, operator: 'Equal', value: fargateTaint.value, effect: 'NoSchedule' },
      ],
      ...extra,
    },
  };
}

async function scheduleAndLaunch(name: string) {
  await createScheduler({ pods, nodes, events, profile: defaultProfile, now }).schedule(await read(name));
  await syncPod(await read(name), { pods, nodes, events, runtime: ecsPodRuntime, timers: fakeTimers(), now });
  return read(name);
}

describe('Fargate pools as virtual nodes', () => {
  it('keeps pods that do not tolerate Fargate off the Fargate node', async () => {
    await pods.createPod(storedPod('plain', { cpu: '100m' }));
    const record = await scheduleAndLaunch('plain');
    expect(record.pod.spec?.nodeName).toMatch(/^i-/);
  });

  it('runs a pod that opts in as a Fargate task, rounded up to a Fargate size and saying so', async () => {
    await pods.createPod(fargatePod('serverless'));
    const record = await scheduleAndLaunch('serverless');
    expect(record.pod.spec?.nodeName).toBe('fargate-a');
    expect(record.taskArn).toBeDefined();
    const client = new ECSClient({
      endpoint: ecs.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const described = await client.send(
      new DescribeTasksCommand({ cluster: 'podplane-test', tasks: [record.taskArn ?? ''] }),
    );
    client.destroy();
    expect(described.tasks?.[0]).toMatchObject({ cpu: '512', memory: '1024' });
    expect(described.tasks?.[0]?.containerInstanceArn).toBeUndefined();
    const sized = (await events.listEvents('default')).find(
      (e) => e.involvedObject.name === 'serverless' && e.reason === 'FargateSize',
    );
    expect(sized?.message).toBe(
      "Fargate runs this pod as 512 CPU units and 1024 MiB, its containers' requests and limits rounded up to a Fargate size",
    );
  });

  it('fails a pod Fargate cannot run, saying why', async () => {
    const privileged = fargatePod('privileged');
    const container = privileged.spec?.containers[0];
    if (!container) throw new Error('no container');
    container.securityContext = { privileged: true };
    await pods.createPod(privileged);
    const record = await scheduleAndLaunch('privileged');
    expect(record.taskArn).toBeUndefined();
    expect(record.pod.status).toMatchObject({
      phase: 'Failed',
      reason: 'FargateUnsupported',
      message: 'Fargate cannot run this pod: privileged container "app"',
    });
    expect(record.released).toBe(true);
  });
});
