import { describe, expect, it } from 'vitest';
import { syncPod } from '../../functions/core/controllers/kubelet';
import { applyTaskState } from '../../functions/core/controllers/pod-status';
import { taskGroup } from '../../functions/core/ecs/task-definition';
import type { Node, Pod } from '../../functions/core/k8s';
import { nodeFromFargatePool } from '../../functions/core/nodes/fargate-pool';
import {
  nodeFromContainerInstance,
  nodeResourcesFromContainerInstance,
  privateIpv4Attribute,
} from '../../functions/core/nodes/from-container-instance';
import type { PodRuntime } from '../../functions/core/ports';
import { storedPod } from '../fixtures';
import { fakeStores, fakeTimers } from './fakes';

// status.hostIP is the address of the node the pod runs on, as the kubelet reports it once it
// takes the pod: the container instance's InternalIP. It must land whether the kubelet's own
// write or the task's first event reaches the pod first.

const now = '2026-11-27T10:05:00Z';
const taskArn = 'arn:aws:ecs:us-east-1:000000000000:task/podplane/0123456789abcdef';

const ec2Node = (): { node: Node; allocatable: ReturnType<typeof nodeResourcesFromContainerInstance> } => {
  const instance = {
    containerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/podplane/abc',
    ec2InstanceId: 'i-0000000000000001',
    status: 'ACTIVE',
    agentConnected: true,
    registeredCpuUnits: 4096,
    registeredMemoryMiB: 8192,
    attributes: { 'ecs.availability-zone': 'us-east-1a', [privateIpv4Attribute]: '172.31.0.1' },
  };
  return {
    node: nodeFromContainerInstance(instance, now),
    allocatable: nodeResourcesFromContainerInstance(instance),
  };
};

async function setup(placed: {
  node: Node;
  allocatable: { cpuMillis: number; memoryBytes: number; pods: number };
}) {
  const stores = fakeStores();
  await stores.nodes.putNode(placed.node, placed.allocatable);
  const runtime: PodRuntime = {
    launchPod: async () => ({ kind: 'launched', taskArn }),
    stopPod: async () => 0,
    describeTasks: async () => [],
    listRunningTasks: async () => [],
    listContainerInstances: async () => [],
  };
  const pod = storedPod('web');
  const bound: Pod = {
    ...pod,
    spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName: placed.node.metadata?.name ?? '' },
  };
  const first = stores.pods.seed(bound);
  const deps = {
    pods: stores.pods,
    nodes: stores.nodes,
    events: stores.events,
    runtime,
    timers: fakeTimers(),
    now: () => now,
  };
  const read = async () => (await stores.pods.getPod('default', 'web'))?.pod.status;
  const running = (ip: string) => ({
    taskArn,
    startedBy: bound.metadata?.uid ?? '',
    group: taskGroup(0),
    lastStatus: 'RUNNING',
    version: 2,
    startedAt: now,
    containers: [{ name: 'app', lastStatus: 'RUNNING', privateIpv4Address: ip }],
  });
  return { first, deps, read, running };
}

describe('the kubelet reports status.hostIP', () => {
  it("as the node's InternalIP when it launches the pod's task", async () => {
    const { first, deps, read } = await setup(ec2Node());
    await syncPod(first, deps);
    expect(await read()).toMatchObject({
      hostIP: '172.31.0.1',
      hostIPs: [{ ip: '172.31.0.1' }],
      containerStatuses: [{ state: { waiting: { reason: 'ContainerCreating' } } }],
    });
  });

  it("even when the task's first event wrote the pod's status before the kubelet did", async () => {
    const { first, deps, read, running } = await setup(ec2Node());
    expect(await applyTaskState(running('10.0.0.9'), deps)).toBe('applied');
    await syncPod(first, deps);
    expect(await read()).toMatchObject({ phase: 'Running', podIP: '10.0.0.9', hostIP: '172.31.0.1' });
    // Later events keep the node's address.
    await applyTaskState({ ...running('10.0.0.9'), version: 3, desiredStatus: 'RUNNING' }, deps);
    expect((await read())?.hostIPs).toEqual([{ ip: '172.31.0.1' }]);
  });

  it("on Fargate, whose virtual node has no address, as the task's own address", async () => {
    const fargate = nodeFromFargatePool(
      {
        name: 'fargate-us-east-1a',
        zone: 'us-east-1a',
        cpu: '64',
        memory: '256Gi',
        pods: 100,
        capacityProvider: 'FARGATE',
        subnets: ['subnet-1'],
        securityGroups: ['sg-1'],
        assignPublicIp: false,
      },
      now,
    );
    const { first, deps, read, running } = await setup(fargate);
    await syncPod(first, deps);
    expect(await read()).not.toHaveProperty('hostIP');
    await applyTaskState(running('10.0.3.4'), deps);
    expect(await read()).toMatchObject({
      podIP: '10.0.3.4',
      hostIP: '10.0.3.4',
      hostIPs: [{ ip: '10.0.3.4' }],
    });
  });
});
