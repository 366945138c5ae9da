import type { Container, Probe } from 'kubernetes-types/core/v1';

/**
 * ECS runs one health check per container, a command inside it. A pod's container may have up
 * to three probes; the check carries the one that matters most and the others follow it:
 * liveness (restart on failure) before startup before readiness. The role tells the status path
 * what an UNHEALTHY result means.
 */
export type HealthCheckRole = 'liveness' | 'startup' | 'readiness';

export interface EcsHealthCheck {
  readonly command: string[];
  readonly interval: number;
  readonly timeout: number;
  readonly retries: number;
  readonly startPeriod: number;
}

/** ECS's limits for container health checks (seconds, and attempts). */
export const ecsHealthCheckLimits = {
  interval: { min: 5, max: 300 },
  timeout: { min: 2, max: 60 },
  retries: { min: 1, max: 10 },
  startPeriod: { min: 0, max: 300 },
} as const;

const clamp = (value: number, limit: { min: number; max: number }) =>
  Math.min(limit.max, Math.max(limit.min, value));

/** The probes in the order the health check prefers them. */
export const healthCheckRoles: readonly HealthCheckRole[] = ['liveness', 'startup', 'readiness'];

/** Which of the container's probes its ECS health check runs, if any. */
export function healthCheckRole(container: Container): HealthCheckRole | undefined {
  return healthCheckRoles.find((role) => container[`${role}Probe`]);
}

export function carriedProbe(container: Container): Probe | undefined {
  const role = healthCheckRole(container);
  return role ? container[`${role}Probe`] : undefined;
}

/**
 * The probe as ECS's health check. A startup probe's whole budget (initial delay plus
 * period × failures) becomes the start period, during which ECS does not count failures, as
 * Kubernetes holds liveness checks until startup succeeds.
 */
export function toHealthCheck(container: Container): EcsHealthCheck | undefined {
  const probe = carriedProbe(container);
  if (!probe) return undefined;
  const command = probeCommand(probe, container);
  if (!command) return undefined;
  const startup = container.startupProbe;
  const startPeriod = startup
    ? (startup.initialDelaySeconds ?? 0) + (startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3)
    : (probe.initialDelaySeconds ?? 0);
  return {
    command,
    interval: clamp(probe.periodSeconds ?? 10, ecsHealthCheckLimits.interval),
    timeout: clamp(probe.timeoutSeconds ?? 1, ecsHealthCheckLimits.timeout),
    retries: clamp(probe.failureThreshold ?? 3, ecsHealthCheckLimits.retries),
    startPeriod: clamp(startPeriod, ecsHealthCheckLimits.startPeriod),
  };
}

/**
 * exec runs as is; httpGet and tcpSocket become a shell command run inside the container (ECS
 * has no network prober), trying the common tools an image may have. gRPC probes are refused at
 * admission, so they never get here.
 */
function probeCommand(probe: Probe, container: Container): string[] | undefined {
  if (probe.exec?.command?.length) return ['CMD', ...probe.exec.command];
  const timeout = Math.max(1, probe.timeoutSeconds ?? 1);
  if (probe.httpGet) {
    const get = probe.httpGet;
    const scheme = (get.scheme ?? 'HTTP').toLowerCase();
    const url = `${scheme}://${hostOf(get.host)}:${portOf(get.port, container)}${get.path?.startsWith('/') ? get.path : `/${get.path ?? ''}`}`;
    const headers = get.httpHeaders ?? [];
    const wget = [
      'wget -q -O /dev/null',
      `-T ${timeout}`,
      ...(scheme === 'https' ? ['--no-check-certificate'] : []),
      ...headers.map((h) => `--header ${shellQuote(`${h.name}: ${h.value}`)}`),
      shellQuote(url),
    ].join(' ');
    const curl = [
      'curl -fsS -o /dev/null',
      `-m ${timeout}`,
      ...(scheme === 'https' ? ['-k'] : []),
      ...headers.map((h) => `-H ${shellQuote(`${h.name}: ${h.value}`)}`),
      shellQuote(url),
    ].join(' ');
    return ['CMD-SHELL', `${wget} || ${curl}`];
  }
  if (probe.tcpSocket) {
    const host = hostOf(probe.tcpSocket.host);
    const port = portOf(probe.tcpSocket.port, container);
    const devTcp = shellQuote(`exec 3<>/dev/tcp/${host}/${port}`);
    return ['CMD-SHELL', `nc -z -w ${timeout} ${shellQuote(host)} ${port} || bash -c ${devTcp}`];
  }
  return undefined;
}

/** A probe without a host reaches the pod itself; from inside the container that is localhost. */
const hostOf = (host: string | undefined) => host || '127.0.0.1';

/** A named port is the container port of that name (validation made sure it exists). */
function portOf(port: number | string, container: Container): number {
  if (typeof port === 'number') return port;
  const named = container.ports?.find((p) => p.name === port)?.containerPort;
  return named ?? (Number(port) || 0);
}

const shellQuote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/**
 * How often the status path should look at a pod's health: its shortest health-check interval.
 * Undefined when no container has a probe.
 */
export function probePeriodSeconds(pod: { spec?: { containers?: Container[] } }): number | undefined {
  const intervals = (pod.spec?.containers ?? []).flatMap((c) => {
    const check = toHealthCheck(c);
    return check ? [check.interval] : [];
  });
  return intervals.length > 0 ? Math.min(...intervals) : undefined;
}
