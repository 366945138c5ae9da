import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '../../functions/core/k8s';
import { ecsAdmissionErrors } from '../../functions/core/pod/ecs-admission';
import { probeWarnings } from '../../functions/core/pod/probe-warnings';

const pod = (container: Partial<Container>): Pod => ({
  metadata: { name: 'p', namespace: 'team' },
  spec: { containers: [{ name: 'app', image: 'nginx', ...container }] },
});
const exec = { exec: { command: ['true'] } };

describe('probes at admission', () => {
  it('refuses gRPC probes: an ECS health check is a command, so it says to use exec', () => {
    const [error, ...rest] = ecsAdmissionErrors(pod({ livenessProbe: { grpc: { port: 9000 } } }));
    expect(rest).toEqual([]);
    expect(error?.field).toBe('spec.containers[0].livenessProbe.grpc');
    expect(error?.message).toMatch(/^Forbidden: ECS health checks run a command .* use an exec probe/);
  });

  it('refuses a named probe port that none of the container ports has', () => {
    expect(
      ecsAdmissionErrors(
        pod({ ports: [{ name: 'web', containerPort: 80 }], readinessProbe: { httpGet: { port: 'http' } } }),
      ),
    ).toEqual([
      {
        field: 'spec.containers[0].readinessProbe.httpGet.port',
        reason: 'FieldValueNotFound',
        message: 'Not found: "http": no port of the container has this name',
      },
    ]);
    expect(
      ecsAdmissionErrors(
        pod({ ports: [{ name: 'http', containerPort: 80 }], readinessProbe: { httpGet: { port: 'http' } } }),
      ),
    ).toEqual([]);
  });

  it('accepts an exec liveness probe without a word', () => {
    expect(ecsAdmissionErrors(pod({ livenessProbe: exec }))).toEqual([]);
    expect(probeWarnings(pod({ livenessProbe: exec }))).toEqual([]);
  });

  it('warns how probes that ECS cannot run as given are honoured', () => {
    const warnings = probeWarnings(
      pod({
        livenessProbe: { httpGet: { port: 80 }, periodSeconds: 2 },
        readinessProbe: { ...exec, successThreshold: 3 },
        startupProbe: exec,
      }),
    );
    expect(warnings).toEqual([
      'spec.containers[0].livenessProbe.httpGet: runs inside the container as a health-check command with wget or curl; the image must have one of them',
      'spec.containers[0].livenessProbe.periodSeconds: ECS checks every 5 to 300 seconds; 2 becomes 5',
      "spec.containers[0].startupProbe: ECS runs one health check per container; the startup probe is not run, its initialDelaySeconds + periodSeconds × failureThreshold becomes the livenessProbe's start period",
      'spec.containers[0].readinessProbe: ECS runs one health check per container; it runs the livenessProbe, and readiness follows that check',
    ]);
  });

  it('warns about a readiness success threshold, which ECS does not have', () => {
    expect(probeWarnings(pod({ readinessProbe: { ...exec, successThreshold: 2 } }))).toEqual([
      'spec.containers[0].readinessProbe.successThreshold: ECS has no success threshold; one passing check counts',
    ]);
  });
});
