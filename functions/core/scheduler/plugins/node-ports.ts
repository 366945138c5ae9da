import type { Node, Pod } from 'kubernetes-types/core/v1';
import type { PodNetworking } from '../../ecs/task-definition';
import { fargateLaunchAnnotation } from '../../nodes/fargate-pool';
import type { PodRequests } from '../../pod/requests';
import type { FilterPlugin } from '../framework';

/** Kubernetes' NodePorts ErrReason. */
export const nodePortsReason = "node(s) didn't have free ports for the requested pod ports";
const rejected = [nodePortsReason];

/**
 * The ports a pod publishes on its node, `<protocol>/<port>`, sorted and without repeats. Only in
 * bridge networking: in awsvpc every task has its own ENI, so a hostPort takes no port of the
 * node (the task definition drops it) and no two pods can clash.
 *
 * Unlike Kubernetes' GetHostPorts, every init container counts, not only sidecars: they are
 * containers of the pod's one ECS task, whose port mappings ECS reserves for the whole task. The
 * protocol is the one ECS publishes: UDP, or TCP for TCP and SCTP alike (the task definition maps
 * SCTP to tcp). hostIP is left out: podplane publishes on 0.0.0.0, which clashes with any address.
 */
export function podHostPorts(pod: Pod, networking: PodNetworking = 'awsvpc'): string[] {
  if (networking !== 'bridge') return [];
  const ports = new Set<string>();
  for (const container of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])])
    for (const port of container.ports ?? [])
      if (port.hostPort !== undefined && port.hostPort > 0)
        ports.add(`${port.protocol === 'UDP' ? 'UDP' : 'TCP'}/${port.hostPort}`);
  return [...ports].sort();
}

/**
 * What a pod holds on the node it binds to. A Fargate node (a pool of tasks, each with its own
 * ENI whatever podNetworking says) publishes no host port, so the ports stay with EC2 nodes.
 */
export function requestsOnNode(node: Node, requests: PodRequests): PodRequests {
  if (!requests.hostPorts?.length || node.metadata?.annotations?.[fargateLaunchAnnotation] === undefined)
    return requests;
  const { hostPorts: _published, ...resources } = requests;
  return resources;
}

/**
 * Kubernetes' NodePorts: a node fits when none of the host ports the pod publishes (in its
 * requests, from podHostPorts) is already taken there. A pod that publishes none skips the plugin.
 */
export const nodePorts: FilterPlugin = {
  name: 'NodePorts',
  preFilter({ requests }) {
    const wanted = requests.hostPorts;
    if (!wanted || wanted.length === 0) return {};
    return {
      filter: ({ usedHostPorts }) => {
        if (!usedHostPorts || usedHostPorts.length === 0) return undefined;
        for (const port of wanted) if (usedHostPorts.includes(port)) return rejected;
        return undefined;
      },
    };
  },
};
