import { randomUUID } from 'node:crypto';
import type { TaskOverride } from '@aws-sdk/client-ecs';
import type { EventBridgeEvent } from 'aws-lambda';
import type { SimTask } from './model';
import { containerNetworkBindings, containerNetworkInterfaces, taskAttachments } from './networking';
import { compact, isoTime, type Wire } from './wire';

/** A container in an "ECS Task State Change" event. */
export interface TaskStateChangeContainer {
  containerArn: string;
  name: string;
  image: string;
  lastStatus: string;
  exitCode?: number;
  reason?: string;
  taskArn: string;
  networkInterfaces: { attachmentId?: string; privateIpv4Address?: string }[];
  /** Bridge and host tasks: where each port mapping is bound on the instance. */
  networkBindings: { bindIP?: string; containerPort?: number; hostPort?: number; protocol?: string }[];
  /** ECS does not promise health in events; read it with DescribeTasks. */
  healthStatus?: string;
  runtimeId?: string;
  cpu?: string;
  memory?: string;
  memoryReservation?: string;
}

/**
 * `detail` of an "ECS Task State Change" event. Timestamps are ISO-8601 strings here (the API
 * returns epoch seconds); tags are not part of the event.
 */
export interface TaskStateChangeDetail {
  /** An awsvpc task's ENI, with `type: 'eni'` (DescribeTasks says `ElasticNetworkInterface`). */
  attachments: {
    id?: string;
    type?: string;
    status?: string;
    details?: { name?: string; value?: string }[];
  }[];
  attributes: { name: string; value?: string }[];
  availabilityZone: string;
  capacityProviderName?: string;
  clusterArn: string;
  connectivity?: 'CONNECTED' | 'DISCONNECTED';
  connectivityAt?: string;
  containerInstanceArn?: string;
  containers: TaskStateChangeContainer[];
  cpu: string;
  createdAt: string;
  desiredStatus: string;
  enableExecuteCommand: boolean;
  executionStoppedAt?: string;
  group?: string;
  lastStatus: string;
  launchType: string;
  memory: string;
  overrides: Wire<TaskOverride>;
  platformVersion?: string;
  pullStartedAt?: string;
  pullStoppedAt?: string;
  startedAt?: string;
  startedBy?: string;
  stopCode?: string;
  stoppedAt?: string;
  stoppedReason?: string;
  stoppingAt?: string;
  taskArn: string;
  taskDefinitionArn: string;
  updatedAt: string;
  version: number;
}

export type EcsTaskStateChangeEvent = EventBridgeEvent<'ECS Task State Change', TaskStateChangeDetail>;

/** The event EventBridge would deliver for the task as it is now. */
export function toTaskStateChangeEvent(
  task: SimTask,
  context: { account: string; region: string },
): EcsTaskStateChangeEvent {
  const detail: TaskStateChangeDetail = compact({
    attachments: taskAttachments(task, 'eni'),
    attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
    availabilityZone: task.availabilityZone,
    capacityProviderName: task.capacityProviderName,
    clusterArn: task.clusterArn,
    connectivity: task.connectivityAt !== undefined ? ('CONNECTED' as const) : undefined,
    connectivityAt: isoTime(task.connectivityAt),
    containerInstanceArn: task.containerInstance?.containerInstanceArn,
    containers: task.containers.map((container) =>
      compact({
        containerArn: container.containerArn,
        name: container.name,
        image: container.image,
        lastStatus: container.lastStatus,
        exitCode: container.exitCode,
        reason: container.reason,
        taskArn: task.taskArn,
        networkInterfaces: containerNetworkInterfaces(task),
        networkBindings: containerNetworkBindings(container),
        healthStatus: container.healthStatus,
        runtimeId: container.runtimeId,
        cpu: String(container.cpu),
        memory: container.memory !== undefined ? String(container.memory) : undefined,
        memoryReservation:
          container.memoryReservation !== undefined ? String(container.memoryReservation) : undefined,
      }),
    ),
    cpu: String(task.cpu),
    createdAt: isoTime(task.createdAt),
    desiredStatus: task.desiredStatus,
    enableExecuteCommand: task.enableExecuteCommand,
    executionStoppedAt: isoTime(task.executionStoppedAt),
    group: task.group,
    lastStatus: task.lastStatus,
    launchType: task.launchType,
    memory: String(task.memory),
    overrides: structuredClone(task.overrides),
    platformVersion: task.launchType === 'FARGATE' ? '1.4.0' : undefined,
    pullStartedAt: isoTime(task.pullStartedAt),
    pullStoppedAt: isoTime(task.pullStoppedAt),
    startedAt: isoTime(task.startedAt),
    startedBy: task.startedBy,
    stopCode: task.stopCode,
    stoppedAt: isoTime(task.stoppedAt),
    stoppedReason: task.stoppedReason,
    stoppingAt: isoTime(task.stoppingAt),
    taskArn: task.taskArn,
    taskDefinitionArn: task.taskDefinitionArn,
    updatedAt: isoTime(task.updatedAt),
    version: task.version,
  });
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: context.account,
    time: isoTime(task.updatedAt),
    region: context.region,
    resources: [task.taskArn],
    detail,
  };
}

/**
 * Hands events to the listener after the current turn, so an API response never waits on it,
 * and keeps a throwing (or rejecting) listener from taking the simulator down.
 */
export function eventDelivery(
  listener: ((event: EcsTaskStateChangeEvent) => void) | undefined,
  schedule: (run: () => void) => void,
): (event: EcsTaskStateChangeEvent) => void {
  if (!listener) return () => {};
  const report = (error: unknown) =>
    console.error(
      `[ecs-simulator] onTaskStateChange listener failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  return (event) =>
    schedule(() => {
      try {
        const result: unknown = listener(event);
        if (result instanceof Promise) result.catch(report);
      } catch (error) {
        report(error);
      }
    });
}
