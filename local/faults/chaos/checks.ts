import type { Task } from '@aws-sdk/client-ecs';
import type { Event } from '../../../functions/core/events';
import type { Pod } from '../../../functions/core/k8s';
import type { PodRecord } from '../../../functions/core/ports';
import type { PodHistory } from './observer';
import { chaosFinalizer, type Expectation, type PlannedPod } from './plan';

/** A pod the churn created (or tried to), as the driver knows it. */
export interface TrackedPod {
  readonly plan: PlannedPod;
  readonly createdAt: number;
  uid?: string;
  /** The POST never succeeded, even after its retries. */
  createFailed?: string;
  /** The DELETE was answered (200, or 404 for a pod already gone). */
  deleted?: boolean;
  /** Its finalizer was removed after the delete (the PATCH was answered). */
  released?: boolean;
  /**
   * How its eviction was answered: allowed (201; or 404 to a retry, the first answer lost), which
   * counts as its delete, or refused (429, the guard budget).
   */
  eviction?: 'allowed' | 'refused';
  /** What a refused eviction changed, read right after the refusal (checks.ts refusalMismatch). */
  refusalChanged?: string;
}

/** A pod item as the checks read it straight from DynamoDB Local (tombstones included). */
export interface StoredPod {
  readonly record: PodRecord;
  readonly deleted: boolean;
}

/** A node item's counters. */
export interface StoredNode {
  readonly name: string;
  readonly used: { readonly cpu: number; readonly mem: number; readonly pods: number };
}

/** What the restart policy makes of a pod whose task vanished (ContainerStatusUnknown, 137). */
export function expectationOf(pod: TrackedPod, taskVanished: boolean): Expectation {
  if (pod.deleted) return pod.plan.manifest.metadata?.finalizers?.length && !pod.released ? 'held' : 'gone';
  if (taskVanished && pod.plan.restartPolicy === 'Never') return 'failed';
  return pod.plan.expect;
}

/**
 * Why `pod` (from the API; undefined when it does not exist) is not in the state its spec
 * implies, or undefined when it is.
 */
export function mismatch(
  tracked: TrackedPod,
  pod: Pod | undefined,
  taskVanished: boolean,
): string | undefined {
  const expect = expectationOf(tracked, taskVanished);
  const name = tracked.plan.name;
  if (expect === 'gone')
    return pod
      ? `${name}: ${tracked.eviction === 'allowed' ? 'evicted (201)' : 'deleted'}, but still there (${describePod(pod)})`
      : undefined;
  if (!pod) return `${name}: expected ${expect}, but the pod is gone`;
  if (expect === 'held') return heldMismatch(name, pod);
  const phase = pod.status?.phase;
  const statuses = pod.status?.containerStatuses ?? [];
  const wrong = (what: string) => `${name}: expected ${what}, got ${describePod(pod)}`;
  switch (expect) {
    case 'running':
      return phase === 'Running' && statuses.length > 0 && statuses.every((c) => c.state?.running && c.ready)
        ? undefined
        : wrong('Running and ready');
    case 'restarting':
      return (phase === 'Running' || phase === 'Pending') &&
        statuses.length > 0 &&
        statuses.every((c) => c.restartCount >= 1)
        ? undefined
        : wrong('restarting (not finished, restartCount >= 1)');
    case 'succeeded':
      return phase === 'Succeeded' &&
        statuses.length > 0 &&
        statuses.every(
          (c) => c.state?.terminated?.exitCode === 0 && c.state.terminated.reason === 'Completed',
        )
        ? undefined
        : wrong('Succeeded (terminated Completed, exit 0)');
    case 'failed': {
      const [code, reason] = taskVanished
        ? [137, 'ContainerStatusUnknown']
        : [tracked.plan.exitCode, 'Error'];
      return phase === 'Failed' &&
        statuses.length > 0 &&
        statuses.every(
          (c) => c.state?.terminated?.exitCode === code && c.state?.terminated?.reason === reason,
        )
        ? undefined
        : wrong(`Failed (terminated ${reason}, exit ${code})`);
    }
    case 'unschedulable': {
      const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      return phase === 'Pending' &&
        !pod.spec?.nodeName &&
        scheduled?.status === 'False' &&
        scheduled.reason === 'Unschedulable' &&
        /^0\/\d+ nodes are available: .*Insufficient cpu/.test(scheduled.message ?? '')
        ? undefined
        : wrong('Pending, Unschedulable for Insufficient cpu');
    }
  }
}

/**
 * Why `pod` (read right after an eviction of it was refused with 429) shows that the refusal
 * changed something, or undefined when it did not: the same pod, not being deleted, and still
 * running if it runs until deleted (one that finishes on its own may have finished meanwhile).
 */
export function refusalMismatch(tracked: TrackedPod, pod: Pod | undefined): string | undefined {
  const name = tracked.plan.name;
  const refused = `${name}: its eviction was refused (429)`;
  if (!pod) return `${refused}, but the pod is gone`;
  if (pod.metadata?.uid !== tracked.uid) return `${refused}, but the pod was replaced`;
  if (pod.metadata?.deletionTimestamp) return `${refused}, but it is being deleted (${describePod(pod)})`;
  const phase = pod.status?.phase ?? '';
  // As mismatch() takes them: a crash loop may be Pending between its tasks.
  const stillRuns =
    tracked.plan.expect === 'running'
      ? phase === 'Running'
      : tracked.plan.expect !== 'restarting' || phase === 'Running' || phase === 'Pending';
  return stillRuns ? undefined : `${refused}, but it no longer runs (${describePod(pod)})`;
}

/** A pod its finalizer holds after its delete: Terminating, and nothing of it runs any longer. */
function heldMismatch(name: string, pod: Pod): string | undefined {
  const metadata = pod.metadata;
  const phase = pod.status?.phase;
  const ended = pod.spec?.nodeName
    ? (phase === 'Succeeded' || phase === 'Failed') && metadata?.deletionGracePeriodSeconds === 0
    : phase === 'Pending';
  return metadata?.deletionTimestamp && metadata.finalizers?.includes(chaosFinalizer) && ended
    ? undefined
    : `${name}: expected held by its finalizer with its containers ended, got ${describePod(pod)}`;
}

export function describePod(pod: Pod): string {
  const status = pod.status;
  const containers = (status?.containerStatuses ?? []).map((c) => {
    const state = c.state?.running
      ? 'running'
      : c.state?.waiting
        ? `waiting ${c.state.waiting.reason}`
        : c.state?.terminated
          ? `terminated ${c.state.terminated.reason} ${c.state.terminated.exitCode}`
          : 'no state';
    return `${c.name} ${state} ready=${c.ready} restarts=${c.restartCount}`;
  });
  return [
    status?.phase ?? 'no phase',
    status?.reason,
    pod.metadata?.deletionTimestamp ? 'Terminating' : undefined,
    pod.spec?.nodeName ? `on ${pod.spec.nodeName}` : 'unbound',
    ...containers,
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * At most one live task per pod, and none without a pod: each live task must be the task its
 * pod's item names (a task of a deleted pod, or of a generation the pod has left, is an orphan).
 * A pod being deleted runs none either, finalizers or not: its deletion stopped its task.
 */
export function checkTasks(tasks: readonly Task[], pods: readonly StoredPod[]): string[] {
  const violations: string[] = [];
  const byUid = new Map(
    pods.filter((p) => !p.deleted).map((p) => [p.record.pod.metadata?.uid ?? '', p.record] as const),
  );
  const seen = new Map<string, string[]>();
  for (const task of tasks) {
    const uid = task.startedBy ?? '';
    seen.set(uid, [...(seen.get(uid) ?? []), task.taskArn ?? '']);
    const record = byUid.get(uid);
    if (!record)
      violations.push(`task ${task.taskArn} (${task.lastStatus}) runs for pod uid ${uid}, which is gone`);
    else if (record.pod.metadata?.deletionTimestamp)
      violations.push(
        `task ${task.taskArn} (${task.lastStatus}) runs for pod ${record.pod.metadata.name}, which is being deleted${record.pod.metadata.finalizers?.length ? ' (its finalizers hold it)' : ''}`,
      );
    else if (record.taskArn !== task.taskArn)
      violations.push(
        `task ${task.taskArn} (${task.lastStatus}) runs for pod ${record.pod.metadata?.name}, whose task is ${record.taskArn ?? 'none'}`,
      );
  }
  for (const [uid, arns] of seen)
    if (arns.length > 1) violations.push(`pod uid ${uid} has ${arns.length} live tasks: ${arns.join(' ')}`);
  return violations;
}

/**
 * Each node's used counters equal what the pods bound to it hold: the requests recorded at
 * binding, for every pod that is neither deleted nor released. A finished pod still holding its
 * capacity is a leak even when the sums agree.
 */
export function checkCapacity(nodes: readonly StoredNode[], pods: readonly StoredPod[]): string[] {
  const violations: string[] = [];
  const held = new Map<string, { cpu: number; mem: number; pods: number }>();
  for (const { record, deleted } of pods) {
    const nodeName = record.pod.spec?.nodeName;
    const requests = record.boundRequests;
    if (deleted || !nodeName || !requests) continue;
    if (record.stage === 'done' && !record.released)
      violations.push(
        `pod ${record.pod.metadata?.name} has finished but still holds its capacity on ${nodeName}`,
      );
    if (record.released) continue;
    const sum = held.get(nodeName) ?? { cpu: 0, mem: 0, pods: 0 };
    held.set(nodeName, {
      cpu: sum.cpu + requests.cpuMillis,
      mem: sum.mem + requests.memoryBytes,
      pods: sum.pods + 1,
    });
  }
  for (const node of nodes) {
    const expected = held.get(node.name) ?? { cpu: 0, mem: 0, pods: 0 };
    const { used } = node;
    if (used.cpu !== expected.cpu || used.mem !== expected.mem || used.pods !== expected.pods)
      violations.push(
        `node ${node.name}: used cpu ${used.cpu}m, memory ${used.mem}, pods ${used.pods}; its pods hold cpu ${expected.cpu}m, memory ${expected.mem}, pods ${expected.pods}`,
      );
  }
  return violations;
}

/**
 * Each pod's lifecycle events once, as the API lists them: Scheduled once per binding (a pod ECS
 * could not place is unbound with a FailedScheduling from the kubelet and may be bound again),
 * Started once per task that started (restartCount + 1 at most), no event listed twice; and
 * present: Scheduled for every pod that was bound, Started for every pod seen running.
 */
export function checkEvents(events: readonly Event[], histories: ReadonlyMap<string, PodHistory>): string[] {
  const violations: string[] = [];
  const byPod = new Map<string, Map<string, number>>();
  const listed = new Map<string, number>();
  for (const event of events) {
    const uid = event.involvedObject?.uid ?? '';
    const reasons = byPod.get(uid) ?? new Map<string, number>();
    const key = `${event.reason}|${event.involvedObject?.fieldPath ?? ''}|${event.source?.component ?? ''}`;
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
    byPod.set(uid, reasons);
    const name = event.metadata?.name ?? '';
    listed.set(name, (listed.get(name) ?? 0) + 1);
  }
  for (const [uid, history] of histories) {
    const reasons = byPod.get(uid) ?? new Map<string, number>();
    const count = (key: string) => reasons.get(key) ?? 0;
    const scheduled = count('Scheduled||default-scheduler');
    const unbound = count('FailedScheduling||kubelet');
    if (scheduled > 1 + unbound)
      violations.push(`pod ${history.name}: ${scheduled} Scheduled events for ${1 + unbound} binding(s)`);
    if (history.bound && scheduled === 0)
      violations.push(`pod ${history.name}: bound, but no Scheduled event`);
    for (const [container, restarts] of history.restarts) {
      const started = count(`Started|spec.containers{${container}}|kubelet`);
      if (started > restarts + 1)
        violations.push(
          `pod ${history.name}: ${started} Started events for container ${container}, ${restarts} restart(s)`,
        );
    }
    if (history.ran && [...reasons.keys()].every((key) => !key.startsWith('Started|')))
      violations.push(`pod ${history.name}: its container ran, but no Started event`);
  }
  for (const [name, times] of listed)
    if (times > 1 && name.startsWith('chaos-')) violations.push(`event ${name} is listed ${times} times`);
  return violations;
}
