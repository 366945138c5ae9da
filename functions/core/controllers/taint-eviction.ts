import type { Taint, Toleration } from 'kubernetes-types/core/v1';
import { deletePodAndDependents } from '../api/pod-delete';
import { podEvent, recordQuietly } from '../events';
import type { Node, Pod } from '../k8s';
import type {
  EventStore,
  NamespaceStore,
  NodeStore,
  ObjectStore,
  PodRecord,
  PodStore,
  PodTimers,
} from '../ports';
import { tolerates } from '../scheduler/taints';
import { schedulePodTimer } from './timers';

export interface TaintEvictionDeps {
  readonly pods: PodStore;
  readonly nodes: NodeStore;
  readonly namespaces: NamespaceStore;
  readonly events: EventStore;
  readonly objects: ObjectStore;
  readonly timers: PodTimers;
  readonly now: () => string;
}

const isNoExecute = (taint: Taint) => taint.effect === 'NoExecute';

/**
 * When a pod on a node with these NoExecute taints must go, as Kubernetes' taint eviction
 * controller decides: at once ('now') when a taint is not tolerated; when every taint is
 * tolerated, after the shortest tolerationSeconds among the tolerations that match one (counted
 * from when the newest NoExecute taint was added, the time the pod's tolerations were last
 * weighed); never ('never') when none of those tolerations sets a time.
 */
export function evictionDue(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
): 'now' | 'never' | Date {
  const noExecute = taints.filter(isNoExecute);
  if (noExecute.length === 0) return 'never';
  let seconds: number | undefined;
  for (const taint of noExecute) {
    const matching = tolerations.filter((t) => tolerates(t, taint));
    if (matching.length === 0) return 'now';
    for (const t of matching)
      if (t.tolerationSeconds !== undefined) seconds = Math.min(seconds ?? Infinity, t.tolerationSeconds);
  }
  if (seconds === undefined) return 'never';
  if (seconds <= 0) return 'now';
  const since = Math.max(...noExecute.map((t) => Date.parse(t.timeAdded ?? '') || 0));
  return new Date(since + seconds * 1000);
}

/**
 * The taint eviction pass over one node: every pod on it that a NoExecute taint evicts is
 * deleted (gracefully, as any delete; the kubelet stops its task), with a TaintManagerEviction
 * event; a pod whose toleration runs out later gets a timer for then. Idempotent: a pod already
 * being deleted is left alone, and a timer that fires early or late only runs this check again.
 */
export async function evictForNoExecuteTaints(node: Node, deps: TaintEvictionDeps): Promise<number> {
  const taints = node.spec?.taints ?? [];
  if (!taints.some(isNoExecute)) return 0;
  const entries = await deps.pods.listPodsOnNode(node.metadata?.name ?? '');
  let evicted = 0;
  for (const entry of entries) {
    const record = entry.record ?? (await deps.pods.getPod(entry.namespace, entry.name, true));
    if (!record || record.pod.metadata?.deletionTimestamp) continue;
    if (await evictIfDue(record, taints, deps)) evicted++;
  }
  return evicted;
}

/** A pod's taint-eviction timer fired: the check again, against its node as it is now. */
export async function recheckTaintEviction(record: PodRecord, deps: TaintEvictionDeps): Promise<boolean> {
  const nodeName = record.pod.spec?.nodeName;
  if (!nodeName || record.pod.metadata?.deletionTimestamp) return false;
  const node = await deps.nodes.getNode(nodeName, { consistent: true });
  return node ? evictIfDue(record, node.spec?.taints ?? [], deps) : false;
}

async function evictIfDue(record: PodRecord, taints: readonly Taint[], deps: TaintEvictionDeps) {
  const pod = record.pod;
  const due = evictionDue(taints, pod.spec?.tolerations ?? []);
  if (due === 'never') return false;
  const now = new Date(deps.now());
  if (due !== 'now' && due.getTime() > now.getTime()) {
    const seconds = Math.ceil((due.getTime() - now.getTime()) / 1000);
    await schedulePodTimer(
      deps.timers,
      pod,
      { kind: 'taint-eviction', generation: record.taskGeneration },
      seconds,
    );
    return false;
  }
  await deletePodAndDependents(
    record,
    {},
    { ...deps, now: () => new Date(deps.now()), sleep: async () => {} },
  );
  await recordQuietly(deps.events, evictionEvent(pod, now));
  return true;
}

/** What Kubernetes' taint eviction controller records on the pod it deletes. */
function evictionEvent(pod: Pod, now: Date) {
  return podEvent(
    pod,
    {
      type: 'Normal',
      reason: 'TaintManagerEviction',
      message: `Marking for deletion Pod ${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`,
      component: 'taint-eviction-controller',
    },
    now,
  );
}
