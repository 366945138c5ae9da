import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { traced } from '../../commons/tracer';
import { logStreamPrefix } from '../../core/ecs/task-definition';
import type { PodLogs } from '../../core/ports';
import { recorded } from '../call-recorder';
import { podLogGroup } from '../config';

let client: CloudWatchLogsClient | undefined;
const logs = () => {
  client ??= traced(recorded(new CloudWatchLogsClient({})));
  return client;
};

/** GetLogEvents returns at most this many events a call. */
const maxEventsPerPage = 10_000;

/** awslogs names a container's stream `<prefix>/<container>/<task id>`. */
export const logStreamName = (taskArn: string, container: string) =>
  `${logStreamPrefix}/${container}/${taskArn.slice(taskArn.lastIndexOf('/') + 1)}`;

/**
 * Containers' output from the stack's CloudWatch Logs group, where the awslogs driver sends it:
 * one GetLogEvents call per read. What to read and when to stop is the core's (core/logs).
 */
export const cloudWatchPodLogs: PodLogs = {
  async read(taskArn, container, position, startTime) {
    try {
      const out = await logs().send(
        new GetLogEventsCommand({
          logGroupName: podLogGroup(),
          logStreamName: logStreamName(taskArn, container),
          // A tail is read backwards from the end; everything else forwards.
          startFromHead: position.from !== 'tail',
          ...(position.from === 'tail'
            ? { limit: Math.min(Math.max(position.lines, 1), maxEventsPerPage) }
            : {}),
          ...(position.from === 'token' ? { nextToken: position.token } : {}),
          ...(startTime !== undefined ? { startTime } : {}),
        }),
      );
      return {
        events: (out.events ?? []).map((event) => ({
          timestamp: event.timestamp ?? 0,
          message: event.message ?? '',
        })),
        ...(out.nextForwardToken ? { nextToken: out.nextForwardToken } : {}),
      };
    } catch (error) {
      // No stream yet: awslogs creates it when the container starts.
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return { events: [] };
      throw error;
    }
  },
};
