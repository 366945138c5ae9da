import type { Container, Pod } from '../k8s';
import { cpuMillis, memoryBytes } from '../quantity';

/** What a pod asks of a node, as the scheduler's NodeResourcesFit (and NodePorts) count it. */
export interface PodRequests {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  /**
   * The node ports the pod publishes, `<protocol>/<port>` (see podHostPorts): held on the node
   * while the pod is bound, like cpu and memory. Absent or empty when it publishes none.
   */
  readonly hostPorts?: readonly string[];
}

/**
 * Kubernetes' effective request: app containers run together with the sidecars (init containers
 * with restartPolicy Always), and each other init container runs alone beside the sidecars
 * started before it, so the pod needs the larger of those two.
 */
export function podRequests(pod: Pod): PodRequests {
  const requestOf = (c: Container) => ({
    cpuMillis: cpuMillis(c.resources?.requests?.cpu),
    memoryBytes: memoryBytes(c.resources?.requests?.memory),
  });
  const add = (a: PodRequests, b: PodRequests) => ({
    cpuMillis: a.cpuMillis + b.cpuMillis,
    memoryBytes: a.memoryBytes + b.memoryBytes,
  });
  const max = (a: PodRequests, b: PodRequests) => ({
    cpuMillis: Math.max(a.cpuMillis, b.cpuMillis),
    memoryBytes: Math.max(a.memoryBytes, b.memoryBytes),
  });
  const none = { cpuMillis: 0, memoryBytes: 0 };
  let sidecars: PodRequests = none;
  let initPeak: PodRequests = none;
  for (const init of pod.spec?.initContainers ?? []) {
    if (init.restartPolicy === 'Always') sidecars = add(sidecars, requestOf(init));
    else initPeak = max(initPeak, add(sidecars, requestOf(init)));
  }
  const apps = (pod.spec?.containers ?? []).map(requestOf).reduce(add, none);
  return max(add(apps, sidecars), initPeak);
}
