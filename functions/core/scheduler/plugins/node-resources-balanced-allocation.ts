import type { ScorePlugin } from '../framework';
import { maxNodeScore } from '../normalize';

/**
 * Prefers nodes whose cpu and memory stay evenly used once the pod is placed:
 * (1 - std) * 100, std the standard deviation of the used fractions — for two resources
 * |cpu - memory| / 2 (Kubernetes' balancedResourceScorer since v1.23). It counts what pods
 * actually request (no non-zero defaults) and skips best-effort pods, which request nothing,
 * so they do not all pile onto one node (kubernetes#129138).
 */
export const balancedAllocation: ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation',
  weight: 1,
  preScore({ requests }) {
    if (requests.cpuMillis === 0 && requests.memoryBytes === 0) return undefined;
    return {
      score: ({ allocatable, requested }) => {
        // A resource the node has none of is left out; with one fraction left, std is 0.
        if (allocatable.cpuMillis === 0 || allocatable.memoryBytes === 0) return maxNodeScore;
        const cpu = Math.min(1, (requested.cpuMillis + requests.cpuMillis) / allocatable.cpuMillis);
        const memory = Math.min(1, (requested.memoryBytes + requests.memoryBytes) / allocatable.memoryBytes);
        const std = Math.abs((cpu - memory) / 2);
        return Math.trunc((1 - std) * maxNodeScore);
      },
    };
  },
};
