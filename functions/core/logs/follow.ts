import { pause } from '../api/pause';
import type { PodLogs, PodRecord, PodStore } from '../ports';
import { ContainerLog } from './container-log';
import { followEnds, taskToFollow } from './follow-ends';
import { LogOutput } from './log-output';

/**
 * How often a follow reads new lines and looks at the pod. CloudWatch Logs serves GetLogEvents
 * at 25 calls a second per account and Region, shared by every follow: one a second each leaves
 * room for many (a DynamoDB read of the pod comes with each).
 */
export const followPollMs = 1000;

export interface FollowDeps {
  readonly pods: PodStore;
  readonly logs: PodLogs;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface LogRequest {
  readonly container: string;
  readonly timestamps: boolean;
  readonly tailLines?: number;
  readonly limitBytes?: number;
  readonly since?: number;
}

/** The lines a container of a task has written so far, as one text (a request without follow). */
export async function readContainerLog(logs: PodLogs, taskArn: string, request: LogRequest): Promise<string> {
  const log = new ContainerLog(logs, taskArn, request.container, request.since);
  const output = new LogOutput(request);
  let text = '';
  for await (const events of log.existing(request.tailLines)) {
    text += output.take(events);
    if (output.full) break;
  }
  return text;
}

/**
 * `kubectl logs -f`: writes the lines there are, then each new one as the container writes it,
 * and returns once the container has stopped and its last lines are written (followEnds), when
 * limitBytes is reached, or at once when `signal` aborts. A pod still waiting for its task is
 * waited for, and followed once it has one.
 */
export async function followContainerLog(
  first: PodRecord,
  request: LogRequest,
  deps: FollowDeps,
  write: (chunk: string) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const namespace = first.pod.metadata?.namespace ?? '';
  const name = first.pod.metadata?.name ?? '';
  const uid = first.pod.metadata?.uid;
  let record: PodRecord | undefined = first;
  let task = taskToFollow(record, uid);
  while (task === 'wait') {
    if (!(await pause(deps.sleep, followPollMs, signal))) return;
    record = await deps.pods.getPod(namespace, name);
    task = taskToFollow(record, uid);
  }
  if (task === 'gone') return;
  const log = new ContainerLog(deps.logs, task, request.container, request.since);
  const output = new LogOutput(request);
  // The pod is read before the log: once it shows the container stopped, the read after it
  // holds the container's last lines.
  let ended = followEnds(record, uid, task, request.container);
  let pages = log.existing(request.tailLines);
  for (;;) {
    for await (const events of pages) {
      const text = output.take(events);
      if (text !== '') await write(text);
      if (output.full || signal.aborted) return;
    }
    if (ended || !(await pause(deps.sleep, followPollMs, signal))) return;
    ended = followEnds(await deps.pods.getPod(namespace, name), uid, task, request.container);
    pages = log.newer();
  }
}
