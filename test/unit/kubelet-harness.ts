import { taskGroup } from '../../functions/core/ecs/task-definition';
import type { Node, Pod } from '../../functions/core/k8s';
import {
  nodeFromContainerInstance,
  nodeResourcesFromContainerInstance,
  privateIpv4Attribute,
} from '../../functions/core/nodes/from-container-instance';
import type { PodRuntime } from '../../functions/core/ports';
import { storedPod } from '../fixtures';
import { fakeStores, fakeTimers } from './fakes';

/**
 * The kubelet's deps over in-memory stores with one node and a pod `web` bound to it, its
 * launches counted; `running` is the task's RUNNING state as pod-status applies it.
 */

export const now = '2026-11-27T10:05:00Z';
export const taskArn = 'arn:aws:ecs:us-east-1:000000000000:task/podplane/0123456789abcdef';

export const ec2Node = (): {
  node: Node;
  allocatable: ReturnType<typeof nodeResourcesFromContainerInstance>;
} => {
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

export async function setup(placed: {
  node: Node;
  allocatable: { cpuMillis: number; memoryBytes: number; pods: number };
}) {
  const stores = fakeStores();
  await stores.nodes.putNode(placed.node, placed.allocatable);
  const launches: string[] = [];
  const runtime: PodRuntime = {
    launchPod: async (launched) => {
      launches.push(launched.metadata?.name ?? '');
      return { kind: 'launched', taskArn };
    },
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
  return { stores, first, deps, read, running, launches };
}
