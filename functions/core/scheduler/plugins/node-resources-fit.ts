import type { FilterPlugin, NodeInfo, ScorePlugin } from '../framework';
import { maxNodeScore } from '../normalize';
import { nonZeroRequests } from '../resources';

export const tooManyPods = 'Too many pods';
export const insufficientCpu = 'Insufficient cpu';
export const insufficientMemory = 'Insufficient memory';

/**
 * The node must have room for one more pod and for the pod's requests (Kubernetes' fitsRequest):
 * a pod that requests no cpu or memory only needs a pod slot. Every shortfall is a reason.
 */
export const nodeResourcesFit: FilterPlugin = {
  name: 'NodeResourcesFit',
  preFilter({ requests }) {
    const { cpuMillis, memoryBytes } = requests;
    return {
      filter: ({ allocatable, requested }) => {
        const noPodSlot = requested.pods + 1 > allocatable.pods;
        const noCpu = cpuMillis > 0 && cpuMillis > allocatable.cpuMillis - requested.cpuMillis;
        const noMemory = memoryBytes > 0 && memoryBytes > allocatable.memoryBytes - requested.memoryBytes;
        if (!noPodSlot && !noCpu && !noMemory) return undefined;
        const reasons: string[] = [];
        if (noPodSlot) reasons.push(tooManyPods);
        if (noCpu) reasons.push(insufficientCpu);
        if (noMemory) reasons.push(insufficientMemory);
        return reasons;
      },
    };
  },
};

/**
 * NodeResourcesFit's scoringStrategy.type. LeastAllocated (Kubernetes' default) prefers the
 * emptiest node and spreads load; MostAllocated prefers the fullest one that fits, packing pods
 * onto fewer nodes (fewer EC2 instances to pay for).
 */
export type ScoringStrategy = 'LeastAllocated' | 'MostAllocated';
export const scoringStrategies: readonly ScoringStrategy[] = ['LeastAllocated', 'MostAllocated'];

/** Kubernetes' default scoringStrategy.resources: cpu and memory, weight 1 each. */
const cpuWeight = 1;
const memoryWeight = 1;

/** ((capacity - requested) * 100) / capacity, 0 when full or over (Kubernetes' leastRequestedScore). */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.floor(((capacity - requested) * maxNodeScore) / capacity);
}

/** (requested * 100) / capacity, capped at full (Kubernetes' mostRequestedScore). */
export function mostRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  return Math.floor((Math.min(requested, capacity) * maxNodeScore) / capacity);
}

/**
 * NodeResourcesFit's score: per resource, what the node would hold with the pod (the pod counted
 * with the non-zero defaults for requests it does not state), weighted and averaged with Go's
 * integer division; a resource the node has none of is left out.
 */
export function nodeResourcesFitScore(strategy: ScoringStrategy = 'LeastAllocated'): ScorePlugin {
  const resourceScore = strategy === 'MostAllocated' ? mostRequestedScore : leastRequestedScore;
  return {
    name: 'NodeResourcesFit',
    weight: 1,
    preScore({ pod }) {
      const pending = nonZeroRequests(pod);
      return {
        score: ({ allocatable, requested }: NodeInfo) => {
          let sum = 0;
          let weights = 0;
          if (allocatable.cpuMillis !== 0) {
            sum += cpuWeight * resourceScore(requested.cpuMillis + pending.cpuMillis, allocatable.cpuMillis);
            weights += cpuWeight;
          }
          if (allocatable.memoryBytes !== 0) {
            sum +=
              memoryWeight *
              resourceScore(requested.memoryBytes + pending.memoryBytes, allocatable.memoryBytes);
            weights += memoryWeight;
          }
          return weights === 0 ? 0 : Math.floor(sum / weights);
        },
      };
    },
  };
}

export const leastAllocated = nodeResourcesFitScore('LeastAllocated');
export const mostAllocated = nodeResourcesFitScore('MostAllocated');
