import { AwsJsonError, invalidParameter } from '../errors';
import type { LogLine } from '../logs';
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
    const lines = state.logs.read(task.taskId, container.name);
    const inRange = (line: LogLine) =>
      (request.startTime === undefined || line.timestamp >= request.startTime) &&
      (request.endTime === undefined || line.timestamp < request.endTime);
    const { events, start, end } = page(lines, inRange, limit, request);
    return {
      events: events.map((line) => ({ ...line, ingestionTime: line.timestamp })),
      nextForwardToken: `f/${end}`,
      nextBackwardToken: `b/${start}`,
    };
  }),
};

/**
 * One page of a stream, as CloudWatch Logs pages it. A token is a position in the whole stream
 * (not in the lines a time range keeps), so it means the same whatever range the next call asks
 * for. Forwards (from a `f/` token, or the head) the page takes the first `limit` lines in range
 * from there, and its forward token points past the last line it looked at: to the stream's
 * end when it reached it, so the next read returns only lines written later, and a reader at
 * the end gets its own token back. Backwards (a `b/` token, or the tail when not startFromHead)
 * it takes the last `limit` lines in range before there. Lines come oldest first.
 */
function page(
  lines: readonly LogLine[],
  inRange: (line: LogLine) => boolean,
  limit: number,
  request: GetLogEventsRequest,
): { events: LogLine[]; start: number; end: number } {
  const token = /^([fb])\/(\d+)$/.exec(request.nextToken ?? '');
  if (request.nextToken && !token) throw invalidParameter('The specified nextToken is invalid.');
  const forwards = token ? token[1] === 'f' : request.startFromHead === true;
  const position = Math.min(Number(token?.[2] ?? (forwards ? 0 : lines.length)), lines.length);
  const taken: number[] = [];
  if (forwards) {
    for (let i = position; i < lines.length && taken.length < limit; i++)
      if (inRange(lines[i] as LogLine)) taken.push(i);
    const end = taken.length === limit ? (taken.at(-1) ?? position) + 1 : lines.length;
    return { events: taken.map((i) => lines[i] as LogLine), start: taken[0] ?? position, end };
  }
  for (let i = position - 1; i >= 0 && taken.length < limit; i--)
    if (inRange(lines[i] as LogLine)) taken.push(i);
  taken.reverse();
  const start = taken.length === limit ? (taken[0] ?? position) : 0;
  // Read from the tail, the forward token is the stream's end: what comes next is new.
  const end = token ? position : lines.length;
  return { events: taken.map((i) => lines[i] as LogLine), start, end };
}
