import { initContainerStatusesAtLaunch, initializedCondition } from '../ecs/init-containers';
import { maxStopTimeoutSeconds, type PodNetworking, podFargateSize } from '../ecs/task-definition';
import { type EventRecorder, podEvent, recordContainerEvents, recordQuietly } from '../events';
import type { Node, Pod } from '../k8s';
import type { PodMetrics } from '../metrics';
import { fargateLaunchOf } from '../nodes/fargate-pool';
import { nodeInternalIP } from '../nodes/from-container-instance';
import { unschedulablePod, withConditions } from '../pod/conditions';
import { fargateIncompatibilities } from '../pod/ecs-admission';
import { backOffSeconds, earlierRuns } from '../pod/restart';
import { containersWithNewImage, withImagesOf } from '../pod/spec-change';
import { isFinished, podStage } from '../pod/stage';
import type { LaunchResult, NodeStore, PodRecord, PodRuntime, PodStore, PodTimers } from '../ports';
import { finishDeletion } from './finish-deletion';
import { scheduleDeadline } from './pod-deadline';
import { requeueUnschedulable } from './requeue';
import { RetryLater, withFreshPod } from './retry';
import { syncSpecChange } from './spec-change';
import { schedulePodTimer } from './timers';

export interface KubeletDeps {
  readonly pods: PodStore;
  readonly nodes: NodeStore;
  readonly runtime: PodRuntime;
  readonly events: EventRecorder;
  /** For spec.activeDeadlineSeconds, which counts from the first launch. */
  readonly timers: PodTimers;
  readonly now: () => string;
  readonly metrics?: PodMetrics;
  /** How EC2 pods are networked; in bridge mode a pod's address is its node's. */
  readonly networking?: PodNetworking;
}

/**
 * What the kubelet does for one pod record: launch its task once bound, restart it from a new
 * image (spec-change.ts), stop it once deleted. A record seen twice is harmless: RunTask's client
 * token returns the same task, and a pod that already has its task (or is gone) is left alone.
 */
export async function syncPod(first: PodRecord, deps: KubeletDeps): Promise<void> {
  const stage = podStage(first.pod, first);
  if (stage === 'launch') await launch(first, deps);
  else if (stage === 'replace') await syncSpecChange(first, deps);
  else if (stage === 'stop') await stop(first, deps);
}

/**
 * Whether this launch record is already done with: its pod gone, replaced, being deleted, or its
 * task (of this generation or a later one) already launched. A batch retried from an earlier
 * record's failure delivers the records after it again; RunTask's client token would return the
 * same task, but each call still spends one of ECS's 20 RunTask calls a second.
 */
async function launchedOrGone(first: PodRecord, deps: KubeletDeps): Promise<boolean> {
  const now = await deps.pods.getPod(
    first.pod.metadata?.namespace ?? '',
    first.pod.metadata?.name ?? '',
    true,
  );
  if (!now || now.pod.metadata?.uid !== first.pod.metadata?.uid || now.pod.metadata?.deletionTimestamp)
    return true;
  if (now.taskGeneration > first.taskGeneration) return true;
  // The kubelet's own write after RunTask records the spec generation it launched from; a task
  // ARN without it was written by the task's first event, and the kubelet's write is still to
  // come. A record of another spec generation still decides which spec the task may run.
  return (
    now.taskGeneration === first.taskGeneration &&
    now.taskArn !== undefined &&
    now.specGeneration === (first.pod.metadata?.generation ?? 1)
  );
}

async function launch(first: PodRecord, deps: KubeletDeps): Promise<void> {
  const nodeName = first.pod.spec?.nodeName ?? '';
  // Both reads at once: the look at the pod costs a launch no time.
  const [done, node] = await Promise.all([launchedOrGone(first, deps), deps.nodes.getNode(nodeName)]);
  if (done) return;
  if (!node) {
    await markNodeLost(first, nodeName, deps);
    return;
  }
  if (fargateLaunchOf(node)) {
    const size = podFargateSize(first.pod);
    const problems = fargateIncompatibilities(first.pod);
    if (!size) problems.push('more than 16 vCPU or 120 GiB, the largest Fargate task');
    if (problems.length > 0) {
      await failOnFargate(first, problems, deps);
      return;
    }
    await recordQuietly(
      deps.events,
      podEvent(
        first.pod,
        {
          type: 'Normal',
          reason: 'FargateSize',
          message: `Fargate runs this pod as ${size?.cpu} CPU units and ${size?.memory} MiB, its containers' requests and limits rounded up to a Fargate size`,
          component: 'kubelet',
        },
        new Date(deps.now()),
      ),
    );
  }
  const result = await launchOrSay(first, node, deps);
  if (result.kind === 'retry' && result.throttled) deps.metrics?.count('RunTaskThrottled');
  if (result.kind === 'retry') throw new RetryLater(result.reason);
  if (result.kind === 'refused') return failRefused(first, result.reason, deps);
  if (result.kind === 'unplaceable') return unbindUnplaceable(first, nodeName, result.reason, deps);
  // Events never fail a launch (they are recorded quietly), so they are written while the pod
  // is: one DynamoDB round trip less between RunTask and the pod showing its task.
  const told = Promise.all([
    recordContainerEvents(
      deps.events,
      first.pod,
      {
        type: 'Normal',
        reason: 'Pulling',
        key: result.taskArn,
        message: (c) => `Pulling image "${c.image}"`,
      },
      new Date(deps.now()),
    ),
    sayGracePeriodClamped(first.pod, deps),
  ]);
  if (first.taskGeneration === 0) await scheduleDeadline(first.pod, deps.timers);
  const hostIP = nodeInternalIP(node);
  // A bridge-mode task has no address of its own: the pod shows its node's, as a hostNetwork pod.
  const podIP = deps.networking === 'bridge' && !fargateLaunchOf(node) ? hostIP : undefined;
  // The spec this task runs: the record's. If the pod has changed since, it is replaced next.
  const specGeneration = first.pod.metadata?.generation ?? 1;
  await withFreshPod(first, deps.pods, async (record) => {
    // A late record of an earlier generation got that generation's (stopped) task back from its
    // client token: it must not become the current task.
    if (record.taskGeneration !== first.taskGeneration) return;
    if (record.taskArn) {
      // The task's first event got here first and wrote its status; the node's address is
      // still ours to add, as only the kubelet knows which node the pod landed on, and so is the
      // spec the task was launched from. Records of two specs may have launched this generation
      // (one client token, so one task): if the pod shows the other's images, the older spec is
      // assumed, so that the change is acted on rather than missed.
      if (record.taskArn !== result.taskArn) return;
      const otherImages = containersWithNewImage({ ...record.pod, spec: first.pod.spec }).length > 0;
      const launchedFrom =
        record.specGeneration === undefined || (otherImages && record.specGeneration > specGeneration)
          ? { specGeneration }
          : undefined;
      const status = record.pod.status;
      const moved = status?.hostIP !== hostIP || (podIP !== undefined && status?.podIP !== podIP);
      const next = hostIP && moved ? onHost(record.pod, hostIP, podIP) : record.pod;
      if (launchedFrom)
        await deps.pods.updatePod(
          record,
          { ...next, status: withImagesOf(next.status ?? {}, first.pod) },
          launchedFrom,
        );
      else if (next !== record.pod) await deps.pods.updatePod(record, next);
      return;
    }
    // Deleted while we launched: keep the task's ARN so the stop stage finds it.
    const next = record.pod.metadata?.deletionTimestamp
      ? record.pod
      : containerCreating(onHost(record.pod, hostIP, podIP), deps.now(), first.pod);
    await deps.pods.updatePod(record, next, { taskArn: result.taskArn, specGeneration });
    deps.metrics?.count('PodsLaunched');
  });
  await told;
}

/** Says so when ECS cannot give the containers the grace period the pod asks for. */
async function sayGracePeriodClamped(pod: Pod, deps: KubeletDeps): Promise<void> {
  const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
  if (grace <= maxStopTimeoutSeconds) return;
  await recordQuietly(
    deps.events,
    podEvent(
      pod,
      {
        type: 'Warning',
        reason: 'GracePeriodClamped',
        message: `terminationGracePeriodSeconds ${grace} exceeds ECS's longest stopTimeout; containers get ${maxStopTimeoutSeconds}s to stop`,
        component: 'kubelet',
      },
      new Date(deps.now()),
    ),
  );
}

/**
 * RunTask, with anything other than throttling (which is expected under a burst and says
 * nothing about the pod) told as a `FailedCreate` event before the retry, so a pod that keeps
 * failing to start shows why in `kubectl describe`.
 */
async function launchOrSay(first: PodRecord, node: Node, deps: KubeletDeps): Promise<LaunchResult> {
  const say = (message: string) =>
    recordQuietly(
      deps.events,
      podEvent(
        first.pod,
        {
          type: 'Warning',
          reason: 'FailedCreate',
          key: `launch|${first.taskGeneration}`,
          message: `Error creating the pod's ECS task (retrying): ${message}`,
          component: 'kubelet',
        },
        new Date(deps.now()),
      ),
    );
  try {
    const result = await deps.runtime.launchPod(first.pod, node, first.taskGeneration);
    if (result.kind === 'retry' && !result.throttled) await say(result.reason);
    return result;
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const text = error instanceof Error ? error.message : String(error);
    await say(`${name}: ${text}`);
    throw error;
  }
}

async function stop(first: PodRecord, deps: KubeletDeps): Promise<void> {
  const running = await deps.runtime.stopPod(first.pod, first.taskArn, 'Pod deleted');
  if (first.taskArn)
    await recordContainerEvents(
      deps.events,
      first.pod,
      {
        type: 'Normal',
        reason: 'Killing',
        key: first.taskArn,
        message: (c) => `Stopping container ${c.name}`,
      },
      new Date(deps.now()),
    );
  // With no task left to report STOPPED, nothing else will finish the deletion: do it here. A
  // tombstone (a pod removed while its task may still run) needed only the stop.
  if (running === 0 && !first.deleted) await deleteNow(first, deps);
}

async function deleteNow(first: PodRecord, deps: KubeletDeps): Promise<void> {
  await withFreshPod(first, deps.pods, async (record) => {
    await finishDeletion(record, deps.pods, deps.now());
  });
  await requeueUnschedulable(deps);
}

/**
 * status.hostIP: the address of the node the pod runs on, as the kubelet reports it. A Fargate
 * node has none; its pods take their task's own address (ecs/pod-status.ts).
 */
function onHost(pod: Pod, hostIP: string | undefined, podIP?: string): Pod {
  if (!hostIP) return pod;
  return {
    ...pod,
    status: {
      ...pod.status,
      hostIP,
      hostIPs: [{ ip: hostIP }],
      ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    },
  };
}

/** Waiting for the task just launched from `launched` (whose images its statuses name). */
function containerCreating(pod: Pod, now: string, launched: Pod): Pod {
  const images = new Map((launched.spec?.containers ?? []).map((c) => [c.name, c.image]));
  // With init containers, everything waits PodInitializing until they have run (kubectl: Init:0/N).
  const initContainerStatuses = initContainerStatusesAtLaunch(pod);
  const waiting = initContainerStatuses ? 'PodInitializing' : 'ContainerCreating';
  return {
    ...pod,
    status: {
      ...pod.status,
      // A pod whose containers ran before stays Running while they restart, as in Kubernetes.
      phase: pod.status?.phase === 'Running' ? 'Running' : 'Pending',
      startTime: pod.status?.startTime ?? now,
      conditions: withConditions(
        pod.status?.conditions,
        [
          initializedCondition(pod, initContainerStatuses),
          { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady' },
          { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
        ],
        now,
      ),
      containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: images.get(c.name) ?? c.image ?? '',
        imageID: '',
        ready: false,
        started: false,
        // A restarted container keeps its count and its last run.
        ...earlierRuns(pod, c.name),
        state: { waiting: { reason: waiting } },
      })),
      ...(initContainerStatuses ? { initContainerStatuses } : {}),
    },
  };
}

/** Fargate cannot run what the pod asks: the pod fails and says why, as a kubelet would. */
const failOnFargate = (first: PodRecord, problems: readonly string[], deps: KubeletDeps) =>
  failLaunch(first, 'FargateUnsupported', `Fargate cannot run this pod: ${problems.join('; ')}`, deps);

/**
 * ECS rejected the task itself (its definition or the RunTask request): no retry can succeed, so
 * the pod fails and says why instead of waiting for ever.
 */
async function failRefused(first: PodRecord, reason: string, deps: KubeletDeps): Promise<void> {
  if (await failLaunch(first, 'ECSRefused', `ECS refused to run this pod: ${reason}`, deps))
    deps.metrics?.count('PodsRefusedByEcs');
}

/**
 * The launch can never succeed: the pod fails with the reason in its status and a Warning event,
 * and its node capacity goes to whoever waits for it. Nothing is done for a record that is no
 * longer the launch it was (launched meanwhile, deleted, finished). True if the pod was failed.
 */
async function failLaunch(
  first: PodRecord,
  reason: string,
  message: string,
  deps: KubeletDeps,
): Promise<boolean> {
  let failed = false;
  await withFreshPod(first, deps.pods, async (record) => {
    failed = false;
    if (!launchStillOurs(record, first)) return;
    await deps.pods.finishPod(record, {
      ...record.pod,
      status: { ...record.pod.status, phase: 'Failed', reason, message },
    });
    failed = true;
  });
  if (!failed) return false;
  await recordQuietly(
    deps.events,
    podEvent(first.pod, { type: 'Warning', reason, message, component: 'kubelet' }, new Date(deps.now())),
  );
  await requeueUnschedulable(deps);
  return true;
}

/**
 * ECS found no room for the task on the pod's node (RESOURCE:*, AGENT): podplane's count of the
 * node and ECS's disagree, or the instance is going away. The pod leaves the node with its
 * capacity given back, says why as the scheduler would, and is scheduled again after a back-off
 * (or sooner, when capacity frees up), so it lands where ECS has room. Its next task takes a new
 * generation, and with it a new RunTask client token.
 */
async function unbindUnplaceable(
  first: PodRecord,
  nodeName: string,
  reason: string,
  deps: KubeletDeps,
): Promise<void> {
  const message = `0/1 nodes are available: ECS could not place the pod's task on node ${nodeName}: ${reason}`;
  let unbound: PodRecord | undefined;
  await withFreshPod(first, deps.pods, async (record) => {
    unbound = undefined;
    if (!launchStillOurs(record, first) || record.pod.spec?.nodeName !== nodeName) return;
    const steps = record.backOff?.kind === 'placement' ? record.backOff.steps + 1 : 1;
    const { nodeName: _node, ...spec } = record.pod.spec;
    const next = unschedulablePod(
      { ...record.pod, spec: { ...spec, containers: spec.containers ?? [] } },
      message,
      deps.now(),
    );
    unbound = await deps.pods.unbindPod(record, next, {
      taskGeneration: record.taskGeneration + 1,
      backOff: { kind: 'placement', steps },
    });
  });
  const record = unbound;
  if (!record) return;
  deps.metrics?.count('PodsUnplaceable');
  await recordQuietly(
    deps.events,
    podEvent(
      first.pod,
      { type: 'Warning', reason: 'FailedScheduling', message, component: 'kubelet' },
      new Date(deps.now()),
    ),
  );
  await schedulePodTimer(
    deps.timers,
    record.pod,
    { kind: 'requeue', generation: record.taskGeneration },
    backOffSeconds((record.backOff?.steps ?? 1) - 1),
  );
  // The capacity given back may be what another waiting pod needs; this one waits its back-off.
  await requeueUnschedulable(deps, undefined, record.pod.metadata?.uid);
}

/** The record is still the unlaunched generation this launch was for, and not being deleted. */
const launchStillOurs = (record: PodRecord, first: PodRecord) =>
  record.taskGeneration === first.taskGeneration &&
  !record.taskArn &&
  !record.pod.metadata?.deletionTimestamp &&
  !isFinished(record.pod);

/** The node vanished between binding and launch: fail the pod the way Kubernetes reports it. */
const markNodeLost = (first: PodRecord, nodeName: string, deps: KubeletDeps) =>
  failLaunch(first, 'NodeLost', `node "${nodeName}" no longer exists`, deps);
