import type { Pod } from 'kubernetes-types/core/v1';
import type { PodRequests } from '../pod/requests';
import type { NodeInfo, SchedulingCycle } from './framework';
import { requiredNodeAffinity } from './node-selector';

const noLabels: Readonly<Record<string, string>> = {};

/** The per-pod state of one cycle, worked out once rather than once per node and plugin. */
export function newSchedulingCycle(
  pod: Pod,
  requests: PodRequests,
  nodes: readonly NodeInfo[],
): SchedulingCycle {
  return {
    pod,
    requests,
    nodes,
    namespace: pod.metadata?.namespace ?? 'default',
    labels: pod.metadata?.labels ?? noLabels,
    tolerations: pod.spec?.tolerations ?? [],
    requiredNodeAffinity: requiredNodeAffinity(pod),
  };
}
