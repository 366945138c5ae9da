import type { Profile } from './framework';
import { nodeAffinity, nodeAffinityScore } from './plugins/node-affinity';
import { nodeName } from './plugins/node-name';
import { nodePorts } from './plugins/node-ports';
import { balancedAllocation } from './plugins/node-resources-balanced-allocation';
import {
  nodeResourcesFit,
  nodeResourcesFitScore,
  type ScoringStrategy,
  scoringStrategies,
} from './plugins/node-resources-fit';
import { nodeUnschedulable } from './plugins/node-unschedulable';
import { podTopologySpread, podTopologySpreadScore } from './plugins/pod-topology-spread';
import { taintToleration, taintTolerationScore } from './plugins/taint-toleration';

export type { ScoringStrategy } from './plugins/node-resources-fit';

export interface ProfileOptions {
  /** NodeResourcesFit's scoring strategy: LeastAllocated (default) spreads, MostAllocated bin-packs. */
  readonly scoringStrategy?: ScoringStrategy;
  /** Kubernetes' percentageOfNodesToScore, 0..100; 0 (default) adapts to the cluster size. */
  readonly percentageOfNodesToScore?: number;
}

/**
 * A default-scheduler profile: the filters in Kubernetes' order (NodeUnschedulable, NodeName,
 * TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit, PodTopologySpread) and the scores with
 * Kubernetes' default weights (TaintToleration 3, NodeAffinity 2, PodTopologySpread 2,
 * NodeResourcesFit 1, NodeResourcesBalancedAllocation 1).
 */
export function createProfile(options: ProfileOptions = {}): Profile {
  const { scoringStrategy = 'LeastAllocated', percentageOfNodesToScore } = options;
  if (!scoringStrategies.includes(scoringStrategy))
    throw new Error(
      `unknown scoring strategy ${JSON.stringify(scoringStrategy)}: use ${scoringStrategies.join(' or ')}`,
    );
  if (
    percentageOfNodesToScore !== undefined &&
    !(
      Number.isInteger(percentageOfNodesToScore) &&
      percentageOfNodesToScore >= 0 &&
      percentageOfNodesToScore <= 100
    )
  )
    throw new Error(
      `percentageOfNodesToScore must be an integer from 0 to 100, not ${percentageOfNodesToScore}`,
    );
  return {
    filters: [
      nodeUnschedulable,
      nodeName,
      taintToleration,
      nodeAffinity,
      nodePorts,
      nodeResourcesFit,
      podTopologySpread,
    ],
    scores: [
      taintTolerationScore,
      nodeAffinityScore,
      podTopologySpreadScore,
      nodeResourcesFitScore(scoringStrategy),
      balancedAllocation,
    ],
    ...(percentageOfNodesToScore === undefined ? {} : { percentageOfNodesToScore }),
  };
}

/** The default-scheduler profile: LeastAllocated, adaptive percentageOfNodesToScore. */
export const defaultProfile: Profile = createProfile();
