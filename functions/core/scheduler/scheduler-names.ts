import type { Pod } from '../k8s';

/** The name Kubernetes' own scheduler answers to, and what an unset spec.schedulerName defaults to. */
export const defaultSchedulerName = 'default-scheduler';

/** The scheduler a pod asks for: its spec.schedulerName, `default-scheduler` when unset. */
export const schedulerNameOf = (pod: Pod): string => pod.spec?.schedulerName || defaultSchedulerName;

/**
 * The names podplane's scheduler answers to, as kube-scheduler answers to its profiles' names:
 * `default-scheduler` and those configured (a comma-separated list; every name runs the default
 * profile). Pods asking for any other name are left to the scheduler of that name.
 */
export function schedulerNamesFrom(configured: string | undefined): string[] {
  const extra = (configured ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return [...new Set([defaultSchedulerName, ...extra])];
}
