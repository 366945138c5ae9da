import { DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Node, Pod } from '../../functions/core/k8s';
import { ec2InstanceIdAnnotation } from '../../functions/core/nodes/from-container-instance';
import { environmentVariables } from '../../functions/wiring';
import { type EcsSimulator, startEcsSimulator } from '../../local/ecs-simulator/index';

// The kubelet's ECS adapter launches an EC2 pod per podplane:podNetworking: awsvpc gives the
// task an ENI in the stack's pod subnets with the pod security group (and no public IP, which
// ECS refuses on EC2); bridge sends no network configuration. Checked against the ECS simulator,
// which describes the task as ECS does: an ENI attachment in the subnet, or host port bindings.

let sim: EcsSimulator;
let ecs: ECSClient;
let runtime: typeof import('../../functions/adapters/ecs/runtime').ecsPodRuntime;
let node: Node;

beforeAll(async () => {
  sim = await startEcsSimulator({ clusterName: 'podplane', nodes: 1, nodeCpu: 4, nodeMemoryMiB: 8192 });
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'podplane');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'podplane');
  vi.stubEnv('AWS_ENDPOINT_URL_ECS', sim.endpoint);
  vi.stubEnv(environmentVariables.cluster, 'podplane');
  vi.stubEnv(environmentVariables.logGroup, '/podplane/pods');
  vi.stubEnv(
    environmentVariables.podNetwork,
    JSON.stringify({ subnets: ['subnet-pods-a'], securityGroups: ['sg-pods'] }),
  );
  ({ ecsPodRuntime: runtime } = await import('../../functions/adapters/ecs/runtime'));
  ecs = new ECSClient({ endpoint: sim.endpoint });
  const [instance] = await runtime.listContainerInstances();
  const id = instance?.ec2InstanceId ?? '';
  node = { metadata: { name: id, annotations: { [ec2InstanceIdAnnotation]: id } } };
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await sim?.stop();
});

const pod = (uid: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `web-${uid.slice(-2)}`, namespace: 'default', uid },
  spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
});

async function launch(uid: string) {
  const result = await runtime.launchPod(pod(uid), node, 0);
  if (result.kind !== 'launched') throw new Error(`not launched: ${JSON.stringify(result)}`);
  const { tasks: [task] = [] } = await ecs.send(
    new DescribeTasksCommand({ cluster: 'podplane', tasks: [result.taskArn] }),
  );
  const { taskDefinition } = await ecs.send(
    new DescribeTaskDefinitionCommand({ taskDefinition: task?.taskDefinitionArn }),
  );
  return { task, taskDefinition };
}

describe('launching an EC2 pod', () => {
  it('with awsvpc (the default): an ENI in the pod subnets, and the task definition in awsvpc mode', async () => {
    vi.stubEnv(environmentVariables.podNetworking, 'awsvpc');
    const { task, taskDefinition } = await launch('00000000-0000-4000-8000-000000000011');
    expect(taskDefinition?.networkMode).toBe('awsvpc');
    const [eni] = task?.attachments ?? [];
    expect(eni?.type).toBe('ElasticNetworkInterface');
    expect(eni?.details?.find((d) => d.name === 'subnetId')?.value).toBe('subnet-pods-a');
  });

  it('with bridge: no network configuration and no ENI of its own', async () => {
    vi.stubEnv(environmentVariables.podNetworking, 'bridge');
    const { task, taskDefinition } = await launch('00000000-0000-4000-8000-000000000012');
    expect(taskDefinition?.networkMode).toBe('bridge');
    expect(task?.attachments ?? []).toEqual([]);
  });

  it("fails the pod with ECS's reason when awsvpc has no subnets to put the ENI in", async () => {
    vi.stubEnv(environmentVariables.podNetworking, 'awsvpc');
    vi.stubEnv(environmentVariables.podNetwork, JSON.stringify({ subnets: [], securityGroups: [] }));
    const result = await runtime.launchPod(pod('00000000-0000-4000-8000-000000000013'), node, 0);
    expect(result).toEqual({
      kind: 'refused',
      reason: expect.stringMatching(/^RunTask: InvalidParameterException: .*[Nn]etwork [Cc]onfiguration/),
    });
  });
});
