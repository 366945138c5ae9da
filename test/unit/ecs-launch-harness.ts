import { DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, vi } from 'vitest';
import type { Node, Pod } from '../../functions/core/k8s';
import { ec2InstanceIdAnnotation } from '../../functions/core/nodes/from-container-instance';
import { environmentVariables } from '../../functions/wiring';
import { type EcsSimulator, startEcsSimulator } from '../../local/ecs-simulator/index';

type StartOptions = Parameters<typeof startEcsSimulator>[0];

type Runtime = typeof import('../../functions/adapters/ecs/runtime').ecsPodRuntime;

/**
 * The kubelet's ECS adapter against a one-node ECS simulator, for the enclosing file: the
 * environment the functions read (cluster, log group, the pods' subnets) set up in beforeAll,
 * and `launch` runs a pod and reads back its task and task definition as ECS describes them.
 */
export function useEcsLaunch(
  podNetwork = { subnets: ['subnet-local'], securityGroups: ['sg-local'] },
  /** Sees every ECS call the simulator serves (to count them). */
  operationHook?: StartOptions['operationHook'],
) {
  let sim: EcsSimulator | undefined;
  let ecs: ECSClient | undefined;
  let runtime: Runtime | undefined;
  let node: Node | undefined;
  beforeAll(async () => {
    sim = await startEcsSimulator({
      clusterName: 'podplane',
      nodes: 1,
      nodeCpu: 4,
      nodeMemoryMiB: 8192,
      ...(operationHook ? { operationHook } : {}),
    });
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'podplane');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'podplane');
    vi.stubEnv('AWS_ENDPOINT_URL_ECS', sim.endpoint);
    vi.stubEnv(environmentVariables.cluster, 'podplane');
    vi.stubEnv(environmentVariables.logGroup, '/podplane/pods');
    vi.stubEnv(environmentVariables.podNetwork, JSON.stringify(podNetwork));
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
  const ready = () => {
    if (!runtime || !ecs || !node) throw new Error('the ECS simulator has not started (use it in tests)');
    return { runtime, ecs, node };
  };
  return {
    /** RunTask's answer for the pod on the simulator's one node. */
    launchPod: (pod: Pod) => ready().runtime.launchPod(pod, ready().node, 0),
    /** Launches the pod and reads back its task and task definition. */
    async launch(pod: Pod) {
      const { runtime: adapter, ecs: client, node: target } = ready();
      const result = await adapter.launchPod(pod, target, 0);
      if (result.kind !== 'launched') throw new Error(`not launched: ${JSON.stringify(result)}`);
      const { tasks: [task] = [] } = await client.send(
        new DescribeTasksCommand({ cluster: 'podplane', tasks: [result.taskArn] }),
      );
      const { taskDefinition } = await client.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: task?.taskDefinitionArn }),
      );
      return { task, taskDefinition };
    },
  };
}
