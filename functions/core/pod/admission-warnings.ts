import type { PodNetworking } from '../ecs/task-definition';
import type { Pod } from '../k8s';
import { fargateTaint } from '../nodes/fargate-pool';
import { probeWarnings } from './probe-warnings';

/**
 * What podplane accepts but honours differently from Kubernetes, returned as HTTP warnings on
 * create (kubectl prints them): probes (see probe-warnings.ts), and priorities, which the
 * scheduler does not use because it never preempts.
 */
export function admissionWarnings(pod: Pod, networking?: PodNetworking): string[] {
  const spec = pod.spec;
  const priority =
    spec?.priorityClassName || spec?.priority !== undefined || spec?.preemptionPolicy
      ? [
          'spec.priorityClassName: podplane has no PriorityClasses and never preempts; pods are scheduled in the order they arrive',
        ]
      : [];
  return [
    ...probeWarnings(pod),
    ...priority,
    ...networkingWarnings(pod, networking),
    ...fargateWarnings(pod),
  ];
}

/** What a pod's networking fields mean under the cluster's podNetworking. */
function networkingWarnings(pod: Pod, networking: PodNetworking | undefined): string[] {
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const hostPorts = containers.flatMap((c) => (c.ports ?? []).filter((p) => p.hostPort));
  const warnings: string[] = [];
  if (networking === 'awsvpc') {
    if (pod.spec?.hostname)
      warnings.push(
        'spec.hostname: not applied; with awsvpc networking ECS names the task after its network interface',
      );
    if (hostPorts.length > 0)
      warnings.push(
        "hostPort: with awsvpc networking the pod has its own address, which serves each containerPort; nothing is published on the node's address",
      );
  }
  if (networking === 'bridge' && containers.some((c) => c.ports?.length))
    warnings.push(
      "podplane:podNetworking is bridge: the pod shares its node's address (status.podIP), and each containerPort is published on a host port of the node (dynamic unless hostPort is set), listed in the pod's podplane.dev/host-ports annotation",
    );
  return warnings;
}

/** Fields Fargate does not accept, translated rather than refused, for pods that may run there. */
function fargateWarnings(pod: Pod): string[] {
  const mayRunOnFargate = (pod.spec?.tolerations ?? []).some(
    (t) => t.key === fargateTaint.key || (t.key === undefined && t.operator === 'Exists'),
  );
  if (!mayRunOnFargate) return [];
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  return containers
    .filter((c) => c.securityContext?.allowPrivilegeEscalation === false)
    .map(
      (c) =>
        `spec.containers[${c.name}].securityContext.allowPrivilegeEscalation: on Fargate, which has no no-new-privileges option, the container runs without it`,
    );
}
