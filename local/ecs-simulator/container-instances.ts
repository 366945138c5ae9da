import type { ContainerInstance, Resource } from '@aws-sdk/client-ecs';
import { awsvpcTaskLimit, awsvpcTrunkAttribute } from '../../functions/core/nodes/pod-capacity';
import { type Arns, stableId } from './arns';
import type { SimulatorConfig } from './options';
import { epochSeconds, type Wire } from './wire';

export type PortProtocol = 'tcp' | 'udp';

/** A port on the instance's own address, as a bridge or host task's container binds it. */
export interface HostPort {
  readonly port: number;
  readonly protocol: PortProtocol;
}

/** Host ports of one instance, per protocol. */
type PortSets = Record<PortProtocol, Set<number>>;

/** An EC2 instance registered to the cluster, with the resources ECS tracks for placement. */
export interface SimContainerInstance {
  readonly containerInstanceArn: string;
  readonly id: string;
  readonly ec2InstanceId: string;
  readonly instanceType: string;
  readonly availabilityZone: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly registeredCpu: number;
  readonly registeredMemory: number;
  readonly registeredAt: number;
  /**
   * The awsvpc tasks (one ENI each) the instance can hold; undefined when the instance type is
   * one `pod-capacity`'s table does not know, and then there is no limit.
   */
  readonly awsvpcTaskLimit: number | undefined;
  remainingCpu: number;
  remainingMemory: number;
  /** ENIs attached for awsvpc tasks. */
  taskEnis: number;
  /**
   * Reserved host ports as ECS counts them in `remainingResources`: the agent's defaults and the
   * static `hostPort`s of the tasks placed here, released when a task stops.
   */
  readonly reservedPorts: PortSets;
  /** Ports Docker handed out from its ephemeral range (dynamic mappings); ECS does not list them. */
  readonly dynamicPorts: PortSets;
  /** Where Docker's allocator looks next, per protocol: it hands out ports in turn, wrapping. */
  readonly nextDynamicPort: Record<PortProtocol, number>;
  runningTasksCount: number;
  pendingTasksCount: number;
  /** Bumped on every change, as ECS versions container instances. */
  version: number;
}

/** What one task takes from its instance, so that stopping it gives exactly that back. */
export interface ResourceClaim {
  readonly cpu: number;
  readonly memory: number;
  /** An awsvpc task holds one ENI on the instance. */
  readonly eni: boolean;
  readonly staticPorts: readonly HostPort[];
  /** Dynamic host ports, in the order they were handed out. */
  readonly dynamicPorts: readonly HostPort[];
}

/** What a task needs from an instance before it is placed. */
export interface ResourceNeeds {
  readonly cpu: number;
  readonly memory: number;
  readonly eni: boolean;
  readonly staticPorts: readonly HostPort[];
  /** How many dynamic host ports of each protocol the task's mappings ask Docker for. */
  readonly dynamicPorts: Readonly<Record<PortProtocol, number>>;
}

/**
 * Ports the ECS agent reserves on every Linux instance by default (`ECS_RESERVED_PORTS`: SSH,
 * the Docker API, the agent's introspection and credentials endpoints) and reports in
 * `remainingResources`. `ECS_RESERVED_PORTS_UDP` is empty by default.
 */
export const agentReservedPorts: readonly number[] = [22, 2375, 2376, 51678, 51679];

/** Docker's ephemeral range on the ECS-optimized AMI (`/proc/sys/net/ipv4/ip_local_port_range`). */
export const dynamicPortRange = { first: 32768, last: 60999 } as const;

export function createContainerInstances(
  config: SimulatorConfig,
  arns: Arns,
  now: number,
): SimContainerInstance[] {
  const instanceType = instanceTypeFor(config.nodeCpuUnits / 1024, config.nodeMemoryMiB);
  const taskLimit = awsvpcTaskLimit(instanceType, config.awsvpcTrunking);
  return Array.from({ length: config.nodes }, (_, index) => {
    const id = stableId(config.region, config.accountId, config.clusterName, 'container-instance', index);
    const availabilityZone = config.zones[index % config.zones.length] ?? 'us-east-1a';
    return {
      containerInstanceArn: arns.containerInstance(config.clusterName, id),
      id,
      ec2InstanceId: `i-${(index + 1).toString(16).padStart(16, '0')}`,
      instanceType,
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
        // With awsvpcTrunking on, ECS attaches a trunk ENI to every instance it registers.
        ...(config.awsvpcTrunking
          ? { [awsvpcTrunkAttribute]: `eni-${stableId(id, 'trunk').slice(0, 17)}` }
          : {}),
        // What podplane's instances register as a custom attribute (ECS reports no address).
        'podplane.private-ipv4-address': instanceAddress(index),
      },
      registeredCpu: config.nodeCpuUnits,
      registeredMemory: config.nodeMemoryMiB,
      registeredAt: now,
      awsvpcTaskLimit: taskLimit,
      remainingCpu: config.nodeCpuUnits,
      remainingMemory: config.nodeMemoryMiB,
      taskEnis: 0,
      reservedPorts: { tcp: new Set(agentReservedPorts), udp: new Set() },
      dynamicPorts: { tcp: new Set(), udp: new Set() },
      nextDynamicPort: { tcp: dynamicPortRange.first, udp: dynamicPortRange.first },
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

/** EC2's sizes by vCPUs, for families that have all of them. */
const sizes: Readonly<Record<number, string>> = {
  2: 'large',
  4: 'xlarge',
  8: '2xlarge',
  16: '4xlarge',
  32: '8xlarge',
  48: '12xlarge',
  64: '16xlarge',
  96: '24xlarge',
};

/**
 * A real EC2 instance type for the simulated size (2 GiB per vCPU: compute optimized, 4: general
 * purpose, 8: memory optimized), so node labels and ENI limits are the real ones. c5 has no 8xlarge
 * or 16xlarge (it has 9xlarge and 18xlarge), so those two shapes are c6i's. Other shapes get a
 * descriptive made-up name, which no table knows: no ENI limit applies to them.
 */
export function instanceTypeFor(vcpus: number, memoryMiB: number): string {
  const gibPerVcpu = memoryMiB / 1024 / vcpus;
  const size = sizes[vcpus];
  const family =
    gibPerVcpu === 2 ? (vcpus === 32 || vcpus === 64 ? 'c6i' : 'c5') : { 4: 'm5', 8: 'r5' }[gibPerVcpu];
  return family && size ? `${family}.${size}` : `sim.${vcpus}vcpu-${memoryMiB}mib`;
}

export function toWireContainerInstance(instance: SimContainerInstance): Wire<ContainerInstance> {
  return {
    containerInstanceArn: instance.containerInstanceArn,
    ec2InstanceId: instance.ec2InstanceId,
    version: instance.version,
    versionInfo: { agentVersion: '1.89.0', agentHash: 'podplane', dockerVersion: 'DockerVersion: 25.0.8' },
    remainingResources: resources(instance.remainingCpu, instance.remainingMemory, instance.reservedPorts),
    registeredResources: resources(instance.registeredCpu, instance.registeredMemory, {
      tcp: new Set(agentReservedPorts),
      udp: new Set(),
    }),
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

function resources(cpu: number, memory: number, ports: PortSets): Wire<Resource>[] {
  const stringSet = (set: Set<number>) => [...set].sort((a, b) => a - b).map(String);
  return [
    { name: 'CPU', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: cpu },
    { name: 'MEMORY', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: memory },
    {
      name: 'PORTS',
      type: 'STRINGSET',
      doubleValue: 0,
      longValue: 0,
      integerValue: 0,
      stringSetValue: stringSet(ports.tcp),
    },
    {
      name: 'PORTS_UDP',
      type: 'STRINGSET',
      doubleValue: 0,
      longValue: 0,
      integerValue: 0,
      stringSetValue: stringSet(ports.udp),
    },
  ];
}

/**
 * The first resource the instance is short of for these needs, in ECS's failure words, or
 * undefined when the task fits. The order (CPU, memory, ports, ENI) is the simulator's: ECS does
 * not document which it reports when several are short.
 */
export function shortfall(instance: SimContainerInstance, needs: ResourceNeeds): string | undefined {
  if (instance.remainingCpu < needs.cpu) return 'RESOURCE:CPU';
  if (instance.remainingMemory < needs.memory) return 'RESOURCE:MEMORY';
  if (needs.staticPorts.some(({ port, protocol }) => instance.reservedPorts[protocol].has(port)))
    return 'RESOURCE:PORTS';
  if (needs.eni && instance.awsvpcTaskLimit !== undefined && instance.taskEnis >= instance.awsvpcTaskLimit)
    return 'RESOURCE:ENI';
  return undefined;
}

/** Takes what a placed task needs; Docker's dynamic ports are handed out here, in turn. */
export function reserve(instance: SimContainerInstance, needs: ResourceNeeds): ResourceClaim {
  instance.remainingCpu -= needs.cpu;
  instance.remainingMemory -= needs.memory;
  if (needs.eni) instance.taskEnis += 1;
  for (const { port, protocol } of needs.staticPorts) instance.reservedPorts[protocol].add(port);
  const dynamicPorts: HostPort[] = [];
  for (const protocol of ['tcp', 'udp'] as const) {
    for (let i = 0; i < needs.dynamicPorts[protocol]; i++) {
      const port = nextFreePort(instance, protocol);
      instance.dynamicPorts[protocol].add(port);
      dynamicPorts.push({ port, protocol });
    }
  }
  instance.pendingTasksCount += 1;
  instance.version += 1;
  return {
    cpu: needs.cpu,
    memory: needs.memory,
    eni: needs.eni,
    staticPorts: needs.staticPorts,
    dynamicPorts,
  };
}

/**
 * The next port of the ephemeral range that nothing on the instance holds, after the last one
 * handed out. A full range is beyond what the simulator runs (28 232 ports per protocol).
 */
function nextFreePort(instance: SimContainerInstance, protocol: PortProtocol): number {
  const { first, last } = dynamicPortRange;
  let port = instance.nextDynamicPort[protocol];
  for (let tries = 0; tries <= last - first; tries++) {
    const candidate = port;
    port = port >= last ? first : port + 1;
    if (!instance.dynamicPorts[protocol].has(candidate) && !instance.reservedPorts[protocol].has(candidate)) {
      instance.nextDynamicPort[protocol] = port;
      return candidate;
    }
  }
  throw new Error(`no ${protocol} port left in Docker's ephemeral range on ${instance.ec2InstanceId}`);
}

/**
 * Takes again what a task restored from a data directory holds: its claim as it was handed out
 * (the same dynamic ports), counted as pending or running. An instance's resources are always
 * what its registration leaves after its tasks' claims, so nothing is kept for them apart.
 */
export function reclaim(instance: SimContainerInstance, claim: ResourceClaim, running: boolean): void {
  instance.remainingCpu -= claim.cpu;
  instance.remainingMemory -= claim.memory;
  if (claim.eni) instance.taskEnis += 1;
  for (const { port, protocol } of claim.staticPorts) instance.reservedPorts[protocol].add(port);
  for (const { port, protocol } of claim.dynamicPorts) instance.dynamicPorts[protocol].add(port);
  if (running) instance.runningTasksCount += 1;
  else instance.pendingTasksCount += 1;
}

export function markRunning(instance: SimContainerInstance): void {
  instance.pendingTasksCount -= 1;
  instance.runningTasksCount += 1;
  instance.version += 1;
}

/** Gives back what `reserve` took; `wasRunning` says which count the task was in. */
export function release(instance: SimContainerInstance, claim: ResourceClaim, wasRunning: boolean): void {
  instance.remainingCpu += claim.cpu;
  instance.remainingMemory += claim.memory;
  if (claim.eni) instance.taskEnis -= 1;
  for (const { port, protocol } of claim.staticPorts) instance.reservedPorts[protocol].delete(port);
  for (const { port, protocol } of claim.dynamicPorts) instance.dynamicPorts[protocol].delete(port);
  if (wasRunning) instance.runningTasksCount -= 1;
  else instance.pendingTasksCount -= 1;
  instance.version += 1;
}
