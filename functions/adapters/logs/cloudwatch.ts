import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  type GetLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { traced } from '../../commons/tracer';
import { logStreamPrefix } from '../../core/ecs/task-definition';
import type { PodLogs } from '../../core/ports';
import { podLogGroup } from '../config';

let client: CloudWatchLogsClient | undefined;
const logs = () => {
  client ??= traced(new CloudWatchLogsClient({}));
  return client;
};

/** awslogs names a container's stream `<prefix>/<container>/<task id>`. */
export const logStreamName = (taskArn: string, container: string) =>
  `${logStreamPrefix}/${container}/${taskArn.slice(taskArn.lastIndexOf('/') + 1)}`;

/** Containers' output from the stack's CloudWatch Logs group, where the awslogs driver sends it. */
export const cloudWatchPodLogs: PodLogs = {
  async read(taskArn, container, { tailLines, limitBytes }) {
    const lines: string[] = [];
    let bytes = 0;
    let nextToken: string | undefined;
    // Without tailLines, read forward until the token stops changing (the end of the stream).
    for (let page = 0; page < 100; page++) {
      let out: GetLogEventsCommandOutput;
      try {
        out = await logs().send(
          new GetLogEventsCommand({
            logGroupName: podLogGroup(),
            logStreamName: logStreamName(taskArn, container),
            startFromHead: tailLines === undefined,
            ...(tailLines !== undefined ? { limit: Math.min(Math.max(tailLines, 1), 10_000) } : {}),
            ...(nextToken ? { nextToken } : {}),
          }),
        );
      } catch (error) {
        // No stream yet: the container has written nothing.
        if (error instanceof Error && error.name === 'ResourceNotFoundException') return '';
        throw error;
      }
      for (const event of out.events ?? []) {
        const line = `${event.message ?? ''}\n`;
        if (limitBytes !== undefined && bytes + Buffer.byteLength(line) > limitBytes) return lines.join('');
        bytes += Buffer.byteLength(line);
        lines.push(line);
      }
      if (
        tailLines !== undefined ||
        !out.nextForwardToken ||
        out.nextForwardToken === nextToken ||
        (out.events ?? []).length === 0
      )
        break;
      nextToken = out.nextForwardToken;
    }
    return tailLines === 0 ? '' : lines.join('');
  },
};
