import { taskReservation } from '../ecs/reservation';
import type { PodNetworking } from '../ecs/task-definition';
import { type EventRecorder, podEvent, recordQuietly } from '../events';
import type { Pod } from '../k8s';
import { latencySinceCreation, noPodMetrics, type PodMetrics } from '../metrics';
import { withCondition } from '../pod/conditions';
import type { PodRequests } from '../pod/requests';
import { isFinished, podStage } from '../pod/stage';
import { ConflictError, type NodeStore, type PodRecord, type PodStore } from '../ports';
import { type NodeInfo, type PodOnNode, type Profile, schedulePod } from '../scheduler/framework';
import { podHostPorts, requestsOnNode } from '../scheduler/plugins/node-ports';
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
}

/**
 * A scheduler for one batch: it reads the nodes once and keeps that view current as pods bind.
 * Binding is a transaction conditioned on the pod being unbound and the node having room, so
 * any number of schedulers at once never overcommit; a lost race reads again and retries.
 */
export function createScheduler(deps: SchedulerDeps) {
  const metrics = deps.metrics ?? noPodMetrics;
  let nodes: readonly NodeInfo[] | undefined;
  const reserve = (nodeName: string, requests: PodRequests, sign: 1 | -1) => {
    nodes = nodes?.map((n) => (n.node.metadata?.name === nodeName ? withRequested(n, requests, sign) : n));
  };
  const refreshNodes = async () => {
    nodes = await deps.nodes.listNodes();
    return nodes;
  };
  // Pods bound to each node, by namespace: read only for pods with topology spread constraints
  // (which count same-namespace pods), so reading nodes does not grow with the number of pods.
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
  return {
    async schedule(first: PodRecord): Promise<void> {
      let record: PodRecord | undefined = first;
      for (let attempt = 0; record && wantsScheduling(record); attempt++) {
        if (attempt >= 8)
          throw new RetryLater(`could not bind ${record.pod.metadata?.name} after ${attempt} attempts`);
        if (!nodes) await refreshNodes();
        // What ECS will reserve for the pod's task, not only its Kubernetes requests (reservation.ts),
        // and the node ports it publishes (none in awsvpc networking).
        const hostPorts = podHostPorts(record.pod, deps.networking);
        const requests: PodRequests =
          hostPorts.length > 0 ? { ...taskReservation(record.pod), hostPorts } : taskReservation(record.pod);
        const spreading = record.pod.spec?.topologySpreadConstraints?.length
          ? await podsOfNamespace(record.pod.metadata?.namespace ?? 'default')
          : undefined;
        // From here to the reservation nothing awaits: concurrent schedules of one batch decide
        // one after another against a view that already holds each other's choices.
        const view = nodes ?? [];
        const candidates = spreading
          ? view.map((n) => ({ ...n, pods: spreading.get(n.node.metadata?.name ?? '') ?? [] }))
          : view;
        const result = schedulePod(record.pod, requests, candidates, deps.profile);
        if (result.kind === 'unschedulable') {
          if ((await markUnschedulable(record, result.message, deps)) === 'written') {
            metrics.count('PodsUnschedulable');
            await announce(record.pod, 'Warning', 'FailedScheduling', result.message, deps);
            return;
          }
          record = await reload(record, deps);
          continue;
        }
        const node = view.find((n) => n.node.metadata?.name === result.nodeName) as NodeInfo;
        const held = requestsOnNode(node.node, requests);
        // Kubernetes' "assume": the node holds the pod in the view while the binding is written.
        reserve(result.nodeName, held, 1);
        const outcome = await deps.pods.bindPod(
          record,
          boundPod(record.pod, result.nodeName, deps.now()),
          node,
          held,
        );
        if (outcome === 'bound') {
          metrics.count('PodsScheduled');
          latencySinceCreation(metrics, 'SchedulingLatency', record.pod, deps.now());
          const namespace = record.pod.metadata?.namespace ?? 'default';
          const byNode = boundPods.get(namespace);
          byNode?.set(result.nodeName, [
            ...(byNode.get(result.nodeName) ?? []),
            { namespace, labels: record.pod.metadata?.labels ?? {} },
          ]);
          await announce(
            record.pod,
            'Normal',
            'Scheduled',
            `Successfully assigned ${namespace}/${record.pod.metadata?.name} to ${result.nodeName}`,
            deps,
          );
          return;
        }
        reserve(result.nodeName, held, -1);
        // A port another binding took counts as a full node too: read the nodes again.
        if (outcome === 'node-full') await refreshNodes();
        else if (outcome === 'pod-changed') record = await reload(record, deps);
        // Another binding touched the node at the same moment: step aside briefly (jittered, so
        // the two do not collide again in lockstep), then decide again.
        else await new Promise((resolve) => setTimeout(resolve, (10 + Math.random() * 40) * (attempt + 1)));
      }
    },
  };
}

/** Unbound and not being deleted, and either new or handed back by a requeue. */
function wantsScheduling(record: PodRecord): boolean {
  if (record.pod.spec?.nodeName || record.pod.metadata?.deletionTimestamp) return false;
  return podStage(record.pod, record) === 'schedule' || record.stage === 'schedule';
}

function announce(
  pod: Pod,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  deps: SchedulerDeps,
) {
  const event = podEvent(
    pod,
    { type, reason, message, component: 'default-scheduler' },
    new Date(deps.now()),
  );
  return recordQuietly(deps.events, event);
}

function boundPod(pod: Pod, nodeName: string, now: string): Pod {
  return {
    ...pod,
    spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName },
    status: {
      ...pod.status,
      conditions: withCondition(pod.status?.conditions, { type: 'PodScheduled', status: 'True' }, now),
    },
  };
}

async function markUnschedulable(
  record: PodRecord,
  message: string,
  deps: SchedulerDeps,
): Promise<'written' | 'conflict'> {
  const condition = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message };
  const next: Pod = {
    ...record.pod,
    status: {
      ...record.pod.status,
      phase: 'Pending',
      conditions: withCondition(record.pod.status?.conditions, condition, deps.now()),
    },
  };
  try {
    await deps.pods.updatePod(record, next);
    return 'written';
  } catch (error) {
    if (error instanceof ConflictError) return 'conflict';
    throw error;
  }
}

const reload = (record: PodRecord, deps: SchedulerDeps) =>
  deps.pods.getPod(record.pod.metadata?.namespace ?? 'default', record.pod.metadata?.name ?? '', true);

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
