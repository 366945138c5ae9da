import type { Pod } from './k8s';

/**
 * The CloudWatch namespace and `service` dimension of every podplane metric. One service for
 * all functions (not one per function, as the logger's service is), so a metric such as
 * PodsScheduled is one series whichever Lambda emitted it; the dashboard reads these too.
 */
export const metricsNamespace = 'podplane';
export const metricsService = 'podplane';

/** Every metric podplane emits, by name, with its CloudWatch unit. */
export const podMetricNames = {
  /** The apiserver stored a new pod (HTTP 201). */
  PodsCreated: 'Count',
  /** The scheduler bound a pod to a node. */
  PodsScheduled: 'Count',
  /** A scheduling attempt found no node; a requeued pod that still fits nowhere counts again. */
  PodsUnschedulable: 'Count',
  /** The kubelet recorded a pod's ECS task. */
  PodsLaunched: 'Count',
  /** RunTask was rate-limited or throttled; the record is retried. */
  RunTaskThrottled: 'Count',
  /** ECS rejected a pod's task definition or RunTask request; the pod failed with the reason. */
  PodsRefusedByEcs: 'Count',
  /** ECS found no room on the pod's node (RunTask failures[]); the pod was scheduled again. */
  PodsUnplaceable: 'Count',
  /** A container was restarted under the pod's restartPolicy. */
  PodRestarts: 'Count',
  /** From the pod's creationTimestamp to its binding. */
  SchedulingLatency: 'Milliseconds',
  /** From the pod's creationTimestamp to its first Running, once per pod. */
  StartupLatency: 'Milliseconds',
} as const;

export type PodMetricName = keyof typeof podMetricNames;
export type PodCountName = {
  [K in PodMetricName]: (typeof podMetricNames)[K] extends 'Count' ? K : never;
}[PodMetricName];
export type PodLatencyName = Exclude<PodMetricName, PodCountName>;

/** Where controllers report what happened to pods; CloudWatch metrics on Lambda. */
export interface PodMetrics {
  count(name: PodCountName, n?: number): void;
  latency(name: PodLatencyName, ms: number): void;
}

export const noPodMetrics: PodMetrics = { count: () => undefined, latency: () => undefined };

/**
 * Milliseconds from the pod's creation to `now`. creationTimestamp has whole seconds (as in
 * Kubernetes, whose pod startup SLI measures from it too), so this reads up to a second long.
 */
export function sinceCreation(pod: Pod, now: string): number | undefined {
  const created = Date.parse(pod.metadata?.creationTimestamp ?? '');
  const at = Date.parse(now);
  if (Number.isNaN(created) || Number.isNaN(at)) return undefined;
  return Math.max(0, at - created);
}

/** Records a latency from the pod's creation to `now`, if the pod says when it was created. */
export function latencySinceCreation(
  metrics: PodMetrics | undefined,
  name: PodLatencyName,
  pod: Pod,
  now: string,
): void {
  const ms = sinceCreation(pod, now);
  if (ms !== undefined) (metrics ?? noPodMetrics).latency(name, ms);
}

/**
 * Whether this change is the pod's first Running: StartupLatency counts once per pod, not again
 * after a restart (a container that ran before shows a restart count or a last state).
 */
export function isFirstRunning(before: Pod, after: Pod): boolean {
  if (after.status?.phase !== 'Running' || before.status?.phase === 'Running') return false;
  return !(before.status?.containerStatuses ?? []).some(
    (c) => (c.restartCount ?? 0) > 0 || c.lastState?.terminated || c.state?.running || c.state?.terminated,
  );
}
