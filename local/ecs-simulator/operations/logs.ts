import { AwsJsonError, invalidParameter } from '../errors';
import type { Operation } from './operation';
import { operation } from './operation';

/** GetLogEvents' request, as CloudWatch Logs takes it (timestamps in epoch milliseconds). */
interface GetLogEventsRequest {
  logGroupName?: string;
  logGroupIdentifier?: string;
  logStreamName?: string;
  startTime?: number;
  endTime?: number;
  nextToken?: string;
  limit?: number;
  startFromHead?: boolean;
}

const logStreamNotFound = () =>
  new AwsJsonError('ResourceNotFoundException', 'The specified log stream does not exist.');

/**
 * The part of CloudWatch Logs that reads a container's awslogs stream
 * (`<prefix>/<container>/<task id>`), so `kubectl logs` can work against the simulator alone.
 */
export const logsOperations: Record<string, Operation> = {
  GetLogEvents: operation<GetLogEventsRequest>((state, request) => {
    const streamName = request.logStreamName ?? '';
    const groupName =
      request.logGroupName ??
      request.logGroupIdentifier?.split(':log-group:')[1] ??
      request.logGroupIdentifier;
    const taskId = streamName.split('/').at(-1) ?? '';
    const task = state.tasks.find(taskId);
    const container = task?.containers.find(
      (c) => c.logStreamName === streamName && (groupName === undefined || c.logGroup === groupName),
    );
    if (!task || !container) throw logStreamNotFound();
    const limit = request.limit ?? 10_000;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw invalidParameter('limit must be between 1 and 10000.');
    }
    const lines = state.logs
      .read(task.taskId, container.name)
      .filter(
        (line) =>
          (request.startTime === undefined || line.timestamp >= request.startTime) &&
          (request.endTime === undefined || line.timestamp < request.endTime),
      );
    const [start, end] = window(lines.length, limit, request);
    return {
      events: lines.slice(start, end).map((line) => ({ ...line, ingestionTime: line.timestamp })),
      // As in CloudWatch Logs, a reader at the end gets the same forward token back.
      nextForwardToken: `f/${end}`,
      nextBackwardToken: `b/${start}`,
    };
  }),
};

/** Which slice of the stream a page covers: from a token, else the head or the tail. */
function window(length: number, limit: number, request: GetLogEventsRequest): [number, number] {
  const token = /^([fb])\/(\d+)$/.exec(request.nextToken ?? '');
  if (request.nextToken && !token) throw invalidParameter('The specified nextToken is invalid.');
  const position = Math.min(Number(token?.[2] ?? 0), length);
  if (token?.[1] === 'f') return [position, Math.min(position + limit, length)];
  if (token?.[1] === 'b') return [Math.max(0, position - limit), position];
  return request.startFromHead ? [0, Math.min(limit, length)] : [Math.max(0, length - limit), length];
}
