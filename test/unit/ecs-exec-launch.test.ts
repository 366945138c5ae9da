import { DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Node, Pod } from '../../functions/core/k8s';
import { ec2InstanceIdAnnotation } from '../../functions/core/nodes/from-container-instance';
import { environmentVariables } from '../../functions/wiring';
import { type EcsSimulator, startEcsSimulator } from '../../local/ecs-simulator/index';

// With the stack's task role (podplane:ecsExec, on by default), the kubelet's ECS adapter
// registers pod task definitions with that role and starts tasks with execute command enabled,
// so the `aws ecs execute-command` kubectl exec is pointed to reaches them. The ECS simulator
// takes both fields as ECS does. Without the role, neither is sent.

const taskRoleArn = 'arn:aws:iam::000000000000:role/podplane-task';
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
    JSON.stringify({ subnets: ['subnet-local'], securityGroups: ['sg-local'] }),
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
  metadata: { name: `web-${uid}`, namespace: 'default', uid },
  spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
});

async function launched(uid: string) {
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

describe('ECS Exec on pod tasks', () => {
  it('starts tasks with execute command enabled, their definition naming the task role', async () => {
    vi.stubEnv(environmentVariables.taskRole, taskRoleArn);
    const { task, taskDefinition } = await launched('00000000-0000-4000-8000-000000000001');
    expect(task?.enableExecuteCommand).toBe(true);
    expect(taskDefinition?.taskRoleArn).toBe(taskRoleArn);
  });

  it('sends neither when the stack turned ECS Exec off (an empty task role)', async () => {
    vi.stubEnv(environmentVariables.taskRole, '');
    const { task, taskDefinition } = await launched('00000000-0000-4000-8000-000000000002');
    expect(task?.enableExecuteCommand).toBe(false);
    expect(taskDefinition?.taskRoleArn).toBeUndefined();
  });
});
