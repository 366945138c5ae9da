import type { Node } from '../k8s';
import { cpuMillis, memoryBytes } from '../quantity';
import type { NodeResources } from '../scheduler/framework';
import { capacityAnnotation } from './from-container-instance';

/**
 * A Fargate pool as configuration describes it: it becomes one virtual node (as virtual-kubelet
 * and EKS on Fargate present Fargate), whose size bounds what the scheduler puts on it.
 */
export interface FargatePool {
  readonly name: string;
  readonly zone: string;
  /** Kubernetes quantities: the pool's total, e.g. "64" and "256Gi". */
  readonly cpu: string;
  readonly memory: string;
  readonly pods: number;
  readonly capacityProvider: 'FARGATE' | 'FARGATE_SPOT';
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly assignPublicIp: boolean;
}

/** Where a Fargate task goes: read back from the virtual node by the kubelet. */
export type FargateLaunch = Pick<
  FargatePool,
  'capacityProvider' | 'subnets' | 'securityGroups' | 'assignPublicIp'
>;

export const fargateLaunchAnnotation = 'podplane.dev/fargate-launch';

/** EKS marks Fargate nodes so: only pods that tolerate it (opt in) run on Fargate. */
export const fargateTaint = {
  key: 'eks.amazonaws.com/compute-type',
  value: 'fargate',
  effect: 'NoSchedule',
} as const;

export function nodeFromFargatePool(
  pool: FargatePool,
  now: string,
): { node: Node; allocatable: NodeResources } {
  const allocatable = {
    cpuMillis: cpuMillis(pool.cpu),
    memoryBytes: memoryBytes(pool.memory),
    pods: pool.pods,
  };
  const launch: FargateLaunch = {
    capacityProvider: pool.capacityProvider,
    subnets: pool.subnets,
    securityGroups: pool.securityGroups,
    assignPublicIp: pool.assignPublicIp,
  };
  const quantities = { cpu: pool.cpu, memory: pool.memory, pods: String(pool.pods) };
  return {
    allocatable,
    node: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: pool.name,
        labels: {
          'kubernetes.io/hostname': pool.name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'topology.kubernetes.io/zone': pool.zone,
          'node.kubernetes.io/instance-type': 'fargate',
          'eks.amazonaws.com/compute-type': 'fargate',
        },
        annotations: { [capacityAnnotation]: 'fargate', [fargateLaunchAnnotation]: JSON.stringify(launch) },
      },
      spec: { taints: [{ ...fargateTaint }] },
      status: {
        capacity: quantities,
        allocatable: quantities,
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'FargatePoolReady',
            message: 'Fargate capacity is available',
            lastHeartbeatTime: now,
            lastTransitionTime: now,
          },
        ],
        nodeInfo: {
          architecture: 'amd64',
          operatingSystem: 'linux',
          kubeletVersion: 'podplane',
          kubeProxyVersion: '',
          containerRuntimeVersion: 'ecs-fargate',
          kernelVersion: '',
          osImage: '',
          machineID: pool.name,
          systemUUID: pool.name,
          bootID: '',
        },
      },
    },
  };
}

/** The Fargate launch settings of a node, or undefined for an EC2 container instance. */
export function fargateLaunchOf(node: Node): FargateLaunch | undefined {
  const text = node.metadata?.annotations?.[fargateLaunchAnnotation];
  return text ? (JSON.parse(text) as FargateLaunch) : undefined;
}

/** `PODPLANE_FARGATE_POOLS`: a JSON list of pools; empty or absent means none. */
export function parseFargatePools(text: string | undefined): FargatePool[] {
  if (!text?.trim()) return [];
  const pools = JSON.parse(text) as Partial<FargatePool>[];
  if (!Array.isArray(pools)) throw new Error('PODPLANE_FARGATE_POOLS must be a JSON list of pools');
  return pools.map((pool, i) => {
    if (!pool.name || !pool.zone) throw new Error(`Fargate pool ${i} needs a name and a zone`);
    return {
      name: pool.name,
      zone: pool.zone,
      cpu: pool.cpu ?? '64',
      memory: pool.memory ?? '256Gi',
      pods: pool.pods ?? 100,
      capacityProvider: pool.capacityProvider ?? 'FARGATE',
      subnets: pool.subnets ?? [],
      securityGroups: pool.securityGroups ?? [],
      assignPublicIp: pool.assignPublicIp ?? false,
    };
  });
}
