import { randomUUID } from 'node:crypto';
import type { Node, Pod } from '../functions/core/k8s';
import { qosClass, withPodDefaults } from '../functions/core/pod/defaults';
import type { NodeInfo } from '../functions/core/scheduler/framework';

/** A pod as the apiserver would store it: defaulted, with uid, Pending. */
export function storedPod(
  name: string,
  options: { cpu?: string; memory?: string; namespace?: string; annotations?: Record<string, string> } = {},
): Pod {
  const requests: Record<string, string> = {};
  if (options.cpu) requests.cpu = options.cpu;
  if (options.memory) requests.memory = options.memory;
  const pod = withPodDefaults({
    metadata: {
      name,
      namespace: options.namespace ?? 'default',
      uid: randomUUID(),
      creationTimestamp: new Date().toISOString(),
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec: {
      containers: [{ name: 'app', image: 'public.ecr.aws/nginx/nginx:1.27', resources: { requests } }],
    },
  });
  return { ...pod, status: { phase: 'Pending', qosClass: qosClass(pod) } };
}

export function nodeObject(name: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: {},
    status: {},
  };
}

export function nodeInfo(
  name: string,
  cpuMillis: number,
  memoryBytes: number,
  requested = { cpuMillis: 0, memoryBytes: 0, pods: 0 },
): NodeInfo {
  return { node: nodeObject(name), allocatable: { cpuMillis, memoryBytes, pods: 110 }, requested };
}

export const GiB = 2 ** 30;
