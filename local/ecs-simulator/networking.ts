import { randomBytes, randomUUID } from 'node:crypto';
import type { Attachment, ContainerDefinition, NetworkBinding, NetworkInterface } from '@aws-sdk/client-ecs';
import type { HostPort, PortProtocol, ResourceClaim, ResourceNeeds } from './container-instances';
import type { NetworkMode, SimContainer, SimTask } from './model';
import type { Wire } from './wire';

/**
 * A task's network as ECS reports it. awsvpc tasks (EC2 or Fargate) get an elastic network
 * interface of their own: an `ElasticNetworkInterface` attachment on the task, and its address on
 * every container's `networkInterfaces`. Bridge and host tasks share the instance's address: no
 * attachment, no `networkInterfaces`, and a `networkBindings` entry per port mapping instead.
 */

/** One port mapping of a bridge or host container, bound on the instance. */
export interface ContainerPortBinding {
  readonly bindIP: string;
  readonly containerPort: number;
  readonly hostPort: number;
  readonly protocol: PortProtocol;
}

/** An awsvpc task's ENI. */
export interface TaskEni {
  readonly attachmentId: string;
  readonly networkInterfaceId: string;
  readonly macAddress: string;
  readonly privateDnsName: string;
  readonly privateIpv4Address: string;
  readonly subnetId: string;
}

export function newTaskEni(spec: { subnetId: string; privateIpv4Address: string; region: string }): TaskEni {
  const address = spec.privateIpv4Address;
  // EC2's internal names: ec2.internal in us-east-1, <region>.compute.internal elsewhere.
  const domain = spec.region === 'us-east-1' ? 'ec2.internal' : `${spec.region}.compute.internal`;
  const mac = ['0e', ...[...randomBytes(5)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
  return {
    attachmentId: randomUUID(),
    networkInterfaceId: `eni-${randomBytes(9).toString('hex').slice(0, 17)}`,
    macAddress: mac,
    privateDnsName: `ip-${address.replaceAll('.', '-')}.${domain}`,
    privateIpv4Address: address,
    subnetId: spec.subnetId,
  };
}

/**
 * The ENI attachment's status follows the task: PRECREATED while it is provisioned, ATTACHED from
 * PENDING on, DETACHING while it is deprovisioned, DELETED once it is STOPPED.
 */
export function attachmentStatus(task: SimTask): string {
  switch (task.lastStatus) {
    case 'PROVISIONING':
      return 'PRECREATED';
    case 'DEPROVISIONING':
      return 'DETACHING';
    case 'STOPPED':
      return 'DELETED';
    default:
      return 'ATTACHED';
  }
}

/** The ENI was attached once the task left PROVISIONING (a task stopped before that never had one). */
function eniAttached(task: SimTask): boolean {
  return task.connectivityAt !== undefined;
}

/**
 * The task's attachments. DescribeTasks calls the ENI's type `ElasticNetworkInterface`; the
 * "ECS Task State Change" event calls it `eni`. Until the ENI is attached only its subnet is known.
 */
export function taskAttachments(task: SimTask, type: 'ElasticNetworkInterface' | 'eni'): Wire<Attachment>[] {
  const eni = task.eni;
  if (!eni) return [];
  const details = eniAttached(task)
    ? [
        { name: 'subnetId', value: eni.subnetId },
        { name: 'networkInterfaceId', value: eni.networkInterfaceId },
        { name: 'macAddress', value: eni.macAddress },
        { name: 'privateDnsName', value: eni.privateDnsName },
        { name: 'privateIPv4Address', value: eni.privateIpv4Address },
      ]
    : [{ name: 'subnetId', value: eni.subnetId }];
  return [{ id: eni.attachmentId, type, status: attachmentStatus(task), details }];
}

/** A container's `networkInterfaces`: the task ENI's address once it is attached (awsvpc only). */
export function containerNetworkInterfaces(task: SimTask): Wire<NetworkInterface>[] {
  const eni = task.eni;
  if (!eni || !eniAttached(task)) return [];
  return [{ attachmentId: eni.attachmentId, privateIpv4Address: eni.privateIpv4Address }];
}

/** A container's `networkBindings`, shown once it has started, as ECS shows them. */
export function containerNetworkBindings(container: SimContainer): Wire<NetworkBinding>[] {
  return container.runtimeId === undefined
    ? []
    : container.networkBindings.map((binding) => ({ ...binding }));
}

/** The host ports a task definition's port mappings take on an instance. */
export interface PortPlan {
  readonly staticPorts: readonly HostPort[];
  readonly dynamicPorts: ResourceNeeds['dynamicPorts'];
  /** Each container's bindings, dynamic ports taken in turn from what the instance handed out. */
  bindings(claim: ResourceClaim | undefined): ContainerPortBinding[][];
}

/**
 * Bridge: a mapping with a `hostPort` takes that port (static), one without (or 0) gets one from
 * Docker's ephemeral range (dynamic). Host: the host port is the container port. awsvpc and none
 * take no host port.
 */
export function portPlan(
  definitions: readonly Wire<ContainerDefinition>[],
  networkMode: NetworkMode,
): PortPlan {
  const onHost = networkMode === 'bridge' || networkMode === 'host';
  const mappings = definitions.map((definition) =>
    onHost
      ? (definition.portMappings ?? []).flatMap((mapping) =>
          mapping.containerPort === undefined
            ? []
            : [
                {
                  containerPort: mapping.containerPort,
                  hostPort: networkMode === 'host' ? mapping.containerPort : mapping.hostPort || 0,
                  protocol: mapping.protocol === 'udp' ? ('udp' as const) : ('tcp' as const),
                },
              ],
        )
      : [],
  );
  const all = mappings.flat();
  const staticPorts = new Map<string, HostPort>();
  for (const { hostPort, protocol } of all)
    if (hostPort > 0) staticPorts.set(`${protocol}/${hostPort}`, { port: hostPort, protocol });
  const dynamicCount = (protocol: PortProtocol) =>
    all.filter((m) => m.hostPort === 0 && m.protocol === protocol).length;
  return {
    staticPorts: [...staticPorts.values()],
    dynamicPorts: { tcp: dynamicCount('tcp'), udp: dynamicCount('udp') },
    bindings(claim) {
      const handedOut = { tcp: [] as number[], udp: [] as number[] };
      for (const { port, protocol } of claim?.dynamicPorts ?? []) handedOut[protocol].push(port);
      return mappings.map((container) =>
        container.map(({ containerPort, hostPort, protocol }) => ({
          bindIP: '0.0.0.0',
          containerPort,
          hostPort: hostPort > 0 ? hostPort : (handedOut[protocol].shift() ?? 0),
          protocol,
        })),
      );
    },
  };
}
