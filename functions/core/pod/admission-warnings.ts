import type { Pod } from '../k8s';
import { probeWarnings } from './probe-warnings';

/**
 * What podplane accepts but honours differently from Kubernetes, returned as HTTP warnings on
 * create (kubectl prints them): probes (see probe-warnings.ts), and priorities, which the
 * scheduler does not use because it never preempts.
 */
export function admissionWarnings(pod: Pod): string[] {
  const spec = pod.spec;
  const priority =
    spec?.priorityClassName || spec?.priority !== undefined || spec?.preemptionPolicy
      ? [
          'spec.priorityClassName: podplane has no PriorityClasses and never preempts; pods are scheduled in the order they arrive',
        ]
      : [];
  return [...probeWarnings(pod), ...priority];
}
