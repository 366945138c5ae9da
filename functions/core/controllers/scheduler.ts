import type { PodNetworking } from '../ecs/task-definition';
import { type Event, type EventRecorder, podEvent, recordManyQuietly } from '../events';
import type { Pod } from '../k8s';
import { latencySinceCreation, noPodMetrics, type PodMetrics } from '../metrics';
import { boundPod } from '../pod/binding';
import { unschedulablePod } from '../pod/conditions';
import { bindingRequests } from '../pod/kubelet-admission';
import type { PodRequests } from '../pod/requests';
import { isFinished, podStage } from '../pod/stage';
import {
  type BatchBindOutcome,
  type Binding,
  ConflictError,
  type NodeStore,
  type PodRecord,
  type PodStore,
} from '../ports';
import { type NodeInfo, type PodOnNode, type Profile, schedulePod } from '../scheduler/framework';
import { requestsOnNode } from '../scheduler/plugins/node-ports';
import { defaultSchedulerName, schedulerNameOf } from '../scheduler/scheduler-names';
import { requeueWaitingPod } from './requeue';
import { RetryLater } from './retry';

export interface SchedulerDeps {
  readonly pods: PodStore;
  readonly nodes: NodeStore;
  readonly profile: Profile;
  readonly events: EventRecorder;
  readonly now: () => string;
  readonly metrics?: PodMetrics;
  /** How EC2 pods are networked (podplane:podNetworking): in bridge, hostPorts take node ports. */
  readonly networking?: PodNetworking;
  /** The scheduler names it answers to (absent: `default-scheduler` only); other pods are not its. */
  readonly schedulerNames?: readonly string[];
}

/** Rounds in which a pod's binding may fail before its record is handed back for a later delivery. */
const maxFailures = 8;
/** Times a batch decides its Unschedulable pods again because capacity came back meanwhile. */
const maxRechecks = 5;

/** One pod of a batch, however many of the batch's records were about it. */
interface Attempt {
  record: PodRecord;
  /** Rounds whose binding of this pod failed. */
  failures: number;
  /** How its binding is grouped: 0 with other nodes' bindings, 1 with its node's only, 2 alone. */
  level: number;
  /** The resourceVersion of this batch's own Unschedulable mark, while the pod waits under it. */
  markedRv?: number;
  readonly callers: Pick<Entry, 'resolve' | 'reject'>[];
  settled?: boolean;
}

/** A record handed to the scheduler, and how to tell its caller the pod's outcome. */
interface Entry {
  readonly record: PodRecord;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** A pod no node had room for, in a view read at move-request cycle `cycle` (if read first). */
interface Unfit {
  readonly attempt: Attempt;
  readonly message: string;
  readonly cycle: number | undefined;
}

interface Decision {
  readonly attempt: Attempt;
  readonly node: NodeInfo;
  readonly held: PodRequests;
}

/**
 * A scheduler for one invocation. It decides a whole batch against one view of the nodes, holding
 * each decision in the view (Kubernetes' "assume"), then writes the bindings in transactions of
 * many pods: each node's counters once per transaction, conditioned on the sum of its pods there
 * fitting. So any number of schedulers at once never overcommit; a lost race reads again and
 * decides again, a cancelled transaction falls back to smaller ones (one node, then one pod).
 *
 * A pod no node has room for is marked Unschedulable and joins the waiting set only after the
 * batch's bindings are settled, and it stays there only if the move-request cycle (see
 * requeue.ts) is the one read before the nodes: otherwise capacity may have come back since the
 * nodes were read, and it is decided again against a fresh view, as Kubernetes sends an attempt
 * that overlapped a move request to back-off rather than to the unschedulable pods.
 */
export function createScheduler(deps: SchedulerDeps) {
  const metrics = deps.metrics ?? noPodMetrics;
  const names = new Set(deps.schedulerNames ?? [defaultSchedulerName]);
  // The stream filter passes only pods for these names; a record that slips past it (a filter
  // of an older deployment, a requeue) is still not this scheduler's to bind.
  const wantsScheduling = (record: PodRecord) =>
    names.has(schedulerNameOf(record.pod)) && unboundAndWaiting(record);
  /** The nodes as read, with this batch's decisions held; `cycle` only if read before them. */
  let view: { nodes: readonly NodeInfo[]; cycle?: number } | undefined;
  const refresh = async (forUnschedulable = false) => {
    if (!forUnschedulable) {
      // Most batches bind every pod: the nodes alone, in one read.
      view = { nodes: await deps.nodes.listNodes({ consistent: true }) };
      return view;
    }
    // A verdict of no room needs the cycle first, then the nodes (strongly consistent): a release
    // that the node read misses is followed by a move request, which the check after marking a
    // pod Unschedulable then sees.
    const cycle = await deps.pods.moveCycle();
    const nodes = await deps.nodes.listNodes({ consistent: true });
    view = { nodes, cycle };
    return view;
  };
  const reserve = (nodeName: string, requests: PodRequests, sign: 1 | -1) => {
    if (view)
      view = {
        ...view,
        nodes: view.nodes.map((n) =>
          n.node.metadata?.name === nodeName ? withRequested(n, requests, sign) : n,
        ),
      };
  };

  // Pods bound to each node, by namespace: read only for pods with topology spread constraints
  // (which count same-namespace pods), so reading nodes does not grow with the number of pods.
  // The batch's own decisions are held here too until their bindings fail.
  const boundPods = new Map<string, Map<string, PodOnNode[]>>();
  const podsOfNamespace = async (namespace: string) => {
    let byNode = boundPods.get(namespace);
    if (!byNode) {
      byNode = new Map();
      for (const pod of await deps.pods.listPods(namespace)) {
        const nodeName = pod.spec?.nodeName;
        if (!nodeName || isFinished(pod) || pod.metadata?.deletionTimestamp) continue;
        byNode.set(nodeName, [
          ...(byNode.get(nodeName) ?? []),
          { namespace, labels: pod.metadata?.labels ?? {} },
        ]);
      }
      boundPods.set(namespace, byNode);
    }
    return byNode;
  };
  const onNode = (pod: Pod, nodeName: string, sign: 1 | -1) => {
    const namespace = pod.metadata?.namespace ?? 'default';
    const byNode = boundPods.get(namespace);
    if (!byNode) return;
    const labels = pod.metadata?.labels ?? {};
    const here = byNode.get(nodeName) ?? [];
    if (sign > 0) byNode.set(nodeName, [...here, { namespace, labels }]);
    else {
      const at = here.findIndex((p) => p.labels === labels);
      byNode.set(nodeName, at === -1 ? here : [...here.slice(0, at), ...here.slice(at + 1)]);
    }
  };

  const settle = (attempt: Attempt, error?: unknown) => {
    if (attempt.settled) return;
    attempt.settled = true;
    for (const caller of attempt.callers) error === undefined ? caller.resolve() : caller.reject(error);
  };
  const reload = (record: PodRecord) =>
    deps.pods.getPod(record.pod.metadata?.namespace ?? 'default', record.pod.metadata?.name ?? '', true);
  /** After a write lost to another: the pod as it is now, if this batch still has to place it. */
  const stillOurs = async (attempt: Attempt): Promise<boolean> => {
    const fresh = await reload(attempt.record);
    if (!fresh || fresh.pod.spec?.nodeName || fresh.pod.metadata?.deletionTimestamp) return false;
    // A pod this batch marked Unschedulable stays its to place (or to validate) while it waits,
    // whoever wrote it since: a write that leaves it waiting (a label edited) woke no scheduler.
    const waitingOnUs = attempt.markedRv !== undefined && fresh.stage === 'unschedulable';
    if (!waitingOnUs && !wantsScheduling(fresh)) return false;
    attempt.record = fresh;
    attempt.markedRv = waitingOnUs ? fresh.resourceVersion : undefined;
    return true;
  };
  const requestsOf = (pod: Pod): PodRequests => bindingRequests(pod, deps.networking);

  /**
   * Decides the pods against the view and binds those that fit, round after round, until each is
   * bound, gone, or fits nowhere in a view that holds no binding still in doubt. Returns the last.
   */
  async function bindWhatFits(first: readonly Attempt[]): Promise<Unfit[]> {
    let pending = first;
    let unfit: Unfit[] = [];
    while (pending.length > 0) {
      const current = view ?? (await refresh());
      const spread = new Set(
        pending
          .filter((a) => a.record.pod.spec?.topologySpreadConstraints?.length)
          .map((a) => a.record.pod.metadata?.namespace ?? 'default'),
      );
      await Promise.all([...spread].map(podsOfNamespace));
      // From here to the bindings nothing awaits: the batch decides pod after pod against a view
      // that already holds the earlier ones' choices.
      const decisions: Decision[] = [];
      unfit = [];
      for (const attempt of pending) {
        const pod = attempt.record.pod;
        const requests = requestsOf(pod);
        const nodes = view?.nodes ?? [];
        const spreading = pod.spec?.topologySpreadConstraints?.length
          ? boundPods.get(pod.metadata?.namespace ?? 'default')
          : undefined;
        const candidates = spreading
          ? nodes.map((n) => ({ ...n, pods: spreading.get(n.node.metadata?.name ?? '') ?? [] }))
          : nodes;
        const result = schedulePod(pod, requests, candidates, deps.profile);
        if (result.kind === 'unschedulable') {
          unfit.push({ attempt, message: result.message, cycle: current.cycle });
          continue;
        }
        const node = nodes.find((n) => n.node.metadata?.name === result.nodeName) as NodeInfo;
        const held = requestsOnNode(node.node, requests);
        reserve(result.nodeName, held, 1);
        onNode(pod, result.nodeName, 1);
        decisions.push({ attempt, node, held });
      }
      const outcomes = await commit(decisions);
      await announceBound(decisions.filter((_, i) => outcomes[i] === 'bound'));
      const failed = decisions.flatMap((d, i) => {
        const outcome = outcomes[i] as BatchBindOutcome;
        return outcome === 'bound' ? [] : [{ ...d, outcome }];
      });
      for (const { attempt, node, held, outcome } of failed) {
        reserve(node.node.metadata?.name ?? '', held, -1);
        onNode(attempt.record.pod, node.node.metadata?.name ?? '', -1);
        attempt.failures++;
        if (outcome === 'conflict' || outcome === 'cancelled') attempt.level++;
      }
      const retry = await Promise.all(
        failed.map(async ({ attempt, outcome }) => {
          if (outcome === 'pod-changed' && !(await stillOurs(attempt))) {
            settle(attempt);
            return [];
          }
          if (attempt.failures < maxFailures) return [attempt];
          await giveUp(attempt);
          return [];
        }),
      );
      pending = retry.flat();
      // A binding that failed leaves room the pods found unfit may take: they are decided again.
      if (failed.length > 0) {
        pending = [...pending, ...unfit.map((u) => u.attempt)];
        unfit = [];
      }
      // A port or the room another binding took since the nodes were read: read them again.
      if (failed.some((f) => f.outcome === 'node-full')) await refresh();
      // No room in a view read without the cycle: read both and decide those pods again.
      if (failed.length === 0 && unfit.length > 0 && current.cycle === undefined) {
        pending = unfit.map((u) => u.attempt);
        unfit = [];
        await refresh(true);
      }
      // Another binding touched a node at the same moment: step aside briefly (jittered, so the
      // two do not collide again in lockstep), then decide again.
      const contended = failed.filter((f) => f.outcome === 'conflict');
      if (contended.length > 0) {
        const rounds = Math.max(...contended.map((f) => f.attempt.failures));
        await new Promise((resolve) => setTimeout(resolve, (10 + Math.random() * 40) * rounds));
      }
    }
    return unfit;
  }

  /** A pod this batch could not bind in all its rounds: its record goes back for a later delivery. */
  async function giveUp(attempt: Attempt) {
    if (attempt.markedRv !== undefined) {
      // Marked Unschedulable by this batch, a redelivered record would find it waiting and leave
      // it there: it is handed back through the queue instead.
      await requeueWaitingPod(deps.pods, attempt.record);
      settle(attempt);
      return;
    }
    settle(
      attempt,
      new RetryLater(
        `could not bind ${attempt.record.pod.metadata?.name} after ${attempt.failures} attempts`,
      ),
    );
  }

  /**
   * Writes the bindings: every node whose pods have not yet been cancelled together with another
   * node's in one set of transactions (the store packs them), a node whose pods were in its own
   * transaction, a node whose pods were cancelled twice one pod after another.
   */
  async function commit(decisions: readonly Decision[]): Promise<BatchBindOutcome[]> {
    const outcomes: BatchBindOutcome[] = decisions.map(() => 'cancelled');
    const byNode = new Map<string, number[]>();
    decisions.forEach((d, i) => {
      const name = d.node.node.metadata?.name ?? '';
      byNode.set(name, [...(byNode.get(name) ?? []), i]);
    });
    const packed: number[] = [];
    const alone: number[][] = [];
    const onePerPod: number[][] = [];
    for (const indices of byNode.values()) {
      const level = Math.max(...indices.map((i) => (decisions[i] as Decision).attempt.level));
      if (level === 0) packed.push(...indices);
      else if (level === 1) alone.push(indices);
      else onePerPod.push(indices);
    }
    const bind = async (indices: readonly number[]) => {
      const bindings = indices.map((i) => binding(decisions[i] as Decision));
      const [only] = bindings;
      const results =
        bindings.length === 1 && only
          ? [await deps.pods.bindPod(only.record, only.bound, only.node, only.requests)]
          : bindings.length > 1
            ? await deps.pods.bindPods(bindings)
            : [];
      indices.forEach((i, k) => {
        outcomes[i] = results[k] ?? 'cancelled';
      });
    };
    await Promise.all([
      bind(packed),
      ...alone.map(bind),
      ...onePerPod.map(async (indices) => {
        for (const i of indices) await bind([i]);
      }),
    ]);
    return outcomes;
  }

  const binding = ({ attempt, node, held }: Decision): Binding => ({
    record: attempt.record,
    bound: boundPod(attempt.record.pod, node.node.metadata?.name ?? '', deps.now()),
    node,
    requests: held,
  });

  async function announceBound(bound: readonly Decision[]) {
    const events: Event[] = [];
    for (const { attempt, node } of bound) {
      const pod = attempt.record.pod;
      const namespace = pod.metadata?.namespace ?? 'default';
      metrics.count('PodsScheduled');
      latencySinceCreation(metrics, 'SchedulingLatency', pod, deps.now());
      const message = `Successfully assigned ${namespace}/${pod.metadata?.name} to ${node.node.metadata?.name}`;
      events.push(event(pod, 'Normal', 'Scheduled', message));
    }
    await recordManyQuietly(deps.events, events);
    for (const { attempt } of bound) settle(attempt);
  }

  const event = (pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string) =>
    // Reported by the profile the pod asked for, as each kube-scheduler profile reports as its own name.
    podEvent(pod, { type, reason, message, component: schedulerNameOf(pod) }, new Date(deps.now()));

  /**
   * Marks the unfit pods Unschedulable (those this batch has not marked already). Returns the ones
   * that wait under this batch's mark, and those to decide again because they changed meanwhile.
   */
  async function markAll(unfit: readonly Unfit[]): Promise<{ marked: Unfit[]; again: Attempt[] }> {
    const results = await Promise.all(
      unfit.map(async (u) => {
        const { attempt } = u;
        if (attempt.markedRv !== undefined) return { u, kind: 'marked' as const, fresh: false };
        try {
          const written = await deps.pods.updatePod(
            attempt.record,
            unschedulablePod(attempt.record.pod, u.message, deps.now()),
          );
          attempt.record = written;
          attempt.markedRv = written.resourceVersion;
          metrics.count('PodsUnschedulable');
          return { u, kind: 'marked' as const, fresh: true };
        } catch (error) {
          if (!(error instanceof ConflictError)) throw error;
          attempt.failures++;
          if (!(await stillOurs(attempt))) {
            settle(attempt);
            return { u, kind: 'gone' as const, fresh: false };
          }
          if (attempt.failures >= maxFailures) {
            await giveUp(attempt);
            return { u, kind: 'gone' as const, fresh: false };
          }
          return { u, kind: 'again' as const, fresh: false };
        }
      }),
    );
    await recordManyQuietly(
      deps.events,
      results
        .filter((r) => r.fresh)
        .map((r) => event(r.u.attempt.record.pod, 'Warning', 'FailedScheduling', r.u.message)),
    );
    return {
      marked: results.filter((r) => r.kind === 'marked').map((r) => r.u),
      again: results.filter((r) => r.kind === 'again').map((r) => r.u.attempt),
    };
  }

  /** Places one batch's pods: bound, or waiting under a mark no release can have slipped past. */
  async function place(batch: readonly Attempt[]): Promise<void> {
    let pending = batch;
    for (let rechecks = 0; pending.length > 0; rechecks++) {
      const unfit = await bindWhatFits(pending);
      if (unfit.length === 0) return;
      const { marked, again } = await markAll(unfit);
      // Capacity given back after this cycle was read comes with a move request: if there was
      // none, any later one will find these pods in the waiting set and hand them back.
      const cycle = marked.length > 0 ? await deps.pods.moveCycle() : undefined;
      const recheck: Attempt[] = [];
      for (const u of marked) {
        if (u.cycle !== undefined && u.cycle === cycle) settle(u.attempt);
        else recheck.push(u.attempt);
      }
      if (recheck.length > 0 && rechecks >= maxRechecks) {
        // The cycle keeps moving (a stream of releases): the queue hands them back instead.
        await Promise.all(recheck.map((a) => giveUp(a)));
        recheck.length = 0;
      }
      if (recheck.length > 0 && view?.cycle !== cycle) await refresh(true);
      pending = [...recheck, ...again];
    }
  }

  /** Runs one batch to the end; any fault the store raises fails every pod still unsettled. */
  async function run(entries: readonly Entry[]) {
    // One attempt per pod: records of the same pod in one batch (a repeat, a create and a
    // requeue) are one decision, made on the newest of them.
    const byPod = new Map<string, Attempt>();
    for (const { record, resolve, reject } of entries) {
      const key = `${record.pod.metadata?.namespace}/${record.pod.metadata?.name}`;
      const attempt = byPod.get(key);
      if (!attempt) byPod.set(key, { record, failures: 0, level: 0, callers: [{ resolve, reject }] });
      else {
        attempt.callers.push({ resolve, reject });
        if (record.resourceVersion > attempt.record.resourceVersion) attempt.record = record;
      }
    }
    const attempts = [...byPod.values()];
    for (const attempt of attempts) if (!wantsScheduling(attempt.record)) settle(attempt);
    try {
      await place(attempts.filter((a) => !a.settled));
    } catch (error) {
      for (const attempt of attempts) settle(attempt, error);
    }
    for (const attempt of attempts) settle(attempt);
  }

  let gathering: Entry[] | undefined;
  // One batch at a time: a batch's Unschedulable verdicts rest on a view in which every binding
  // is settled, which another batch's bindings in flight would not be.
  let running: Promise<void> = Promise.resolve();
  const enqueue = (batch: readonly Entry[]) => {
    running = running.then(() => run(batch));
    return running;
  };
  return {
    /**
     * Schedules the pod of a stream record. Records handed over before the event loop turns (as
     * the batch processor hands over a batch's records, all at once) are one batch.
     */
    schedule(record: PodRecord): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        if (!gathering) {
          const batch: Entry[] = [];
          gathering = batch;
          setImmediate(() => {
            gathering = undefined;
            void enqueue(batch);
          });
        }
        gathering.push({ record, resolve, reject });
      });
    },

    /** Schedules the pods of these records as one batch; how each record fared, in order. */
    async scheduleBatch(records: readonly PodRecord[]): Promise<PromiseSettledResult<void>[]> {
      const results: PromiseSettledResult<void>[] = [];
      await enqueue(
        records.map((record, i) => ({
          record,
          resolve: () => {
            results[i] = { status: 'fulfilled', value: undefined };
          },
          reject: (reason: unknown) => {
            results[i] = { status: 'rejected', reason };
          },
        })),
      );
      return results;
    },
  };
}

/** Unbound and not being deleted, and either new or handed back by a requeue. */
function unboundAndWaiting(record: PodRecord): boolean {
  if (record.pod.spec?.nodeName || record.pod.metadata?.deletionTimestamp) return false;
  return podStage(record.pod, record) === 'schedule' || record.stage === 'schedule';
}

function withRequested(node: NodeInfo, requests: PodRequests, sign: 1 | -1 = 1): NodeInfo {
  const ports = requests.hostPorts ?? [];
  const used = node.usedHostPorts ?? [];
  return {
    ...node,
    requested: {
      cpuMillis: node.requested.cpuMillis + sign * requests.cpuMillis,
      memoryBytes: node.requested.memoryBytes + sign * requests.memoryBytes,
      pods: node.requested.pods + sign,
    },
    // The filter admitted the node only if none of the ports was taken, so giving them back
    // removes exactly what reserving added.
    ...(ports.length === 0
      ? {}
      : { usedHostPorts: sign > 0 ? [...used, ...ports] : used.filter((p) => !ports.includes(p)) }),
  };
}
