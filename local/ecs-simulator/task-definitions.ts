import type {
  ContainerDefinition,
  RegisterTaskDefinitionRequest,
  Tag,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { Arns } from './arns';
import { noChanges, type SimulatorChanges } from './changes';
import { clientException } from './errors';
import type { NetworkMode } from './model';
import {
  checkNetworkMode,
  checkQuotas,
  checkTaskSize,
  fargateRefusal,
  networkModeOf,
} from './task-definition-rules';
import { epochSeconds, type Wire } from './wire';

/** A revision as ECS keeps it; `definition` is already in its wire shape. */
export interface RegisteredTaskDefinition {
  readonly definition: Wire<TaskDefinition> & {
    family: string;
    revision: number;
    taskDefinitionArn: string;
    containerDefinitions: Wire<ContainerDefinition>[];
  };
  readonly tags: Tag[];
  /** Task-level CPU units and MiB, when the definition sets them. */
  readonly cpu?: number;
  readonly memory?: number;
}

const familyPattern = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * Fargate's fixed CPU/memory pairs: for each CPU size, the allowed memory range and step (MiB).
 * A definition outside them is not Fargate-compatible.
 */
const fargateSizes: Record<number, { min: number; max: number; step: number; extra?: number[] }> = {
  256: { min: 1024, max: 2048, step: 1024, extra: [512] },
  512: { min: 1024, max: 4096, step: 1024 },
  1024: { min: 2048, max: 8192, step: 1024 },
  2048: { min: 4096, max: 16384, step: 1024 },
  4096: { min: 8192, max: 30720, step: 1024 },
  8192: { min: 16384, max: 61440, step: 4096 },
  16384: { min: 32768, max: 122880, step: 8192 },
};

export function isFargateSize(cpu: number | undefined, memory: number | undefined): boolean {
  if (cpu === undefined || memory === undefined) return false;
  const size = fargateSizes[cpu];
  if (!size) return false;
  if (size.extra?.includes(memory)) return true;
  return memory >= size.min && memory <= size.max && (memory - size.min) % size.step === 0;
}

/** Task-level CPU: "1024", "1 vCPU" or "0.25vcpu" -> CPU units. */
export function parseTaskCpu(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(vcpu)?\s*$/i.exec(text);
  if (!match?.[1]) throw clientException(`Invalid 'cpu' setting for task: ${text}`);
  return Math.round(Number(match[1]) * (match[2] ? 1024 : 1));
}

/** Task-level memory: "2048" (MiB) or "2GB" / "2 GB" -> MiB. */
export function parseTaskMemory(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(gb)?\s*$/i.exec(text);
  if (!match?.[1]) throw clientException(`Invalid 'memory' setting for task: ${text}`);
  return Math.round(Number(match[1]) * (match[2] ? 1024 : 1));
}

/**
 * Task definition families and their revisions. Task definitions belong to the account and
 * Region, not to a cluster. Revisions are never reused, even after deregistration.
 */
export class TaskDefinitionRegistry {
  private readonly families = new Map<string, RegisteredTaskDefinition[]>();

  constructor(
    private readonly arns: Arns,
    private readonly now: () => number = Date.now,
    private readonly changes: SimulatorChanges = noChanges,
  ) {}

  /** A family kept in a data directory, back as it was. */
  restore(family: string, revisions: RegisteredTaskDefinition[]): void {
    this.families.set(family, revisions);
  }

  register(request: Wire<RegisterTaskDefinitionRequest>): RegisteredTaskDefinition {
    const family = request.family ?? '';
    if (!familyPattern.test(family)) {
      throw clientException(
        'Family contains invalid characters or is too long: up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.',
      );
    }
    const containers = request.containerDefinitions ?? [];
    if (containers.length === 0) throw clientException('Container list cannot be empty.');
    checkQuotas(request);
    const cpu = parseTaskCpu(request.cpu);
    const memory = parseTaskMemory(request.memory);
    const networkMode = networkModeOf(request);
    validateContainers(containers, memory);
    checkTaskSize(containers, cpu, memory);
    checkNetworkMode(containers, networkMode);
    const requires = request.requiresCompatibilities ?? [];
    // Valid for Fargate too when it is awsvpc, has a Fargate size and nothing Fargate refuses.
    const refusal = fargateRefusal(request);
    const fargateCompatible = networkMode === 'awsvpc' && isFargateSize(cpu, memory) && refusal === undefined;
    if (requires.includes('FARGATE')) {
      if (networkMode !== 'awsvpc') {
        throw clientException('Fargate only supports network mode ‘awsvpc’.');
      }
      if (cpu === undefined)
        throw clientException("Fargate requires that 'cpu' be defined at the task level.");
      if (memory === undefined)
        throw clientException("Fargate requires that 'memory' be defined at the task level.");
      if (!isFargateSize(cpu, memory))
        throw clientException('No Fargate configuration exists for given values.');
      if (refusal) throw clientException(refusal);
    }
    const revisions = this.families.get(family) ?? [];
    const revision = (revisions.at(-1)?.definition.revision ?? 0) + 1;
    const registered: RegisteredTaskDefinition = {
      definition: {
        taskDefinitionArn: this.arns.taskDefinition(family, revision),
        containerDefinitions: containers.map((container) => withContainerDefaults(container, networkMode)),
        family,
        ...(request.taskRoleArn ? { taskRoleArn: request.taskRoleArn } : {}),
        ...(request.executionRoleArn ? { executionRoleArn: request.executionRoleArn } : {}),
        networkMode,
        revision,
        volumes: request.volumes ?? [],
        status: 'ACTIVE',
        requiresAttributes: [],
        placementConstraints: request.placementConstraints ?? [],
        compatibilities: fargateCompatible ? ['EC2', 'FARGATE'] : ['EC2'],
        ...(request.runtimePlatform ? { runtimePlatform: request.runtimePlatform } : {}),
        requiresCompatibilities: requires,
        ...(cpu !== undefined ? { cpu: String(cpu) } : {}),
        ...(memory !== undefined ? { memory: String(memory) } : {}),
        ...(request.pidMode ? { pidMode: request.pidMode } : {}),
        ...(request.ipcMode ? { ipcMode: request.ipcMode } : {}),
        ...(request.ephemeralStorage ? { ephemeralStorage: request.ephemeralStorage } : {}),
        registeredAt: epochSeconds(this.now()),
        registeredBy: `arn:aws:iam::${this.arns.accountId}:root`,
      },
      tags: request.tags ?? [],
      ...(cpu !== undefined ? { cpu } : {}),
      ...(memory !== undefined ? { memory } : {}),
    };
    this.families.set(family, [...revisions, registered]);
    this.changes.familyChanged(family, this.families.get(family) ?? []);
    return registered;
  }

  /**
   * `family` (latest ACTIVE revision), `family:revision` or a full ARN; undefined when there is
   * no such revision.
   */
  find(identifier: string): RegisteredTaskDefinition | undefined {
    const reference = identifier.startsWith('arn:')
      ? (identifier.split('task-definition/')[1] ?? '')
      : identifier;
    const [family = '', revisionText] = reference.split(':');
    const revisions = this.families.get(family) ?? [];
    if (revisionText === undefined) return revisions.findLast((r) => r.definition.status === 'ACTIVE');
    const revision = Number(revisionText);
    return revisions.find((r) => r.definition.revision === revision);
  }

  deregister(identifier: string): RegisteredTaskDefinition {
    if (!identifier.includes(':')) {
      throw clientException(
        'Invalid revision number. A family and revision (family:revision) or full ARN is required.',
      );
    }
    const registered = this.find(identifier);
    if (!registered) throw clientException('The specified task definition does not exist.');
    if (registered.definition.status === 'ACTIVE') {
      registered.definition.status = 'INACTIVE';
      registered.definition.deregisteredAt = epochSeconds(this.now());
      const family = registered.definition.family;
      this.changes.familyChanged(family, this.families.get(family) ?? []);
    }
    return registered;
  }

  /** ARNs sorted by family, then revision, as ListTaskDefinitions returns them. */
  list(filter: { familyPrefix?: string; status?: string; sort?: string }): string[] {
    const status = filter.status ?? 'ACTIVE';
    const arns = [...this.families.keys()]
      .filter((family) => !filter.familyPrefix || family.startsWith(filter.familyPrefix))
      .sort()
      .flatMap((family) => this.families.get(family) ?? [])
      .filter((r) => status === 'ALL' || r.definition.status === status)
      .map((r) => r.definition.taskDefinitionArn);
    return filter.sort === 'DESC' ? arns.reverse() : arns;
  }
}

function validateContainers(containers: Wire<ContainerDefinition>[], taskMemory: number | undefined): void {
  const names = new Set<string>();
  for (const container of containers) {
    const name = container.name ?? '';
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(name)) {
      throw clientException(
        'Container.name should not be null or empty and may only contain letters, numbers, hyphens and underscores.',
      );
    }
    if (names.has(name)) throw clientException(`Duplicate container name: ${name}`);
    names.add(name);
    if (!container.image) throw clientException('Container.image should not be null or empty.');
    if (
      taskMemory === undefined &&
      container.memory === undefined &&
      container.memoryReservation === undefined
    ) {
      throw clientException(
        `Invalid setting for container '${name}'. At least one of 'memory' or 'memoryReservation' must be specified.`,
      );
    }
    if (taskMemory !== undefined && container.memory !== undefined && container.memory > taskMemory) {
      throw clientException(`The 'memory' setting for container '${name}' is greater than for the task.`);
    }
    if (
      container.memory !== undefined &&
      container.memoryReservation !== undefined &&
      container.memoryReservation > container.memory
    ) {
      throw clientException(
        `Invalid setting for container '${name}'. The 'memoryReservation' must be less than or equal to 'memory'.`,
      );
    }
  }
  for (const container of containers) {
    for (const dependency of container.dependsOn ?? []) {
      if (!names.has(dependency.containerName ?? '')) {
        throw clientException(
          `Container '${container.name}' depends on an unknown container '${dependency.containerName}'.`,
        );
      }
    }
  }
}

/**
 * The defaults ECS fills in on registration, so a described definition reads like the real one.
 * Port mappings get their protocol, and their host port: the container port in awsvpc and host
 * mode, 0 (dynamic) for a bridge mapping that names none.
 */
function withContainerDefaults(
  container: Wire<ContainerDefinition>,
  networkMode: NetworkMode,
): Wire<ContainerDefinition> {
  const portMappings = (container.portMappings ?? []).map((mapping) =>
    mapping.containerPort === undefined
      ? mapping
      : {
          ...mapping,
          hostPort:
            networkMode === 'awsvpc' || networkMode === 'host'
              ? mapping.containerPort
              : (mapping.hostPort ?? 0),
          protocol: mapping.protocol ?? 'tcp',
        },
  );
  return {
    cpu: 0,
    essential: true,
    environment: [],
    mountPoints: [],
    volumesFrom: [],
    systemControls: [],
    ...container,
    portMappings,
  };
}
