import type { ContainerDefinition, RegisterTaskDefinitionRequest } from '@aws-sdk/client-ecs';
import { clientException } from './errors';
import type { NetworkMode } from './model';
import type { Wire } from './wire';

/**
 * What RegisterTaskDefinition refuses, with ECS's ClientException wording where it is known (the
 * README's table says which messages are ECS's own and which follow their pattern). Each rule
 * names the documentation it follows; the first broken rule is reported, as ECS reports one.
 */

type Request = Wire<RegisterTaskDefinitionRequest>;
type Container = Wire<ContainerDefinition>;

const networkModes: readonly NetworkMode[] = ['bridge', 'host', 'awsvpc', 'none'];

/** Service quotas: "Containers per task definition: 10", "Task definition size: 64 KiB". */
export const maxContainersPerTaskDefinition = 10;
export const maxTaskDefinitionBytes = 65536;

/** Quotas and the shape of the request as a whole, before anything is parsed. */
export function checkQuotas(request: Request): void {
  if ((request.containerDefinitions?.length ?? 0) > maxContainersPerTaskDefinition) {
    throw clientException('Too many containers.');
  }
  const bytes = Buffer.byteLength(JSON.stringify(request), 'utf8');
  if (bytes > maxTaskDefinitionBytes) {
    throw clientException(
      `Actual length: '${bytes}'. Max allowed length is '${maxTaskDefinitionBytes}' bytes.`,
    );
  }
}

export function networkModeOf(request: Request): NetworkMode {
  const mode = request.networkMode ?? 'bridge';
  if (!networkModes.includes(mode as NetworkMode)) {
    throw clientException(`Invalid networkMode '${mode}'. Valid values are bridge, host, awsvpc and none.`);
  }
  return mode as NetworkMode;
}

/**
 * Task size against its containers: the containers' `cpu` may not add up to more than the
 * task's, nor their reservations (`memoryReservation`, else `memory`) to more than its `memory`.
 * Every container counts, non-essential and init containers too.
 */
export function checkTaskSize(
  containers: readonly Container[],
  cpu: number | undefined,
  memory: number | undefined,
) {
  if (cpu !== undefined && containers.reduce((sum, c) => sum + (c.cpu ?? 0), 0) > cpu) {
    throw clientException(
      "The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'.",
    );
  }
  const reserved = containers.reduce((sum, c) => sum + (c.memoryReservation ?? c.memory ?? 0), 0);
  if (memory !== undefined && reserved > memory) {
    throw clientException(
      "The sum of all container 'memoryReservation' values cannot be greater than the value of the task 'memory'.",
    );
  }
}

/**
 * What the network mode allows. awsvpc gives the task its own address: no hostname, /etc/hosts
 * entries, links, DNS settings or disabled networking of a container's own, and a host port, if
 * given, is the container port. Links need bridge; `none` takes no port mappings; host ports in
 * host mode are the container ports. A container port is exposed for one protocol only.
 */
export function checkNetworkMode(containers: readonly Container[], mode: NetworkMode): void {
  for (const container of containers) {
    if (mode === 'awsvpc') {
      if (container.hostname)
        throw clientException('hostname is not supported on container when networkMode=awsvpc.');
      if (container.extraHosts?.length)
        throw clientException('Extra hosts are not supported on container when networkMode=awsvpc.');
      if (container.dnsServers?.length)
        throw clientException('DNS servers are not supported on container when networkMode=awsvpc.');
      if (container.dnsSearchDomains?.length)
        throw clientException('DNS search domains are not supported on container when networkMode=awsvpc.');
      if (container.disableNetworking)
        throw clientException('disableNetworking is not supported on container when networkMode=awsvpc.');
    }
    if (container.links?.length && mode !== 'bridge') {
      throw clientException(`Links are not supported when networkMode=${mode}.`);
    }
    const mappings = container.portMappings ?? [];
    if (mode === 'none' && mappings.length > 0) {
      throw clientException('Port mappings are not supported when networkMode=none.');
    }
    const protocols = new Map<number, string>();
    for (const mapping of mappings) {
      const { containerPort, hostPort } = mapping;
      if (containerPort === undefined) {
        if (mapping.containerPortRange) continue;
        throw clientException(
          `Invalid port mapping for container '${container.name}'. containerPort is required.`,
        );
      }
      if ((mode === 'awsvpc' || mode === 'host') && hostPort && hostPort !== containerPort) {
        throw clientException(
          `When networkMode=${mode}, the host ports and container ports in port mappings must match.`,
        );
      }
      const protocol = mapping.protocol ?? 'tcp';
      const earlier = protocols.get(containerPort);
      if (earlier !== undefined && earlier !== protocol) {
        throw clientException(
          `Container '${container.name}' exposes port ${containerPort} for more than one protocol, which is not supported.`,
        );
      }
      protocols.set(containerPort, protocol);
    }
  }
}

/** Tasks on Fargate may add no Linux capability but SYS_PTRACE. */
const fargateCapabilities = new Set(['SYS_PTRACE']);

/**
 * The first thing a Fargate task cannot have, as ECS's ClientException says it, or undefined when
 * the definition is valid for Fargate (awsvpc and a Fargate size are checked by the caller).
 */
export function fargateRefusal(request: Request): string | undefined {
  const unsupported = (what: string) => `Fargate compatible task definitions do not support ${what}`;
  if (request.ipcMode) return 'Tasks using the Fargate launch type do not support ipcMode.';
  if (request.pidMode && request.pidMode !== 'task') {
    return `Tasks using the Fargate launch type do not support pidMode '${request.pidMode}'. The supported value for pidMode is 'task'.`;
  }
  if (request.placementConstraints?.length) return unsupported('constraints');
  for (const volume of request.volumes ?? []) {
    if (volume.host?.sourcePath) return unsupported('sourcePath');
    if (volume.dockerVolumeConfiguration) return unsupported('dockerVolumeConfiguration');
  }
  for (const container of request.containerDefinitions ?? []) {
    if (container.privileged) return unsupported('privileged');
    if (container.dockerSecurityOptions?.length) return unsupported('dockerSecurityOptions');
    if (container.links?.length) return unsupported('links');
    if (container.extraHosts?.length) return unsupported('extraHosts');
    if (container.dnsServers?.length) return unsupported('dnsServers');
    if (container.dnsSearchDomains?.length) return unsupported('dnsSearchDomains');
    if (container.disableNetworking) return unsupported('disableNetworking');
    const linux = container.linuxParameters;
    if (linux?.devices?.length) return unsupported('devices');
    if (linux?.sharedMemorySize !== undefined) return unsupported('sharedMemorySize');
    if (linux?.tmpfs?.length) return unsupported('tmpfs');
    if (linux?.maxSwap !== undefined) return unsupported('maxSwap');
    if (linux?.swappiness !== undefined) return unsupported('swappiness');
    const added = (linux?.capabilities?.add ?? []).find((capability) => !fargateCapabilities.has(capability));
    if (added) {
      return `Fargate compatible task definitions only support adding the SYS_PTRACE kernel capability, not ${added}.`;
    }
  }
  return undefined;
}
