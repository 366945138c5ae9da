import type { Pod, PodSpec } from '../../functions/core/k8s';
import type { NodeInfo, PodOnNode } from '../../functions/core/scheduler/framework';

export const Gi = 2 ** 30;
export const Mi = 2 ** 20;

/** A node as the scheduler sees it, described by only what a test cares about. */
export interface NodeShape {
  name: string;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  unschedulable?: boolean;
  cpu?: number;
  memory?: number;
  pods?: number;
  usedCpu?: number;
  usedMemory?: number;
  usedPods?: number;
  podsOnNode?: PodOnNode[];
}

/** Defaults: 4 CPU, 8 GiB, 110 pods, nothing used, labelled with its hostname. */
export const node = (n: NodeShape): NodeInfo => ({
  node: {
    metadata: { name: n.name, labels: n.labels ?? { 'kubernetes.io/hostname': n.name } },
    spec: { ...(n.unschedulable ? { unschedulable: true } : {}), ...(n.taints ? { taints: n.taints } : {}) },
  },
  allocatable: { cpuMillis: n.cpu ?? 4000, memoryBytes: n.memory ?? 8 * Gi, pods: n.pods ?? 110 },
  requested: { cpuMillis: n.usedCpu ?? 0, memoryBytes: n.usedMemory ?? 0, pods: n.usedPods ?? 0 },
  ...(n.podsOnNode ? { pods: n.podsOnNode } : {}),
});

/** A pod in `default` with one container requesting the given cpu and memory. */
export const pod = (cpu?: string, memory?: string, spec: Partial<PodSpec> = {}, name = 'web'): Pod => ({
  metadata: { name, namespace: 'default' },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'nginx',
        resources: { requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } },
      },
    ],
    ...spec,
  },
});
