import type { ContainerInstance, Resource } from '@aws-sdk/client-ecs';
import { type Arns, stableId } from './arns';
import type { SimulatorConfig } from './options';
import { epochSeconds, type Wire } from './wire';

/** An EC2 instance registered to the cluster, with the resources ECS tracks for placement. */
export interface SimContainerInstance {
  readonly containerInstanceArn: string;
  readonly id: string;
  readonly ec2InstanceId: string;
  readonly availabilityZone: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly registeredCpu: number;
  readonly registeredMemory: number;
  readonly registeredAt: number;
  remainingCpu: number;
  remainingMemory: number;
  runningTasksCount: number;
  pendingTasksCount: number;
  /** Bumped on every change, as ECS versions container instances. */
  version: number;
}

// Ports the ECS agent and Docker hold on every instance, as ECS reports them.
const reservedPorts = ['22', '2375', '2376', '51678', '51679'];

export function createContainerInstances(
  config: SimulatorConfig,
  arns: Arns,
  now: number,
): SimContainerInstance[] {
  const instanceType = instanceTypeFor(config.nodeCpuUnits / 1024, config.nodeMemoryMiB);
  return Array.from({ length: config.nodes }, (_, index) => {
    const id = stableId(config.region, config.accountId, config.clusterName, 'container-instance', index);
    const availabilityZone = config.zones[index % config.zones.length] ?? 'us-east-1a';
    return {
      containerInstanceArn: arns.containerInstance(config.clusterName, id),
      id,
      ec2InstanceId: `i-${(index + 1).toString(16).padStart(16, '0')}`,
      availabilityZone,
      attributes: {
        'ecs.availability-zone': availabilityZone,
        'ecs.instance-type': instanceType,
        'ecs.cpu-architecture': 'x86_64',
        'ecs.os-type': 'linux',
        'ecs.ami-id': 'ami-00000000000000000',
        'ecs.capability.task-eni': '',
        'ecs.capability.container-health-check': '',
        'ecs.capability.container-ordering': '',
        'com.amazonaws.ecs.capability.docker-remote-api.1.44': '',
        'com.amazonaws.ecs.capability.logging-driver.awslogs': '',
        // What podplane's instances register as a custom attribute (ECS reports no address).
        'podplane.private-ipv4-address': instanceAddress(index),
      },
      registeredCpu: config.nodeCpuUnits,
      registeredMemory: config.nodeMemoryMiB,
      registeredAt: now,
      remainingCpu: config.nodeCpuUnits,
      remainingMemory: config.nodeMemoryMiB,
      runningTasksCount: 0,
      pendingTasksCount: 0,
      version: 1,
    };
  });
}

/** 172.31.0.1, 172.31.0.2, ...: a default VPC's range, apart from the 10.x addresses tasks get. */
function instanceAddress(index: number): string {
  return `172.31.${Math.floor(index / 254) % 256}.${(index % 254) + 1}`;
}

/**
 * A plausible EC2 instance type for the simulated size (c5 for 2 GiB per vCPU, m5 for 4, r5 for
 * 8), so node labels look like the real thing; other shapes get a descriptive made-up name.
 */
export function instanceTypeFor(vcpus: number, memoryMiB: number): string {
  const families: Record<number, string> = { 2: 'c5', 4: 'm5', 8: 'r5' };
  const sizes: Record<number, string> = {
    2: 'large',
    4: 'xlarge',
    8: '2xlarge',
    16: '4xlarge',
    32: '8xlarge',
    48: '12xlarge',
    64: '16xlarge',
    96: '24xlarge',
  };
  const family = families[memoryMiB / 1024 / vcpus];
  const size = sizes[vcpus];
  return family && size ? `${family}.${size}` : `sim.${vcpus}vcpu-${memoryMiB}mib`;
}

export function toWireContainerInstance(instance: SimContainerInstance): Wire<ContainerInstance> {
  return {
    containerInstanceArn: instance.containerInstanceArn,
    ec2InstanceId: instance.ec2InstanceId,
    version: instance.version,
    versionInfo: { agentVersion: '1.89.0', agentHash: 'podplane', dockerVersion: 'DockerVersion: 25.0.8' },
    remainingResources: resources(instance.remainingCpu, instance.remainingMemory),
    registeredResources: resources(instance.registeredCpu, instance.registeredMemory),
    status: 'ACTIVE',
    agentConnected: true,
    runningTasksCount: instance.runningTasksCount,
    pendingTasksCount: instance.pendingTasksCount,
    attributes: Object.entries(instance.attributes).map(([name, value]) =>
      value === '' ? { name } : { name, value },
    ),
    registeredAt: epochSeconds(instance.registeredAt),
    attachments: [],
    tags: [],
  };
}

function resources(cpu: number, memory: number): Wire<Resource>[] {
  return [
    { name: 'CPU', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: cpu },
    { name: 'MEMORY', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: memory },
    {
      name: 'PORTS',
      type: 'STRINGSET',
      doubleValue: 0,
      longValue: 0,
      integerValue: 0,
      stringSetValue: reservedPorts,
    },
    {
      name: 'PORTS_UDP',
      type: 'STRINGSET',
      doubleValue: 0,
      longValue: 0,
      integerValue: 0,
      stringSetValue: [],
    },
  ];
}

export function reserve(instance: SimContainerInstance, cpu: number, memory: number): void {
  instance.remainingCpu -= cpu;
  instance.remainingMemory -= memory;
  instance.pendingTasksCount += 1;
  instance.version += 1;
}

export function markRunning(instance: SimContainerInstance): void {
  instance.pendingTasksCount -= 1;
  instance.runningTasksCount += 1;
  instance.version += 1;
}

/** Gives back what `reserve` took; `wasRunning` says which count the task was in. */
export function release(
  instance: SimContainerInstance,
  cpu: number,
  memory: number,
  wasRunning: boolean,
): void {
  instance.remainingCpu += cpu;
  instance.remainingMemory += memory;
  if (wasRunning) instance.runningTasksCount -= 1;
  else instance.pendingTasksCount -= 1;
  instance.version += 1;
}
