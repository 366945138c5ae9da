import type { Pod } from '../k8s';
import { withCondition } from './conditions';

/**
 * The pod as a binding leaves it: on its node, PodScheduled True, and the binding's annotations
 * added (kube-apiserver's binding write, whoever the scheduler is).
 */
export function boundPod(
  pod: Pod,
  nodeName: string,
  now: string,
  annotations: Record<string, string> = {},
): Pod {
  const merged = { ...pod.metadata?.annotations, ...annotations };
  return {
    ...pod,
    ...(Object.keys(annotations).length > 0 ? { metadata: { ...pod.metadata, annotations: merged } } : {}),
    spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName },
    status: {
      ...pod.status,
      conditions: withCondition(pod.status?.conditions, { type: 'PodScheduled', status: 'True' }, now),
    },
  };
}
