import type { TaskView } from './types';

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
  readonly containers?: readonly {
    readonly name: string;
    readonly lastStatus?: string;
    readonly exitCode?: number;
    readonly reason?: string;
    readonly healthStatus?: string;
    readonly networkInterfaces?: readonly { readonly privateIpv4Address?: string }[];
  }[];
}

export function taskViewFromEvent(detail: TaskStateChangeDetail): TaskView {
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
    containers: (detail.containers ?? []).map((c) => {
      const ip = c.networkInterfaces?.find((n) => n.privateIpv4Address)?.privateIpv4Address;
      return {
        name: c.name,
        ...(c.lastStatus ? { lastStatus: c.lastStatus } : {}),
        ...(c.exitCode !== undefined && c.exitCode !== null ? { exitCode: c.exitCode } : {}),
        ...(c.reason ? { reason: c.reason } : {}),
        ...(c.healthStatus ? { healthStatus: c.healthStatus } : {}),
        ...(ip ? { privateIpv4Address: ip } : {}),
      };
    }),
  };
}
