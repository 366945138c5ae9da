import { describe, expect, it } from 'vitest';
import type { Pod } from '../../functions/core/k8s';
import { validatePod } from '../../functions/core/pod/validate';

// Probes and lifecycle hooks as pkg/apis/core/validation's validateProbe, validateHandler,
// validateLivenessProbe/validateStartupProbe and validateInitContainers report them (Kubernetes
// 1.30), after v1 defaulting fills in probe timings that are 0 and an empty httpGet scheme.

const pod = (container: Record<string, unknown>, spec: Record<string, unknown> = {}): Pod =>
  ({
    metadata: { name: 'web' },
    spec: { containers: [{ name: 'app', image: 'nginx', ...container }], ...spec },
  }) as Pod;
const at = (field: string) => `spec.containers[0].${field}`;
const error = (field: string, reason: string, message: string) => ({ field: at(field), reason, message });
const rangeMessage = 'must be between 1 and 65535, inclusive';

describe('probe handlers', () => {
  it.each([
    { exec: { command: ['cat', '/tmp/healthy'] } },
    {
      httpGet: {
        path: '/healthz',
        port: 8080,
        scheme: 'HTTPS',
        httpHeaders: [{ name: 'X-Probe', value: '1' }],
      },
    },
    { httpGet: { port: 'http' } },
    { tcpSocket: { port: 5432 } },
    { tcpSocket: { port: 'postgres' } },
    { grpc: { port: 9090, service: 'health' } },
  ])('accepts the handler %j in every kind of probe', (handler) => {
    expect(
      validatePod(pod({ livenessProbe: handler, readinessProbe: handler, startupProbe: handler })),
    ).toEqual([]);
  });

  it('requires a handler', () => {
    expect(validatePod(pod({ readinessProbe: { periodSeconds: 5 } }))).toEqual([
      error('readinessProbe', 'FieldValueRequired', 'Required value: must specify a handler type'),
    ]);
  });

  it('forbids every handler after the first, in the order exec, httpGet, tcpSocket, grpc', () => {
    const probe = { grpc: { port: 9090 }, tcpSocket: { port: 80 }, httpGet: { port: 80 } };
    expect(validatePod(pod({ livenessProbe: probe }))).toEqual([
      error(
        'livenessProbe.tcpSocket',
        'FieldValueForbidden',
        'Forbidden: may not specify more than 1 handler type',
      ),
      error(
        'livenessProbe.grpc',
        'FieldValueForbidden',
        'Forbidden: may not specify more than 1 handler type',
      ),
    ]);
  });

  it('requires an exec command', () => {
    expect(validatePod(pod({ livenessProbe: { exec: { command: [] } } }))).toEqual([
      error('livenessProbe.exec.command', 'FieldValueRequired', 'Required value'),
    ]);
  });

  it.each([0, 65536, -1])('rejects the httpGet port number %j', (port) => {
    expect(validatePod(pod({ livenessProbe: { httpGet: { port } } }))).toEqual([
      error('livenessProbe.httpGet.port', 'FieldValueInvalid', `Invalid value: ${port}: ${rangeMessage}`),
    ]);
  });

  it('treats a missing port as the number 0', () => {
    expect(validatePod(pod({ livenessProbe: { tcpSocket: {} } }))).toEqual([
      error('livenessProbe.tcpSocket.port', 'FieldValueInvalid', `Invalid value: 0: ${rangeMessage}`),
    ]);
  });

  it('checks a port given as a string as an IANA service name, so "80" is not a number', () => {
    expect(validatePod(pod({ readinessProbe: { tcpSocket: { port: '80' } } }))).toEqual([
      error(
        'readinessProbe.tcpSocket.port',
        'FieldValueInvalid',
        'Invalid value: "80": must contain at least one letter (a-z)',
      ),
    ]);
  });

  it('rejects a grpc port out of range', () => {
    expect(validatePod(pod({ startupProbe: { grpc: { port: 70000 } } }))).toEqual([
      error('startupProbe.grpc.port', 'FieldValueInvalid', `Invalid value: 70000: ${rangeMessage}`),
    ]);
  });

  it('rejects an httpGet scheme other than HTTP and HTTPS', () => {
    expect(validatePod(pod({ livenessProbe: { httpGet: { port: 80, scheme: 'ftp' } } }))).toEqual([
      error(
        'livenessProbe.httpGet.scheme',
        'FieldValueNotSupported',
        'Unsupported value: "ftp": supported values: "HTTP", "HTTPS"',
      ),
    ]);
  });

  it('rejects an HTTP header name that is not a token, at httpHeaders', () => {
    const httpGet = { port: 80, httpHeaders: [{ name: 'X Probe', value: '1' }] };
    expect(validatePod(pod({ livenessProbe: { httpGet } }))).toEqual([
      error(
        'livenessProbe.httpGet.httpHeaders',
        'FieldValueInvalid',
        `Invalid value: "X Probe": a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')`,
      ),
    ]);
  });
});

describe('probe timings', () => {
  const exec = { command: ['true'] };

  it('accepts zeros (defaulted) and positive timings', () => {
    const probe = {
      exec,
      initialDelaySeconds: 0,
      timeoutSeconds: 0,
      periodSeconds: 0,
      successThreshold: 0,
      failureThreshold: 0,
    };
    const readiness = {
      exec,
      initialDelaySeconds: 5,
      timeoutSeconds: 2,
      periodSeconds: 3,
      successThreshold: 3,
      failureThreshold: 1,
    };
    expect(
      validatePod(pod({ livenessProbe: probe, startupProbe: probe, readinessProbe: readiness })),
    ).toEqual([]);
  });

  it.each(['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'failureThreshold'])(
    'rejects a negative %s',
    (name) => {
      expect(validatePod(pod({ readinessProbe: { exec, [name]: -1 } }))).toEqual([
        error(
          `readinessProbe.${name}`,
          'FieldValueInvalid',
          'Invalid value: -1: must be greater than or equal to 0',
        ),
      ]);
    },
  );

  it.each(['livenessProbe', 'startupProbe'])('requires successThreshold 1 for a %s', (kind) => {
    expect(validatePod(pod({ [kind]: { exec, successThreshold: 2 } }))).toEqual([
      error(`${kind}.successThreshold`, 'FieldValueInvalid', 'Invalid value: 2: must be 1'),
    ]);
  });

  it('reports a negative successThreshold of a liveness probe twice, as Kubernetes does', () => {
    expect(validatePod(pod({ livenessProbe: { exec, successThreshold: -1 } }))).toEqual([
      error(
        'livenessProbe.successThreshold',
        'FieldValueInvalid',
        'Invalid value: -1: must be greater than or equal to 0',
      ),
      error('livenessProbe.successThreshold', 'FieldValueInvalid', 'Invalid value: -1: must be 1'),
    ]);
  });

  it('rejects a probe grace period that is not positive, and any on a readiness probe', () => {
    expect(
      validatePod(
        pod({
          livenessProbe: { exec, terminationGracePeriodSeconds: 0 },
          readinessProbe: { exec, terminationGracePeriodSeconds: 10 },
        }),
      ),
    ).toEqual([
      error(
        'livenessProbe.terminationGracePeriodSeconds',
        'FieldValueInvalid',
        'Invalid value: 0: must be greater than 0',
      ),
      error(
        'readinessProbe.terminationGracePeriodSeconds',
        'FieldValueInvalid',
        'Invalid value: 10: must not be set for readinessProbes',
      ),
    ]);
  });
});

describe('init containers', () => {
  const probe = { exec: { command: ['true'] } };
  const withInit = (init: Record<string, unknown>) =>
    pod({}, { initContainers: [{ name: 'init', image: 'busybox', ...init }] });
  const initError = (field: string, reason: string, message: string) => ({
    field: `spec.initContainers[0].${field}`,
    reason,
    message,
  });

  it.each(['readinessProbe', 'livenessProbe', 'startupProbe', 'lifecycle'])(
    'forbids a %s on an init container that is not a sidecar',
    (key) => {
      expect(validatePod(withInit({ [key]: key === 'lifecycle' ? { preStop: probe } : probe }))).toEqual([
        initError(
          key,
          'FieldValueForbidden',
          'Forbidden: may not be set for init containers without restartPolicy=Always',
        ),
      ]);
    },
  );

  it('allows probes and hooks on a sidecar (restartPolicy Always) and validates them', () => {
    expect(
      validatePod(
        withInit({
          restartPolicy: 'Always',
          readinessProbe: probe,
          livenessProbe: probe,
          lifecycle: { postStart: probe },
        }),
      ),
    ).toEqual([]);
    expect(validatePod(withInit({ restartPolicy: 'Always', readinessProbe: {} }))).toEqual([
      initError('readinessProbe', 'FieldValueRequired', 'Required value: must specify a handler type'),
    ]);
  });

  it('accepts only Always as an init container restartPolicy', () => {
    expect(validatePod(withInit({ restartPolicy: 'OnFailure' }))).toEqual([
      initError(
        'restartPolicy',
        'FieldValueNotSupported',
        'Unsupported value: "OnFailure": supported values: "Always"',
      ),
    ]);
  });

  it('forbids restartPolicy on an app container', () => {
    expect(validatePod(pod({ restartPolicy: 'Always' }))).toEqual([
      error('restartPolicy', 'FieldValueForbidden', 'Forbidden: may not be set for non-init containers'),
    ]);
  });
});

describe('lifecycle hooks', () => {
  it('accepts one handler per hook, a sleep within the grace period included', () => {
    const lifecycle = { postStart: { exec: { command: ['true'] } }, preStop: { sleep: { seconds: 30 } } };
    expect(validatePod(pod({ lifecycle }))).toEqual([]);
  });

  it('requires a handler and rejects a sleep longer than the grace period', () => {
    const lifecycle = { postStart: {}, preStop: { sleep: { seconds: 20 } } };
    expect(validatePod(pod({ lifecycle }, { terminationGracePeriodSeconds: 10 }))).toEqual([
      error('lifecycle.postStart', 'FieldValueRequired', 'Required value: must specify a handler type'),
      error(
        'lifecycle.preStop.sleep',
        'FieldValueInvalid',
        'Invalid value: 20: must be greater than 0 and less than terminationGracePeriodSeconds (10)',
      ),
    ]);
  });
});
