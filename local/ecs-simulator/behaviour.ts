import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import { parseDurationMs } from './durations';
import type { Wire } from './wire';

/** The kubelet copies pod annotations with this prefix into every container's docker labels. */
export const simulatorLabelPrefix = 'sim.podplane.dev/';

/** How a simulated task behaves; the same for every container of the task, as for a pod. */
export interface TaskBehaviour {
  readonly startDelayMs: number;
  readonly exitAfterMs?: number;
  readonly exitCode: number;
  readonly unhealthyAfterMs?: number;
  readonly imagePullError: boolean;
  readonly logLines: readonly string[];
  /** While running, each container writes `tick 1`, `tick 2`, ... this often, after `logLines`. */
  readonly logEveryMs?: number;
}

/** `log-every` below this is raised to it: a tick a millisecond would only flood the journal. */
const minLogEveryMs = 10;

/**
 * Reads the labels of the first container that has any. A value the simulator cannot read is
 * ignored (the default applies) rather than failing RunTask: a real ECS would not look at it.
 */
export function taskBehaviour(
  containers: readonly Wire<ContainerDefinition>[],
  defaultStartDelayMs: number,
): TaskBehaviour {
  const labels =
    containers
      .map((c) => c.dockerLabels ?? {})
      .find((l) => Object.keys(l).some((key) => key.startsWith(simulatorLabelPrefix))) ?? {};
  const label = (name: string): string | undefined => labels[`${simulatorLabelPrefix}${name}`];
  const exitCode = Number(label('exit-code'));
  const exitAfterMs = parseDurationMs(label('exit-after'));
  const unhealthyAfterMs = parseDurationMs(label('unhealthy-after'));
  const logs = label('logs');
  const logEveryMs = parseDurationMs(label('log-every'));
  return {
    startDelayMs: parseDurationMs(label('start-delay')) ?? defaultStartDelayMs,
    ...(exitAfterMs !== undefined ? { exitAfterMs } : {}),
    exitCode: Number.isInteger(exitCode) && exitCode >= 0 && exitCode <= 255 ? exitCode : 0,
    ...(unhealthyAfterMs !== undefined ? { unhealthyAfterMs } : {}),
    imagePullError: label('image-pull-error')?.trim().toLowerCase() === 'true',
    logLines: logs ? logs.split(/\r?\n/).filter((line, i, all) => line !== '' || i < all.length - 1) : [],
    // 0 means no ticks, as an unreadable value does.
    ...(logEveryMs ? { logEveryMs: Math.max(logEveryMs, minLogEveryMs) } : {}),
  };
}
