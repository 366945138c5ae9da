import type { PodNetworking } from '../ecs/task-definition';
import type { Node } from '../k8s';
import type { NodeResources } from '../scheduler/framework';
import { awsvpcTaskLimit, awsvpcTrunkAttribute } from './pod-capacity';

/** The parts of an ECS container instance that make a node. */
export interface ContainerInstanceView {
  readonly containerInstanceArn: string;
  readonly ec2InstanceId: string;
  readonly status: string;
  readonly agentConnected: boolean;
  readonly registeredCpuUnits: number;
  readonly registeredMemoryMiB: number;
  readonly attributes: Readonly<Record<string, string>>;
  readonly registeredAt?: string;
}

/**
 * Kubernetes' default pod limit per node: what a node holds with bridge networking (where ECS has
 * no lower limit), and with awsvpc on an instance type the network limits table does not know.
 */
export const defaultMaxPods = 110;

export const containerInstanceArnAnnotation = 'podplane.dev/container-instance-arn';
/** `ec2` for container instances, `fargate` for Fargate pools. */
export const capacityAnnotation = 'podplane.dev/capacity';
export const ec2InstanceIdAnnotation = 'podplane.dev/ec2-instance-id';
/**
 * The container instance attribute that holds the instance's private IPv4 address. ECS does not
 * report an instance's address, so the instance sets this custom attribute when its agent
 * registers (`ECS_INSTANCE_ATTRIBUTES` in /etc/ecs/ecs.config); the ECS simulator sets it too.
 */
export const privateIpv4Attribute = 'podplane.private-ipv4-address';

const archLabel: Record<string, string> = { x86_64: 'amd64', arm64: 'arm64' };

/**
 * A node named after its EC2 instance id (a valid DNS label), labelled with the well-known
 * topology labels the scheduler and users select on.
 */
export function nodeFromContainerInstance(
  instance: ContainerInstanceView,
  now: string,
  networking: PodNetworking = 'awsvpc',
): Node {
  const allocatable = nodeResourcesFromContainerInstance(instance, networking);
  const zone = instance.attributes['ecs.availability-zone'];
  const instanceType = instance.attributes['ecs.instance-type'];
  const arch = archLabel[instance.attributes['ecs.cpu-architecture'] ?? 'x86_64'] ?? 'amd64';
  const os = instance.attributes['ecs.os-type'] ?? 'linux';
  const address = instance.attributes[privateIpv4Attribute];
  // Draining cordons a node (spec.unschedulable) without making it NotReady, as in Kubernetes.
  const ready = instance.agentConnected && (instance.status === 'ACTIVE' || instance.status === 'DRAINING');
  const quantities = {
    cpu: `${allocatable.cpuMillis}m`,
    memory: `${instance.registeredMemoryMiB}Mi`,
    pods: String(allocatable.pods),
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: instance.ec2InstanceId,
      labels: {
        'kubernetes.io/hostname': instance.ec2InstanceId,
        'kubernetes.io/os': os,
        'kubernetes.io/arch': arch,
        ...(zone ? { 'topology.kubernetes.io/zone': zone } : {}),
        ...(instanceType ? { 'node.kubernetes.io/instance-type': instanceType } : {}),
      },
      annotations: {
        [containerInstanceArnAnnotation]: instance.containerInstanceArn,
        [ec2InstanceIdAnnotation]: instance.ec2InstanceId,
        [capacityAnnotation]: 'ec2',
      },
      ...(instance.registeredAt ? { creationTimestamp: instance.registeredAt } : {}),
    },
    spec: {
      providerID: `aws:///${zone ?? ''}/${instance.ec2InstanceId}`,
      // A draining container instance takes no new tasks: the node is cordoned.
      ...(instance.status === 'DRAINING' ? { unschedulable: true } : {}),
    },
    status: {
      capacity: quantities,
      allocatable: quantities,
      // The address pods on this node report as status.hostIP.
      ...(address ? { addresses: [{ type: 'InternalIP', address }] } : {}),
      conditions: [
        {
          type: 'Ready',
          status: ready ? 'True' : 'False',
          reason: ready ? 'KubeletReady' : 'ContainerInstanceNotReady',
          message: ready
            ? 'ECS agent is connected'
            : `ECS container instance is ${instance.status}, agent connected: ${instance.agentConnected}`,
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
      nodeInfo: {
        architecture: arch,
        operatingSystem: os,
        kubeletVersion: 'podplane',
        kubeProxyVersion: '',
        containerRuntimeVersion: 'ecs',
        kernelVersion: '',
        osImage: '',
        machineID: instance.ec2InstanceId,
        systemUUID: instance.ec2InstanceId,
        bootID: '',
      },
    },
  };
}

/** The node's InternalIP: a pod's status.hostIP. Fargate's virtual nodes have none. */
export const nodeInternalIP = (node: Node): string | undefined =>
  node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;

/**
 * ECS registers CPU in units of 1/1024 vCPU and memory in MiB. Pods: with awsvpc, as many as the
 * instance has network interfaces for (trunking raises it), as EKS sets max-pods from ENIs.
 */
export function nodeResourcesFromContainerInstance(
  instance: ContainerInstanceView,
  networking: PodNetworking = 'awsvpc',
): NodeResources {
  return {
    cpuMillis: Math.floor((instance.registeredCpuUnits * 1000) / 1024),
    memoryBytes: instance.registeredMemoryMiB * 2 ** 20,
    pods: maxPods(instance, networking),
  };
}

function maxPods(instance: ContainerInstanceView, networking: PodNetworking): number {
  if (networking === 'bridge') return defaultMaxPods;
  const instanceType = instance.attributes['ecs.instance-type'] ?? '';
  const trunking = instance.attributes[awsvpcTrunkAttribute] !== undefined;
  return awsvpcTaskLimit(instanceType, trunking) ?? defaultMaxPods;
}
