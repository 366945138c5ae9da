import { attachmentAddress, type NetworkBinding, type TaskAttachment, type TaskView } from './types';

/** The fields of an "ECS Task State Change" event's detail that the status path reads. */
export interface TaskStateChangeDetail {
  readonly taskArn: string;
  readonly lastStatus: string;
  readonly desiredStatus?: string;
  readonly version?: number;
  readonly startedBy?: string;
  readonly group?: string;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly createdAt?: string;
  readonly startedAt?: string;
  readonly stoppedAt?: string;
  readonly attachments?: readonly TaskAttachment[];
  readonly containers?: readonly {
    readonly name: string;
    readonly lastStatus?: string;
    readonly exitCode?: number;
    readonly reason?: string;
    readonly healthStatus?: string;
    readonly networkInterfaces?: readonly { readonly privateIpv4Address?: string }[];
    readonly networkBindings?: readonly {
      readonly containerPort?: number;
      readonly hostPort?: number;
      readonly protocol?: string;
    }[];
  }[];
}

export function taskViewFromEvent(detail: TaskStateChangeDetail): TaskView {
  const address = attachmentAddress(detail.attachments);
  return {
    taskArn: detail.taskArn,
    lastStatus: detail.lastStatus,
    ...(detail.desiredStatus ? { desiredStatus: detail.desiredStatus } : {}),
    ...(detail.version !== undefined ? { version: detail.version } : {}),
    ...(detail.startedBy ? { startedBy: detail.startedBy } : {}),
    ...(detail.group ? { group: detail.group } : {}),
    ...(detail.stopCode ? { stopCode: detail.stopCode } : {}),
    ...(detail.stoppedReason ? { stoppedReason: detail.stoppedReason } : {}),
    ...(detail.createdAt ? { createdAt: detail.createdAt } : {}),
    ...(detail.startedAt ? { startedAt: detail.startedAt } : {}),
    ...(detail.stoppedAt ? { stoppedAt: detail.stoppedAt } : {}),
    ...(address ? { privateIpv4Address: address } : {}),
    containers: (detail.containers ?? []).map((c) => {
      const ip = c.networkInterfaces?.find((n) => n.privateIpv4Address)?.privateIpv4Address;
      const bindings = networkBindingsOf(c.networkBindings);
      return {
        name: c.name,
        ...(c.lastStatus ? { lastStatus: c.lastStatus } : {}),
        ...(c.exitCode !== undefined && c.exitCode !== null ? { exitCode: c.exitCode } : {}),
        ...(c.reason ? { reason: c.reason } : {}),
        ...(c.healthStatus ? { healthStatus: c.healthStatus } : {}),
        ...(ip ? { privateIpv4Address: ip } : {}),
        ...(bindings.length > 0 ? { networkBindings: bindings } : {}),
      };
    }),
  };
}

/** Bindings with both ports known (ECS fills the host port in once the container runs). */
export function networkBindingsOf(
  bindings:
    | readonly { readonly containerPort?: number; readonly hostPort?: number; readonly protocol?: string }[]
    | undefined,
): NetworkBinding[] {
  return (bindings ?? []).flatMap((b) =>
    b.containerPort !== undefined && b.hostPort !== undefined && b.hostPort > 0
      ? [{ containerPort: b.containerPort, hostPort: b.hostPort, protocol: b.protocol ?? 'tcp' }]
      : [],
  );
}
