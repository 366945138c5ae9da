import { taskReservation } from '../ecs/reservation';
import type { PodNetworking } from '../ecs/task-definition';
import type { Pod } from '../k8s';
import type { NodeInfo } from '../scheduler/framework';
import { podHostPorts, requestsOnNode } from '../scheduler/plugins/node-ports';
import type { PodRequests } from './requests';

/**
 * What a pod holds on the node it is bound to: what ECS will reserve for its task (not only its
 * Kubernetes requests, see reservation.ts) and, in bridge networking, the node ports it publishes.
 * The scheduler's bindings and a foreign scheduler's (pods/binding) take the same from a node.
 */
export function bindingRequests(pod: Pod, networking?: PodNetworking): PodRequests {
  const hostPorts = podHostPorts(pod, networking);
  return hostPorts.length > 0 ? { ...taskReservation(pod), hostPorts } : taskReservation(pod);
}

/** bindingRequests on one node (a Fargate node publishes no host port). */
export const requestsOfPodOn = (pod: Pod, node: NodeInfo['node'], networking?: PodNetworking) =>
  requestsOnNode(node, bindingRequests(pod, networking));

/** Why the kubelet turns a pod away: the pod's status reason and message. */
export interface AdmissionRejection {
  readonly reason: string;
  readonly message: string;
}

/**
 * The kubelet's admission check of a pod bound to its node: the pod count, cpu and memory in that
 * order (the first that does not fit decides, as in the kubelet), then the host ports. Reason and
 * message are the kubelet's (`OutOfcpu`, `Pod was rejected: Node didn't have enough resource: cpu,
 * requested: 3000, used: 1000, capacity: 4000`). Undefined when the node can hold the pod.
 */
export function kubeletAdmission(requests: PodRequests, node: NodeInfo): AdmissionRejection | undefined {
  const { allocatable, requested } = node;
  const short = [
    { resource: 'pods', requested: 1, used: requested.pods, capacity: allocatable.pods },
    {
      resource: 'cpu',
      requested: requests.cpuMillis,
      used: requested.cpuMillis,
      capacity: allocatable.cpuMillis,
    },
    {
      resource: 'memory',
      requested: requests.memoryBytes,
      used: requested.memoryBytes,
      capacity: allocatable.memoryBytes,
    },
  ].find((r) => r.requested > 0 && r.used + r.requested > r.capacity);
  if (short)
    return {
      reason: `OutOf${short.resource}`,
      message: `Pod was rejected: Node didn't have enough resource: ${short.resource}, requested: ${short.requested}, used: ${short.used}, capacity: ${short.capacity}`,
    };
  const taken = new Set(node.usedHostPorts ?? []);
  if ((requests.hostPorts ?? []).some((port) => taken.has(port)))
    return {
      reason: 'NodePorts',
      message:
        "Pod was rejected: Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports",
    };
  return undefined;
}
