import { ecsHealthCheckLimits, healthCheckRole, healthCheckRoles } from '../ecs/health-check';
import type { Container, Pod } from '../k8s';

/**
 * How podplane honours a pod's probes, where that differs from a kubelet: said at admission as
 * HTTP warnings (kubectl prints them), so nothing is silently ignored. The pod is accepted.
 */
export function probeWarnings(pod: Pod): string[] {
  const warnings: string[] = [];
  (pod.spec?.containers ?? []).forEach((container, i) => {
    warnings.push(...containerProbeWarnings(container, `spec.containers[${i}]`));
  });
  return warnings;
}

function containerProbeWarnings(container: Container, path: string): string[] {
  const role = healthCheckRole(container);
  if (!role) return [];
  const carried = `${role}Probe`;
  const warnings: string[] = [];
  for (const kind of healthCheckRoles.map((role) => `${role}Probe` as const)) {
    const probe = container[kind];
    if (!probe) continue;
    const at = `${path}.${kind}`;
    if (kind !== carried) {
      warnings.push(
        kind === 'startupProbe'
          ? `${at}: ECS runs one health check per container; the startup probe is not run, its initialDelaySeconds + periodSeconds × failureThreshold becomes the ${carried}'s start period`
          : `${at}: ECS runs one health check per container; it runs the ${carried}, and readiness follows that check`,
      );
      continue;
    }
    if (probe.httpGet)
      warnings.push(
        `${at}.httpGet: runs inside the container as a health-check command with wget or curl; the image must have one of them`,
      );
    if (probe.tcpSocket)
      warnings.push(
        `${at}.tcpSocket: runs inside the container as a health-check command with nc or bash; the image must have one of them`,
      );
    const period = probe.periodSeconds ?? 10;
    const { interval, timeout, retries } = ecsHealthCheckLimits;
    if (period < interval.min || period > interval.max)
      warnings.push(
        `${at}.periodSeconds: ECS checks every ${interval.min} to ${interval.max} seconds; ${period} becomes ${Math.min(interval.max, Math.max(interval.min, period))}`,
      );
    if ((probe.timeoutSeconds ?? 1) > timeout.max)
      warnings.push(`${at}.timeoutSeconds: ECS waits at most ${timeout.max} seconds for a check`);
    if ((probe.failureThreshold ?? 3) > retries.max)
      warnings.push(`${at}.failureThreshold: ECS retries a check at most ${retries.max} times`);
    if ((probe.successThreshold ?? 1) > 1)
      warnings.push(`${at}.successThreshold: ECS has no success threshold; one passing check counts`);
    if (probe.terminationGracePeriodSeconds !== undefined)
      warnings.push(
        `${at}.terminationGracePeriodSeconds: not supported; the pod's terminationGracePeriodSeconds applies`,
      );
  }
  return warnings;
}
