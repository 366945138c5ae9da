/**
 * Plain shapes of the ECS requests and responses the core reasons about. The core stays free of
 * AWS SDK imports; the ECS adapter maps these one-to-one onto @aws-sdk/client-ecs types.
 */

import type { EcsHealthCheck } from './health-check';

export interface KeyValue {
  readonly name: string;
  readonly value: string;
}

export interface ContainerDefinition {
  readonly name: string;
  readonly image: string;
  readonly essential: boolean;
  readonly entryPoint?: string[];
  readonly command?: string[];
  readonly workingDirectory?: string;
  readonly environment?: KeyValue[];
  readonly portMappings?: { containerPort: number; hostPort?: number; protocol: 'tcp' | 'udp' }[];
  readonly cpu?: number;
  readonly memory?: number;
  readonly memoryReservation?: number;
  readonly stopTimeout?: number;
  readonly dependsOn?: { containerName: string; condition: 'SUCCESS' | 'START' | 'COMPLETE' | 'HEALTHY' }[];
  readonly dockerLabels?: Record<string, string>;
  readonly logConfiguration?: { logDriver: 'awslogs'; options: Record<string, string> };
  readonly mountPoints?: { sourceVolume: string; containerPath: string; readOnly: boolean }[];
  readonly privileged?: boolean;
  readonly user?: string;
  readonly readonlyRootFilesystem?: boolean;
  readonly linuxParameters?: { capabilities: { add?: string[]; drop?: string[] } };
  readonly dockerSecurityOptions?: string[];
  readonly healthCheck?: EcsHealthCheck;
  /** /etc/hosts entries (bridge mode only). */
  readonly extraHosts?: { hostname: string; ipAddress: string }[];
  readonly hostname?: string;
  /** stdin and tty, as Docker's -i and -t. */
  readonly interactive?: boolean;
  readonly pseudoTerminal?: boolean;
}

export interface TaskDefinitionInput {
  readonly family: string;
  readonly networkMode: 'bridge' | 'awsvpc';
  readonly requiresCompatibilities: ('EC2' | 'FARGATE')[];
  /** Task-level size, required on Fargate (CPU units and MiB, as strings). */
  readonly cpu?: string;
  readonly memory?: string;
  readonly executionRoleArn?: string;
  /** The role the task's containers run with: what ECS Exec's Session Manager channels need. */
  readonly taskRoleArn?: string;
  /** `task`: the containers share one process namespace (shareProcessNamespace). */
  readonly pidMode?: 'task';
  readonly containerDefinitions: ContainerDefinition[];
  /** emptyDir: no host (Docker-managed, gone with the task); hostPath: a host source path. */
  readonly volumes?: { name: string; host?: { sourcePath: string } }[];
}

export type TaskLastStatus =
  | 'PROVISIONING'
  | 'PENDING'
  | 'ACTIVATING'
  | 'RUNNING'
  | 'DEACTIVATING'
  | 'STOPPING'
  | 'DEPROVISIONING'
  | 'STOPPED';

/** What the status path needs of a task, whether it came from an event or DescribeTasks. */
export interface TaskView {
  readonly taskArn: string;
  readonly lastStatus: TaskLastStatus | string;
  readonly desiredStatus?: string;
  readonly version?: number;
  readonly startedBy?: string;
  /** RunTask's `group`: podplane writes the pod's task generation there (see taskGroup). */
  readonly group?: string;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly createdAt?: string;
  readonly startedAt?: string;
  readonly stoppedAt?: string;
  /** The address of the task's ENI (awsvpc); bridge tasks have none of their own. */
  readonly privateIpv4Address?: string;
  readonly containers: readonly ContainerView[];
}

/** A host port a bridge-mode container's port was published on. */
export interface NetworkBinding {
  readonly containerPort: number;
  readonly hostPort: number;
  readonly protocol: string;
}

/** The part of a task's `attachments` that tells its ENI's address. */
export interface TaskAttachment {
  readonly type?: string;
  readonly details?: readonly { readonly name?: string; readonly value?: string }[];
}

/** The private address of an awsvpc task's ENI, from its attachment's details. */
export function attachmentAddress(attachments: readonly TaskAttachment[] | undefined): string | undefined {
  const eni = attachments?.find((a) => a.type === 'ElasticNetworkInterface' || a.type === 'eni');
  return eni?.details?.find((d) => d.name === 'privateIPv4Address')?.value || undefined;
}

export interface ContainerView {
  readonly name: string;
  readonly lastStatus?: string;
  readonly exitCode?: number;
  readonly reason?: string;
  readonly healthStatus?: string;
  readonly privateIpv4Address?: string;
  readonly networkBindings?: readonly NetworkBinding[];
}
