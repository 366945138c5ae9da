import type { Profile } from './framework';
import { nodeName } from './plugins/node-name';
import { balancedAllocation, leastAllocated, nodeResourcesFit } from './plugins/node-resources-fit';
import { nodeUnschedulable } from './plugins/node-unschedulable';

/** The default-scheduler profile; filters run in Kubernetes' order. */
export const defaultProfile: Profile = {
  filters: [nodeUnschedulable, nodeName, nodeResourcesFit],
  scores: [leastAllocated, balancedAllocation],
};
