import type { Pod } from '../k8s';
import { cpuMillis, memoryBytes } from '../quantity';

/** What a pod asks of a node, as the scheduler's NodeResourcesFit counts it. */
export interface PodRequests {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
}

/**
 * Sum of the app containers' requests; an init container runs alone, so the pod needs the larger
 * of that sum and its biggest init container (Kubernetes' effective request).
 */
export function podRequests(pod: Pod): PodRequests {
  const sum = (pod.spec?.containers ?? []).reduce(
    (acc, c) => ({
      cpuMillis: acc.cpuMillis + cpuMillis(c.resources?.requests?.cpu),
      memoryBytes: acc.memoryBytes + memoryBytes(c.resources?.requests?.memory),
    }),
    { cpuMillis: 0, memoryBytes: 0 },
  );
  for (const init of pod.spec?.initContainers ?? []) {
    sum.cpuMillis = Math.max(sum.cpuMillis, cpuMillis(init.resources?.requests?.cpu));
    sum.memoryBytes = Math.max(sum.memoryBytes, memoryBytes(init.resources?.requests?.memory));
  }
  return sum;
}
