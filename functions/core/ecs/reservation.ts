import type { Pod } from '../k8s';
import type { PodRequests } from '../pod/requests';
import { toContainerDefinitions } from './task-definition';
import type { ContainerDefinition } from './types';

/**
 * What ECS reserves on an instance for these containers, as its placement sums them: every
 * container (init containers too, as they are containers of the task) takes its `cpu` units and
 * its `memoryReservation`, or its `memory` where it has no reservation (ContainerDefinition's
 * documented rule). With `hardLimits`, the larger of the two: what a Fargate task's size must
 * hold so that every container may grow to its limit.
 */
export function containerReservation(
  containers: readonly ContainerDefinition[],
  hardLimits = false,
): { cpuUnits: number; memoryMiB: number } {
  let cpuUnits = 0;
  let memoryMiB = 0;
  for (const container of containers) {
    cpuUnits += container.cpu ?? 0;
    memoryMiB += hardLimits
      ? Math.max(container.memoryReservation ?? 0, container.memory ?? 0)
      : (container.memoryReservation ?? container.memory ?? 0);
  }
  return { cpuUnits, memoryMiB };
}

/**
 * What the scheduler counts for a pod on a node: exactly what ECS will reserve for the task
 * podplane emits for it, in the node's units. CPU units round up to millicores, so the sum the
 * scheduler admits never exceeds what the instance registered (its allocatable rounds down).
 * Kubernetes' own requests (what `kubectl describe node` adds up) can be less: ECS reserves
 * 128 MiB for a container without a memory figure, and runs init containers beside the others.
 */
export function taskReservation(pod: Pod): PodRequests {
  const { cpuUnits, memoryMiB } = containerReservation(
    toContainerDefinitions(pod, { logGroup: '', region: '' }),
  );
  return { cpuMillis: Math.ceil((cpuUnits * 1000) / 1024), memoryBytes: memoryMiB * 2 ** 20 };
}
