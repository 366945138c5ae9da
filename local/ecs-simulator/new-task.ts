import { randomUUID } from 'node:crypto';
import type { ContainerDefinition, ContainerOverride, Tag, TaskOverride } from '@aws-sdk/client-ecs';
import type { Arns } from './arns';
import type { TaskBehaviour } from './behaviour';
import type { ResourceClaim, SimContainerInstance } from './container-instances';
import { invalidParameter } from './errors';
import type { NetworkMode, SimContainer, SimTask } from './model';
import type { ContainerPortBinding, TaskEni } from './networking';
import { parseTaskCpu, parseTaskMemory, type RegisteredTaskDefinition } from './task-definitions';
import type { TimerGroup } from './timers';
import type { Wire } from './wire';

/** A container definition with RunTask's overrides for it applied. */
interface EffectiveContainer {
  readonly definition: Wire<ContainerDefinition>;
  readonly cpu: number;
  readonly memory?: number;
  readonly memoryReservation?: number;
}

export interface TaskSizing {
  readonly containers: readonly EffectiveContainer[];
  /** CPU units and MiB the task takes from its instance. */
  readonly cpu: number;
  readonly memory: number;
}

/**
 * What a task reserves, as ECS counts it: the task-level size when there is one; otherwise the sum
 * over containers of `cpu` and of `memoryReservation` (the soft limit), or `memory` (the hard
 * limit) where no reservation is given.
 */
export function taskSizing(registered: RegisteredTaskDefinition, overrides: Wire<TaskOverride>): TaskSizing {
  const definitions = registered.definition.containerDefinitions;
  const containerOverrides = overrides.containerOverrides ?? [];
  for (const override of containerOverrides) {
    if (!definitions.some((d) => d.name === override.name)) {
      throw invalidParameter(
        `Override for container named ${override.name} is not a container in the TaskDefinition.`,
      );
    }
  }
  const containers = definitions.map((definition): EffectiveContainer => {
    const override: Wire<ContainerOverride> =
      containerOverrides.find((o) => o.name === definition.name) ?? {};
    const memory = override.memory ?? definition.memory;
    const memoryReservation = override.memoryReservation ?? definition.memoryReservation;
    return {
      definition,
      cpu: override.cpu ?? definition.cpu ?? 0,
      ...(memory !== undefined ? { memory } : {}),
      ...(memoryReservation !== undefined ? { memoryReservation } : {}),
    };
  });
  const taskCpu = parseTaskCpu(overrides.cpu) ?? registered.cpu;
  const taskMemory = parseTaskMemory(overrides.memory) ?? registered.memory;
  return {
    containers,
    cpu: taskCpu ?? containers.reduce((sum, c) => sum + c.cpu, 0),
    memory: taskMemory ?? containers.reduce((sum, c) => sum + (c.memoryReservation ?? c.memory ?? 0), 0),
  };
}

/** RunTask's overrides as ECS echoes them: one entry per container, named even when empty. */
export function normalizedOverrides(
  registered: RegisteredTaskDefinition,
  overrides: Wire<TaskOverride>,
): Wire<TaskOverride> {
  return {
    ...overrides,
    containerOverrides: registered.definition.containerDefinitions.map(
      (definition) =>
        overrides.containerOverrides?.find((o) => o.name === definition.name) ?? { name: definition.name },
    ),
    inferenceAcceleratorOverrides: overrides.inferenceAcceleratorOverrides ?? [],
  };
}

export interface NewTask {
  readonly arns: Arns;
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly registered: RegisteredTaskDefinition;
  readonly sizing: TaskSizing;
  readonly overrides: Wire<TaskOverride>;
  readonly launchType: 'EC2' | 'FARGATE';
  readonly capacityProviderName?: string;
  readonly containerInstance?: SimContainerInstance;
  readonly availabilityZone: string;
  readonly networkMode: NetworkMode;
  readonly eni?: TaskEni;
  readonly claim?: ResourceClaim;
  /** Each container's port bindings on the instance (bridge and host), in definition order. */
  readonly portBindings: readonly (readonly ContainerPortBinding[])[];
  readonly group?: string;
  readonly startedBy?: string;
  readonly tags: Wire<Tag>[];
  readonly enableExecuteCommand: boolean;
  readonly behaviour: TaskBehaviour;
  readonly timers: TimerGroup;
  readonly now: number;
}

/** A task in PROVISIONING, version 1, as RunTask creates it. */
export function newTask(spec: NewTask): SimTask {
  const taskId = randomUUID().replaceAll('-', '');
  const definitions = spec.registered.definition.containerDefinitions;
  const awaited = new Set(
    definitions.flatMap((d) =>
      (d.dependsOn ?? [])
        .filter((dependency) => dependency.condition === 'SUCCESS' || dependency.condition === 'COMPLETE')
        .map((dependency) => dependency.containerName),
    ),
  );
  const containers = spec.sizing.containers.map(
    ({ definition, cpu, memory, memoryReservation }, index): SimContainer => {
      const name = definition.name ?? '';
      const essential = definition.essential ?? true;
      const logOptions =
        definition.logConfiguration?.logDriver === 'awslogs'
          ? definition.logConfiguration.options
          : undefined;
      const streamPrefix = logOptions?.['awslogs-stream-prefix'];
      const logGroup = logOptions?.['awslogs-group'];
      return {
        containerArn: spec.arns.container(spec.clusterName, taskId, randomUUID()),
        name,
        image: definition.image ?? '',
        essential,
        hasHealthCheck: definition.healthCheck !== undefined,
        runsToCompletion: !essential && awaited.has(name),
        cpu,
        ...(memory !== undefined ? { memory } : {}),
        ...(memoryReservation !== undefined ? { memoryReservation } : {}),
        ...(logGroup ? { logGroup } : {}),
        ...(streamPrefix ? { logStreamName: `${streamPrefix}/${name}/${taskId}` } : {}),
        networkBindings: spec.portBindings[index] ?? [],
        ...(spec.launchType === 'EC2' ? dockerCreateError(memory, memoryReservation) : {}),
        lastStatus: 'PENDING',
        healthStatus: 'UNKNOWN',
      };
    },
  );
  return {
    taskArn: spec.arns.task(spec.clusterName, taskId),
    taskId,
    clusterArn: spec.clusterArn,
    taskDefinitionArn: spec.registered.definition.taskDefinitionArn,
    ...(spec.containerInstance ? { containerInstance: spec.containerInstance } : {}),
    launchType: spec.launchType,
    ...(spec.capacityProviderName ? { capacityProviderName: spec.capacityProviderName } : {}),
    cpu: spec.sizing.cpu,
    memory: spec.sizing.memory,
    ...(spec.group ? { group: spec.group } : {}),
    ...(spec.startedBy ? { startedBy: spec.startedBy } : {}),
    tags: spec.tags,
    overrides: spec.overrides,
    availabilityZone: spec.availabilityZone,
    networkMode: spec.networkMode,
    ...(spec.eni ? { eni: spec.eni } : {}),
    ...(spec.claim ? { claim: spec.claim } : {}),
    enableExecuteCommand: spec.enableExecuteCommand,
    behaviour: spec.behaviour,
    timers: spec.timers,
    containers,
    lastStatus: 'PROVISIONING',
    desiredStatus: 'RUNNING',
    healthStatus: 'UNKNOWN',
    version: 1,
    createdAt: spec.now,
    updatedAt: spec.now,
  };
}

/** Docker 20.10 and later will not create a container with less than 6 MiB of memory. */
const dockerMinimumMemoryMiB = 6;

/**
 * ECS registers and places a container under Docker's memory minimum; Docker then refuses to
 * create it, and the task stops with CannotCreateContainerError.
 */
function dockerCreateError(
  memory: number | undefined,
  memoryReservation: number | undefined,
): { createError?: string } {
  const daemon = 'CannotCreateContainerError: Error response from daemon:';
  if (memory !== undefined && memory < dockerMinimumMemoryMiB)
    return { createError: `${daemon} Minimum memory limit allowed is 6MB` };
  if (memoryReservation !== undefined && memoryReservation < dockerMinimumMemoryMiB)
    return { createError: `${daemon} Minimum memory reservation allowed is 6MB` };
  return {};
}
