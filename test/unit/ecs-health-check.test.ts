import type { Container } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import { healthCheckRole, probePeriodSeconds, toHealthCheck } from '../../functions/core/ecs/health-check';
import { toTaskDefinition } from '../../functions/core/ecs/task-definition';
import { withPodDefaults } from '../../functions/core/pod/defaults';

const exec = { exec: { command: ['cat', '/tmp/healthy'] } };
const container = (extra: Partial<Container>): Container => ({ name: 'app', image: 'nginx', ...extra });

describe('a probe as an ECS container health check', () => {
  it('runs an exec probe as a command, with its period, timeout, failures and initial delay', () => {
    const check = toHealthCheck(
      container({
        livenessProbe: {
          ...exec,
          periodSeconds: 15,
          timeoutSeconds: 3,
          failureThreshold: 4,
          initialDelaySeconds: 20,
        },
      }),
    );
    expect(check).toEqual({
      command: ['CMD', 'cat', '/tmp/healthy'],
      interval: 15,
      timeout: 3,
      retries: 4,
      startPeriod: 20,
    });
  });

  it("keeps timings within ECS's limits", () => {
    const check = toHealthCheck(
      container({
        livenessProbe: {
          ...exec,
          periodSeconds: 1,
          timeoutSeconds: 1,
          failureThreshold: 30,
          initialDelaySeconds: 900,
        },
      }),
    );
    expect(check).toMatchObject({ interval: 5, timeout: 2, retries: 10, startPeriod: 300 });
  });

  it('carries liveness before startup before readiness, and a startup budget becomes the start period', () => {
    const all = container({
      livenessProbe: exec,
      readinessProbe: { exec: { command: ['ready'] } },
      startupProbe: {
        exec: { command: ['started'] },
        periodSeconds: 5,
        failureThreshold: 6,
        initialDelaySeconds: 10,
      },
    });
    expect(healthCheckRole(all)).toBe('liveness');
    expect(toHealthCheck(all)).toMatchObject({ command: ['CMD', 'cat', '/tmp/healthy'], startPeriod: 40 });
    expect(healthCheckRole(container({ readinessProbe: exec, startupProbe: exec }))).toBe('startup');
    expect(healthCheckRole(container({ readinessProbe: exec }))).toBe('readiness');
    expect(healthCheckRole(container({}))).toBeUndefined();
    expect(toHealthCheck(container({}))).toBeUndefined();
  });

  it('runs an httpGet probe inside the container with wget or curl, a named port resolved', () => {
    const check = toHealthCheck(
      container({
        ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: {
          httpGet: { port: 'http', path: '/healthz', httpHeaders: [{ name: 'X-Probe', value: "it's me" }] },
          timeoutSeconds: 2,
        },
      }),
    );
    expect(check?.command[0]).toBe('CMD-SHELL');
    const script = check?.command[1] ?? '';
    expect(script).toContain(
      "wget -q -O /dev/null -T 2 --header 'X-Probe: it'\\''s me' 'http://127.0.0.1:8080/healthz'",
    );
    expect(script).toContain(
      "|| curl -fsS -o /dev/null -m 2 -H 'X-Probe: it'\\''s me' 'http://127.0.0.1:8080/healthz'",
    );
  });

  it('skips certificate checks for HTTPS probes, as the kubelet does', () => {
    const script =
      toHealthCheck(container({ livenessProbe: { httpGet: { port: 8443, scheme: 'HTTPS', path: 'live' } } }))
        ?.command[1] ?? '';
    expect(script).toContain("--no-check-certificate 'https://127.0.0.1:8443/live'");
    expect(script).toContain("-k 'https://127.0.0.1:8443/live'");
  });

  it('runs a tcpSocket probe with nc, or bash when the image has no nc', () => {
    expect(toHealthCheck(container({ livenessProbe: { tcpSocket: { port: 5432 } } }))?.command).toEqual([
      'CMD-SHELL',
      "nc -z -w 1 '127.0.0.1' 5432 || bash -c 'exec 3<>/dev/tcp/127.0.0.1/5432'",
    ]);
  });

  it("looks at a pod's health as often as its most frequent check", () => {
    expect(
      probePeriodSeconds({
        spec: {
          containers: [
            container({ livenessProbe: { ...exec, periodSeconds: 30 } }),
            container({ name: 'b', readinessProbe: { ...exec, periodSeconds: 12 } }),
          ],
        },
      }),
    ).toBe(12);
    expect(probePeriodSeconds({ spec: { containers: [container({})] } })).toBeUndefined();
  });

  it('puts the health check into the task definition', () => {
    const pod = withPodDefaults({
      metadata: { name: 'p', namespace: 'default' },
      spec: { containers: [container({ livenessProbe: exec })] },
    });
    const definition = toTaskDefinition(pod, { logGroup: 'g', region: 'us-east-1' });
    expect(definition.containerDefinitions[0]?.healthCheck).toEqual({
      command: ['CMD', 'cat', '/tmp/healthy'],
      interval: 10,
      timeout: 2,
      retries: 3,
      startPeriod: 0,
    });
  });
});
