import type { HealthStatus, Tag, TaskOverride, TaskStopCode } from '@aws-sdk/client-ecs';
import type { TaskBehaviour } from './behaviour';
import type { ResourceClaim, SimContainerInstance } from './container-instances';
import type { ContainerPortBinding, TaskEni } from './networking';
import type { TimerGroup } from './timers';
import type { Wire } from './wire';

/** The task lifecycle ECS reports in `lastStatus`, in order. */
export type TaskLastStatus =
  | 'PROVISIONING'
  | 'PENDING'
  | 'ACTIVATING'
  | 'RUNNING'
  | 'DEACTIVATING'
  | 'STOPPING'
  | 'DEPROVISIONING'
  | 'STOPPED';

export type ContainerLastStatus = 'PENDING' | 'RUNNING' | 'STOPPED';

export type NetworkMode = 'bridge' | 'host' | 'awsvpc' | 'none';

export interface SimContainer {
  readonly containerArn: string;
  readonly name: string;
  readonly image: string;
  readonly essential: boolean;
  readonly hasHealthCheck: boolean;
  /**
   * A non-essential container others wait for with `dependsOn` SUCCESS or COMPLETE (how the
   * kubelet runs init containers): it runs to completion, exit 0, as the task starts.
   */
  readonly runsToCompletion: boolean;
  readonly cpu: number;
  readonly memory?: number;
  readonly memoryReservation?: number;
  /** `<group>` and `<prefix>/<name>/<task id>` when the container logs with awslogs. */
  readonly logGroup?: string;
  readonly logStreamName?: string;
  /**
   * Bridge and host tasks: each port mapping's binding on the instance, static or dynamic. ECS
   * shows them once the container has started.
   */
  readonly networkBindings: readonly ContainerPortBinding[];
  /** Docker refuses to create the container (e.g. under its 6 MiB memory minimum): the task fails to start. */
  readonly createError?: string;
  runtimeId?: string;
  lastStatus: ContainerLastStatus;
  exitCode?: number;
  reason?: string;
  healthStatus: HealthStatus;
}

export interface SimTask {
  readonly taskArn: string;
  readonly taskId: string;
  readonly clusterArn: string;
  readonly taskDefinitionArn: string;
  readonly containerInstance?: SimContainerInstance;
  readonly launchType: 'EC2' | 'FARGATE';
  readonly capacityProviderName?: string;
  /** CPU units and MiB reserved on the container instance (or the Fargate size). */
  readonly cpu: number;
  readonly memory: number;
  readonly group?: string;
  readonly startedBy?: string;
  readonly tags: Wire<Tag>[];
  readonly overrides: Wire<TaskOverride>;
  readonly availabilityZone: string;
  readonly networkMode: NetworkMode;
  /** An awsvpc task's elastic network interface; bridge, host and none tasks have none. */
  readonly eni?: TaskEni;
  /** What the task took from its container instance (EC2 only), given back when it stops. */
  readonly claim?: ResourceClaim;
  readonly enableExecuteCommand: boolean;
  readonly behaviour: TaskBehaviour;
  readonly timers: TimerGroup;
  readonly containers: SimContainer[];
  lastStatus: TaskLastStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  healthStatus: HealthStatus;
  /** Grows with every change, so consumers can drop stale or repeated events. */
  version: number;
  createdAt: number;
  updatedAt: number;
  connectivityAt?: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  stoppingAt?: number;
  executionStoppedAt?: number;
  stoppedAt?: number;
  stopCode?: TaskStopCode;
  stoppedReason?: string;
}
