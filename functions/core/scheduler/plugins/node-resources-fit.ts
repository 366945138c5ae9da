import type { FilterPlugin, NodeInfo, ScorePlugin } from '../framework';

/** The node must have room for the pod's requests and one more pod. */
export const nodeResourcesFit: FilterPlugin = {
  name: 'NodeResourcesFit',
  filter(_pod, requests, { allocatable, requested }) {
    const reasons: string[] = [];
    if (requested.pods + 1 > allocatable.pods) reasons.push('Too many pods');
    if (requests.cpuMillis > 0 && requested.cpuMillis + requests.cpuMillis > allocatable.cpuMillis)
      reasons.push('Insufficient cpu');
    if (requests.memoryBytes > 0 && requested.memoryBytes + requests.memoryBytes > allocatable.memoryBytes)
      reasons.push('Insufficient memory');
    return reasons;
  },
};

// Pods that request nothing still count for scoring, as Kubernetes' non-zero defaults do.
const defaultCpuMillis = 100;
const defaultMemoryBytes = 200 * 2 ** 20;

function fractions(requests: { cpuMillis: number; memoryBytes: number }, node: NodeInfo) {
  const cpu = node.requested.cpuMillis + (requests.cpuMillis || defaultCpuMillis);
  const memory = node.requested.memoryBytes + (requests.memoryBytes || defaultMemoryBytes);
  return {
    cpu: node.allocatable.cpuMillis > 0 ? Math.min(1, cpu / node.allocatable.cpuMillis) : 1,
    memory: node.allocatable.memoryBytes > 0 ? Math.min(1, memory / node.allocatable.memoryBytes) : 1,
  };
}

/** LeastAllocated: prefer the emptiest node, which spreads load (Kubernetes' default strategy). */
export const leastAllocated: ScorePlugin = {
  name: 'NodeResourcesFit',
  weight: 1,
  score(_pod, requests, node) {
    const f = fractions(requests, node);
    return ((1 - f.cpu) * 100 + (1 - f.memory) * 100) / 2;
  },
};

/** BalancedAllocation: prefer nodes whose cpu and memory use stay even after placing the pod. */
export const balancedAllocation: ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation',
  weight: 1,
  score(_pod, requests, node) {
    const f = fractions(requests, node);
    return (1 - Math.abs(f.cpu - f.memory) / 2) * 100;
  },
};
