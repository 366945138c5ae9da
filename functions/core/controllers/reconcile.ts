import type { TaskView } from '../ecs/types';
import { type EventRecorder, podEvent, recordQuietly } from '../events';
import type { Node, Pod } from '../k8s';
import type { PodMetrics } from '../metrics';
import { containerInstanceArnAnnotation } from '../nodes/from-container-instance';
import { podStage } from '../pod/stage';
import type { NodeStore, PodOnNodeEntry, PodRecord, PodRuntime, PodStore, PodTimers } from '../ports';
import { applyTaskState, applyTaskVanished, type TaskStateOutcome } from './pod-status';
import { endBackOff } from './pod-timers';
import { requeueUnschedulable } from './requeue';

export interface ReconcileDeps {
  readonly pods: PodStore;
  readonly nodes: NodeStore;
  readonly runtime: PodRuntime;
  readonly events: EventRecorder;
  readonly timers: PodTimers;
  readonly now: () => string;
  /** Passed on to the status path, which reports StartupLatency for pods it finds Running. */
  readonly metrics?: PodMetrics;
}

export interface ReconcileReport {
  /** Pods whose status changed because ECS said something their events had not. */
  readonly repaired: number;
  /**
   * Pods whose task ECS no longer knows: restarted or failed as their restart policy says (failed
   * with NodeLost when their node is gone too), or removed if being deleted.
   */
  readonly lost: number;
  /** Pods bound for a while without a task, or past their back-off: handed back to the kubelet. */
  readonly relaunched: number;
  /** Tasks whose pod is gone: stopped. */
  readonly orphans: number;
  /** Each pod acted on, so the handler can log it under that pod's keys. */
  readonly pods: readonly ReconciledPod[];
}

export interface ReconciledPod {
  readonly action: 'repaired' | 'lost' | 'relaunched' | 'orphan';
  /** An orphan's pod is gone: only its uid (the task's startedBy) is known. */
  readonly uid?: string;
  readonly namespace?: string;
  readonly name?: string;
}

/**
 * A pod bound this long without a task has lost its launch (its stream record gave up) or keeps
 * failing to start: it is launched again, and an event says so.
 */
export const stuckLaunchMs = 60_000;

/**
 * The periodic comparison of pods with ECS that makes status correct even when task events are
 * lost or absent (LocalStack emits none): every task a pod runs is described (100 per call) and
 * folded in as if its event had arrived, a task ECS no longer knows is a stop the pod never saw
 * (its restart policy decides), launches that stalled are retried, and tasks without a pod are
 * stopped.
 */
export async function reconcile(deps: ReconcileDeps): Promise<ReconcileReport> {
  let repaired = 0;
  let lost = 0;
  let relaunched = 0;
  const acted: ReconciledPod[] = [];
  const known = new Set<string>();
  let freed = 0;
  // Whether a node's container instance is still registered: asked once, only if a task vanished.
  let instances: Promise<Set<string>> | undefined;
  const nodeIsGone = async (node: Node): Promise<boolean> => {
    const arn = node.metadata?.annotations?.[containerInstanceArnAnnotation];
    if (!arn) return false;
    instances ??= deps.runtime
      .listContainerInstances()
      .then((listed) => new Set(listed.map((instance) => instance.containerInstanceArn)));
    return !(await instances).has(arn);
  };
  for (const node of await deps.nodes.listNodes()) {
    const nodeName = node.node.metadata?.name ?? '';
    const entries = await deps.pods.listPodsOnNode(nodeName);
    const running = entries.filter(
      (e) => e.taskArn && (e.stage === 'run' || e.stage === 'replace' || e.stage === 'stop'),
    );
    for (const entry of entries) if (entry.taskArn) known.add(entry.taskArn);
    const tasks = new Map(
      (await deps.runtime.describeTasks(running.map((e) => e.taskArn as string))).map((t) => [t.taskArn, t]),
    );
    for (const entry of running) {
      const task = tasks.get(entry.taskArn as string);
      const { namespace, name } = entry;
      if (task) {
        // A tombstone left in `stop` (a pod removed while its task may run) needs only the stop.
        if (!entry.record && task.lastStatus === 'STOPPED') continue;
        // The listing read the pod already: no lookup by uid.
        if ((await applyTaskState(task, deps, entry.record)) !== 'stale') {
          repaired++;
          acted.push({
            action: 'repaired',
            namespace,
            name,
            ...(task.startedBy ? { uid: task.startedBy } : {}),
          });
        }
      } else {
        const gone = (await nodeIsGone(node.node)) ? nodeName : undefined;
        const { outcome, pod } = await taskVanished(entry, gone, deps);
        if (outcome !== 'stale') {
          lost++;
          if (outcome !== 'restarting') freed++;
          acted.push({ action: 'lost', namespace, name, ...(pod ? uidOf(pod) : {}) });
        }
      }
    }
    for (const entry of entries.filter((e) => e.stage === 'launch' || e.stage === 'replace')) {
      const stuck = await relaunchIfStuck(entry, deps);
      if (stuck) {
        relaunched++;
        acted.push({ action: 'relaunched', namespace: entry.namespace, name: entry.name, ...uidOf(stuck) });
      }
    }
    for (const entry of entries.filter((e) => e.stage === 'backoff' || e.stage === 'replace')) {
      const overdue = await restartIfOverdue(entry, deps);
      if (overdue) {
        relaunched++;
        acted.push({ action: 'relaunched', namespace: entry.namespace, name: entry.name, ...uidOf(overdue) });
      }
    }
  }
  const orphanUids = await stopOrphans(known, deps);
  acted.push(...orphanUids.map((uid) => ({ action: 'orphan' as const, uid })));
  if (freed > 0) await requeueUnschedulable(deps);
  return { repaired, lost, relaunched, orphans: orphanUids.length, pods: acted };
}

/**
 * The pod as the listing read it (strongly consistently); a write from it that lost a race is
 * refused by its condition and read again where it matters (withFreshPod).
 */
const recordOf = async (entry: PodOnNodeEntry, deps: ReconcileDeps): Promise<PodRecord | undefined> =>
  entry.record ?? (await deps.pods.getPod(entry.namespace, entry.name, true));

const uidOf = (pod: Pod) => (pod.metadata?.uid ? { uid: pod.metadata.uid } : {});

/**
 * A pod whose task ECS no longer knows: ECS forgot it (an hour after a stop whose event was lost)
 * or it vanished. The restart policy decides, as for a container the kubelet can no longer find
 * (pod-status.ts, applyTaskVanished); a pod on a node that is gone fails with NodeLost.
 */
async function taskVanished(
  entry: PodOnNodeEntry,
  nodeLost: string | undefined,
  deps: ReconcileDeps,
): Promise<{ outcome: TaskStateOutcome; pod?: Pod }> {
  const first = await recordOf(entry, deps);
  if (!first || first.taskArn !== entry.taskArn) return { outcome: 'stale' };
  return { outcome: await applyTaskVanished(first, entry.taskArn as string, deps, nodeLost), pod: first.pod };
}

/**
 * Rewrites a pod stuck in `launch` (or in `replace`, a spec change the kubelet has not acted on),
 * so a new stream record reaches the kubelet; returns it if so.
 */
async function relaunchIfStuck(entry: PodOnNodeEntry, deps: ReconcileDeps): Promise<Pod | undefined> {
  const record = await recordOf(entry, deps);
  const writtenAt = (record?.resourceVersion ?? 0) / 1000;
  if (!record || Date.parse(deps.now()) - writtenAt < stuckLaunchMs) return undefined;
  if (entry.stage === 'launch' ? record.taskArn : podStage(record.pod, record) !== 'replace')
    return undefined;
  try {
    await deps.pods.updatePod(record, record.pod);
  } catch {
    return undefined;
  }
  if (entry.stage === 'launch') {
    const seconds = Math.round((Date.parse(deps.now()) - writtenAt) / 1000);
    const event = podEvent(
      record.pod,
      {
        type: 'Warning',
        reason: 'FailedCreate',
        key: `stalled|${record.taskGeneration}`,
        message: `Bound to node ${record.pod.spec?.nodeName} for ${seconds}s without an ECS task; launching it again (earlier FailedCreate events give ECS's answers)`,
        component: 'kubelet',
      },
      new Date(deps.now()),
    );
    await recordQuietly(deps.events, event);
  }
  return record.pod;
}

/** A back-off whose timer was lost (or is very late) ends here, so no pod waits forever. */
async function restartIfOverdue(entry: PodOnNodeEntry, deps: ReconcileDeps): Promise<Pod | undefined> {
  const record = await recordOf(entry, deps);
  if (record?.restartDue === undefined) return undefined;
  if (Date.parse(deps.now()) - record.restartDue < overdueRestartMs) return undefined;
  return (await endBackOff(record, deps)) ? record.pod : undefined;
}

/** A restart timer this late has been lost: SQS delivers delayed messages within seconds. */
export const overdueRestartMs = 60_000;

/**
 * Running tasks no pod accounts for: their pods were deleted while the stop was lost. Returns
 * the uids of the pods whose tasks it stopped.
 */
async function stopOrphans(known: ReadonlySet<string>, deps: ReconcileDeps): Promise<string[]> {
  const unknown = (await deps.runtime.listRunningTasks()).filter((arn) => !known.has(arn));
  if (unknown.length === 0) return [];
  const stopped: string[] = [];
  for (const task of await deps.runtime.describeTasks(unknown)) {
    if (!task.startedBy || !(await isOrphan(task, deps))) continue;
    await deps.runtime.stopPod({ metadata: { uid: task.startedBy } }, task.taskArn, 'Pod no longer exists');
    stopped.push(task.startedBy);
  }
  return stopped;
}

async function isOrphan(task: TaskView, deps: ReconcileDeps): Promise<boolean> {
  const pod = await deps.pods.findPodByUid(task.startedBy ?? '');
  return !pod || (pod.taskArn !== undefined && pod.taskArn !== task.taskArn);
}
