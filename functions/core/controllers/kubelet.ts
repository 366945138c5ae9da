import { maxStopTimeoutSeconds, podFargateSize } from '../ecs/task-definition';
import { type EventRecorder, podEvent, recordContainerEvents, recordQuietly } from '../events';
import type { Pod } from '../k8s';
import type { PodMetrics } from '../metrics';
import { fargateLaunchOf } from '../nodes/fargate-pool';
import { withConditions } from '../pod/conditions';
import { fargateIncompatibilities } from '../pod/ecs-admission';
import { earlierRuns } from '../pod/restart';
import { podStage } from '../pod/stage';
import type { NodeStore, PodRecord, PodRuntime, PodStore, PodTimers } from '../ports';
import { scheduleDeadline } from './pod-deadline';
import { requeueUnschedulable } from './requeue';
import { RetryLater, withFreshPod } from './retry';

export interface KubeletDeps {
  readonly pods: PodStore;
  readonly nodes: NodeStore;
  readonly runtime: PodRuntime;
  readonly events: EventRecorder;
  /** For spec.activeDeadlineSeconds, which counts from the first launch. */
  readonly timers: PodTimers;
  readonly now: () => string;
  readonly metrics?: PodMetrics;
}

/**
 * What the kubelet does for one pod record: launch its task once bound, stop it once deleted.
 * A record seen twice is harmless: RunTask's client token returns the same task, and a pod that
 * already has its task (or is gone) is left alone.
 */
export async function syncPod(first: PodRecord, deps: KubeletDeps): Promise<void> {
  const stage = podStage(first.pod, first);
  if (stage === 'launch') await launch(first, deps);
  else if (stage === 'stop') await stop(first, deps);
}

async function launch(first: PodRecord, deps: KubeletDeps): Promise<void> {
  const nodeName = first.pod.spec?.nodeName ?? '';
  const node = await deps.nodes.getNode(nodeName);
  if (!node) return markNodeLost(first, nodeName, deps);
  if (fargateLaunchOf(node)) {
    const size = podFargateSize(first.pod);
    const problems = fargateIncompatibilities(first.pod);
    if (!size) problems.push('more than 16 vCPU or 120 GiB, the largest Fargate task');
    if (problems.length > 0) return failOnFargate(first, problems, deps);
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
  const result = await deps.runtime.launchPod(first.pod, node, first.taskGeneration);
  if (result.kind === 'retry' && result.throttled) deps.metrics?.count('RunTaskThrottled');
  if (result.kind === 'retry') throw new RetryLater(result.reason);
  await recordContainerEvents(
    deps.events,
    first.pod,
    { type: 'Normal', reason: 'Pulling', key: result.taskArn, message: (c) => `Pulling image "${c.image}"` },
    new Date(deps.now()),
  );
  const grace = first.pod.spec?.terminationGracePeriodSeconds ?? 30;
  if (grace > maxStopTimeoutSeconds)
    await recordQuietly(
      deps.events,
      podEvent(
        first.pod,
        {
          type: 'Warning',
          reason: 'GracePeriodClamped',
          message: `terminationGracePeriodSeconds ${grace} exceeds ECS's longest stopTimeout; containers get ${maxStopTimeoutSeconds}s to stop`,
          component: 'kubelet',
        },
        new Date(deps.now()),
      ),
    );
  if (first.taskGeneration === 0) await scheduleDeadline(first.pod, deps.timers);
  await withFreshPod(first, deps.pods, async (record) => {
    // A late record of an earlier generation got that generation's (stopped) task back from its
    // client token: it must not become the current task.
    if (record.taskArn || record.taskGeneration !== first.taskGeneration) return;
    // Deleted while we launched: keep the task's ARN so the stop stage finds it.
    const next = record.pod.metadata?.deletionTimestamp
      ? record.pod
      : containerCreating(record.pod, deps.now());
    await deps.pods.updatePod(record, next, { taskArn: result.taskArn });
    deps.metrics?.count('PodsLaunched');
  });
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
  // With no task left to report STOPPED, nothing else will finish the deletion: do it here.
  if (running === 0) await deleteNow(first, deps);
}

async function deleteNow(first: PodRecord, deps: KubeletDeps): Promise<void> {
  await withFreshPod(first, deps.pods, (record) => deps.pods.deletePod(record));
  await requeueUnschedulable(deps);
}

function containerCreating(pod: Pod, now: string): Pod {
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
          { type: 'Initialized', status: 'True' },
          { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady' },
          { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
        ],
        now,
      ),
      containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        ready: false,
        started: false,
        // A restarted container keeps its count and its last run.
        ...earlierRuns(pod, c.name),
        state: { waiting: { reason: 'ContainerCreating' } },
      })),
    },
  };
}

/** Fargate cannot run what the pod asks: the pod fails and says why, as a kubelet would. */
async function failOnFargate(
  first: PodRecord,
  problems: readonly string[],
  deps: KubeletDeps,
): Promise<void> {
  const message = `Fargate cannot run this pod: ${problems.join('; ')}`;
  await withFreshPod(first, deps.pods, async (record) => {
    await deps.pods.finishPod(record, {
      ...record.pod,
      status: { ...record.pod.status, phase: 'Failed', reason: 'FargateUnsupported', message },
    });
  });
  await recordQuietly(
    deps.events,
    podEvent(
      first.pod,
      { type: 'Warning', reason: 'FargateUnsupported', message, component: 'kubelet' },
      new Date(deps.now()),
    ),
  );
  await requeueUnschedulable(deps);
}

/** The node vanished between binding and launch: fail the pod the way Kubernetes reports it. */
async function markNodeLost(first: PodRecord, nodeName: string, deps: KubeletDeps): Promise<void> {
  await withFreshPod(first, deps.pods, async (record) => {
    const failed: Pod = {
      ...record.pod,
      status: {
        ...record.pod.status,
        phase: 'Failed',
        reason: 'NodeLost',
        message: `node "${nodeName}" no longer exists`,
      },
    };
    await deps.pods.finishPod(record, failed);
  });
  await requeueUnschedulable(deps);
}
