import type { Container, Task } from '@aws-sdk/client-ecs';
import type { SimContainer, SimTask } from './model';
import { containerNetworkBindings, containerNetworkInterfaces, taskAttachments } from './networking';
import { epochSeconds, type Wire } from './wire';

/** A task as DescribeTasks, RunTask and StopTask return it. Tags only when asked for. */
export function toWireTask(task: SimTask, options: { includeTags: boolean }): Wire<Task> {
  return {
    attachments: taskAttachments(task, 'ElasticNetworkInterface'),
    attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
    availabilityZone: task.availabilityZone,
    ...(task.capacityProviderName ? { capacityProviderName: task.capacityProviderName } : {}),
    clusterArn: task.clusterArn,
    ...(task.connectivityAt !== undefined
      ? { connectivity: 'CONNECTED', connectivityAt: epochSeconds(task.connectivityAt) }
      : {}),
    ...(task.containerInstance ? { containerInstanceArn: task.containerInstance.containerInstanceArn } : {}),
    containers: task.containers.map((container) => toWireContainer(task, container)),
    cpu: String(task.cpu),
    createdAt: epochSeconds(task.createdAt),
    desiredStatus: task.desiredStatus,
    enableExecuteCommand: task.enableExecuteCommand,
    executionStoppedAt: epochSeconds(task.executionStoppedAt),
    ...(task.group ? { group: task.group } : {}),
    healthStatus: task.healthStatus,
    lastStatus: task.lastStatus,
    launchType: task.launchType,
    memory: String(task.memory),
    overrides: task.overrides,
    ...(task.launchType === 'FARGATE' ? { platformVersion: '1.4.0', platformFamily: 'Linux' } : {}),
    pullStartedAt: epochSeconds(task.pullStartedAt),
    pullStoppedAt: epochSeconds(task.pullStoppedAt),
    startedAt: epochSeconds(task.startedAt),
    ...(task.startedBy ? { startedBy: task.startedBy } : {}),
    ...(task.stopCode ? { stopCode: task.stopCode } : {}),
    stoppedAt: epochSeconds(task.stoppedAt),
    ...(task.stoppedReason ? { stoppedReason: task.stoppedReason } : {}),
    stoppingAt: epochSeconds(task.stoppingAt),
    ...(options.includeTags ? { tags: task.tags } : {}),
    taskArn: task.taskArn,
    taskDefinitionArn: task.taskDefinitionArn,
    version: task.version,
  };
}

export function toWireContainer(task: SimTask, container: SimContainer): Wire<Container> {
  return {
    containerArn: container.containerArn,
    taskArn: task.taskArn,
    name: container.name,
    image: container.image,
    ...(container.runtimeId ? { runtimeId: container.runtimeId } : {}),
    lastStatus: container.lastStatus,
    ...(container.exitCode !== undefined ? { exitCode: container.exitCode } : {}),
    ...(container.reason ? { reason: container.reason } : {}),
    networkBindings: containerNetworkBindings(container),
    networkInterfaces: containerNetworkInterfaces(task),
    healthStatus: container.healthStatus,
    cpu: String(container.cpu),
    ...(container.memory !== undefined ? { memory: String(container.memory) } : {}),
    ...(container.memoryReservation !== undefined
      ? { memoryReservation: String(container.memoryReservation) }
      : {}),
  };
}
