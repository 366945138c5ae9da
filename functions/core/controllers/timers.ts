import { probePeriodSeconds } from '../ecs/health-check';
import type { Pod } from '../k8s';
import type { PodTimer, PodTimers } from '../ports';

/** Sends a timer about this pod: it names the pod by namespace, name and uid, as every timer does. */
export function schedulePodTimer(
  timers: PodTimers,
  pod: Pod,
  timer: Omit<PodTimer, 'namespace' | 'name' | 'uid'>,
  delaySeconds: number,
): Promise<void> {
  return timers.schedule(
    {
      ...timer,
      namespace: pod.metadata?.namespace ?? 'default',
      name: pod.metadata?.name ?? '',
      uid: pod.metadata?.uid ?? '',
    },
    delaySeconds,
  );
}

/**
 * The next look at a pod's health, one probe period from now (ECS does not announce health
 * changes reliably). Nothing for a pod without probes.
 */
export async function scheduleProbe(timers: PodTimers, pod: Pod, generation: number, tick: number) {
  const period = probePeriodSeconds(pod);
  if (period !== undefined) await schedulePodTimer(timers, pod, { kind: 'probe', generation, tick }, period);
}
