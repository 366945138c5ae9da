import { describe, expect, it } from 'vitest';
import { toTaskDefinition } from '../../functions/core/ecs/task-definition';
import type { Container, Pod, PodSpec } from '../../functions/core/k8s';
import { ecsAdmissionErrors, launchEnvironment } from '../../functions/core/pod/ecs-admission';

const pod = (spec: Partial<PodSpec>, container: Partial<Container> = {}): Pod => ({
  metadata: { name: 'p', namespace: 'team', uid: '11111111-2222-3333-4444-555555555555' },
  spec: { containers: [{ name: 'app', image: 'nginx', ...container }], ...spec },
});

const context = { logGroup: '/podplane/pods', region: 'us-east-1' };

describe('what ECS cannot do is refused at admission', () => {
  it('accepts emptyDir and hostPath volumes mounted by name', () => {
    const errors = ecsAdmissionErrors(
      pod(
        {
          volumes: [
            { name: 'scratch', emptyDir: {} },
            { name: 'logs', hostPath: { path: '/var/log' } },
          ],
        },
        {
          volumeMounts: [
            { name: 'scratch', mountPath: '/tmp' },
            { name: 'logs', mountPath: '/host-logs', readOnly: true },
          ],
        },
      ),
    );
    expect(errors).toEqual([]);
  });

  it('refuses other volume sources, memory emptyDirs, subPath and mounts of unknown volumes', () => {
    const errors = ecsAdmissionErrors(
      pod(
        {
          volumes: [
            { name: 'cfg', configMap: { name: 'app' } },
            { name: 'ram', emptyDir: { medium: 'Memory' } },
          ],
        },
        {
          volumeMounts: [
            { name: 'ram', mountPath: '/ram', subPath: 'x' },
            { name: 'nope', mountPath: '/nope' },
          ],
        },
      ),
    );
    expect(errors.map((e) => [e.field, e.reason])).toEqual([
      ['spec.volumes[0]', 'FieldValueForbidden'],
      ['spec.volumes[1].emptyDir.medium', 'FieldValueForbidden'],
      ['spec.containers[0].volumeMounts[0].subPath', 'FieldValueForbidden'],
      ['spec.containers[0].volumeMounts[1].name', 'FieldValueNotFound'],
    ]);
    expect(errors[0]?.message).toBe(
      'Forbidden: podplane supports emptyDir and hostPath volumes only, not configMap',
    );
  });

  it('refuses secrets, config maps, envFrom and downward-API fields unknown at launch', () => {
    const errors = ecsAdmissionErrors(
      pod(
        {},
        {
          envFrom: [{ secretRef: { name: 's' } }],
          env: [
            { name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
            { name: 'B', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'C', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          ],
        },
      ),
    );
    expect(errors.map((e) => e.field)).toEqual([
      'spec.containers[0].envFrom',
      'spec.containers[0].env[0].valueFrom',
      'spec.containers[0].env[1].valueFrom.fieldRef.fieldPath',
    ]);
  });

  it('refuses host namespaces, lifecycle hooks, image pull secrets and sidecars', () => {
    const errors = ecsAdmissionErrors(
      pod(
        {
          hostNetwork: true,
          imagePullSecrets: [{ name: 'registry' }],
          initContainers: [{ name: 'side', image: 'envoy', restartPolicy: 'Always' }],
        },
        { lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } } },
      ),
    );
    expect(errors.map((e) => e.field).sort()).toEqual(
      [
        'spec.containers[0].lifecycle',
        'spec.hostNetwork',
        'spec.imagePullSecrets',
        'spec.initContainers[0].restartPolicy',
      ].sort(),
    );
  });
});

describe('what ECS can do is translated', () => {
  it('fills downward-API variables per pod through RunTask overrides', () => {
    const p = pod(
      { nodeName: 'i-0001' },
      {
        env: [
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'MODE', value: 'x' },
        ],
      },
    );
    expect(launchEnvironment(p)).toEqual([{ name: 'app', environment: [{ name: 'POD', value: 'p' }] }]);
    expect(toTaskDefinition(p, context).containerDefinitions[0]?.environment).toEqual([
      { name: 'MODE', value: 'x' },
    ]);
  });

  it('maps volumes to task volumes and mounts to mount points', () => {
    const definition = toTaskDefinition(
      pod(
        {
          volumes: [
            { name: 'scratch', emptyDir: {} },
            { name: 'logs', hostPath: { path: '/var/log' } },
          ],
        },
        { volumeMounts: [{ name: 'logs', mountPath: '/host-logs', readOnly: true }] },
      ),
      context,
    );
    expect(definition.volumes).toEqual([
      { name: 'scratch' },
      { name: 'logs', host: { sourcePath: '/var/log' } },
    ]);
    expect(definition.containerDefinitions[0]?.mountPoints).toEqual([
      { sourceVolume: 'logs', containerPath: '/host-logs', readOnly: true },
    ]);
  });

  it('maps the security context: privileged, user and group, read-only root, capabilities, no privilege escalation', () => {
    const definition = toTaskDefinition(
      pod(
        { securityContext: { runAsUser: 1000, runAsGroup: 3000 } },
        {
          securityContext: {
            privileged: true,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { add: ['NET_ADMIN'], drop: ['CAP_ALL'] },
          },
        },
      ),
      context,
    );
    expect(definition.containerDefinitions[0]).toMatchObject({
      privileged: true,
      user: '1000:3000',
      readonlyRootFilesystem: true,
      dockerSecurityOptions: ['no-new-privileges'],
      linuxParameters: { capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] } },
    });
  });
});

describe('what ECS refuses in a task definition is refused at admission, with the reason', () => {
  const fields = (errors: { field: string }[]) => errors.map((e) => e.field);

  it('refuses one containerPort on both TCP and UDP, which ECS cannot expose twice', () => {
    const errors = ecsAdmissionErrors(
      pod({}, { ports: [{ containerPort: 53, protocol: 'UDP' }, { containerPort: 53 }] }),
    );
    expect(fields(errors)).toEqual(['spec.containers[0].ports[1]']);
    expect(errors[0]?.message).toContain('ECS cannot expose containerPort 53 for both UDP and TCP');
    expect(
      ecsAdmissionErrors(pod({}, { ports: [{ containerPort: 53, protocol: 'UDP' }, { containerPort: 54 }] })),
    ).toEqual([]);
  });

  it('refuses more than ten containers, init containers included', () => {
    const containers = (n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}`, image: 'busybox' }));
    expect(
      fields(ecsAdmissionErrors(pod({ containers: containers(6, 'c'), initContainers: containers(5, 'i') }))),
    ).toEqual(['spec.containers']);
    expect(
      ecsAdmissionErrors(pod({ containers: containers(5, 'c'), initContainers: containers(5, 'i') })),
    ).toEqual([]);
  });

  it('refuses less than 6 MiB of memory, which Docker will not start a container with', () => {
    const errors = ecsAdmissionErrors(
      pod({}, { resources: { requests: { memory: '4Mi' }, limits: { memory: '5Mi' } } }),
    );
    expect(fields(errors)).toEqual([
      'spec.containers[0].resources.requests.memory',
      'spec.containers[0].resources.limits.memory',
    ]);
    expect(ecsAdmissionErrors(pod({}, { resources: { requests: { memory: '6Mi' } } }))).toEqual([]);
  });

  it('refuses hostAliases where pods have their own network interface (awsvpc), not in bridge mode', () => {
    const aliased = pod({ hostAliases: [{ ip: '10.0.0.9', hostnames: ['db'] }] });
    expect(fields(ecsAdmissionErrors(aliased, 'awsvpc'))).toEqual(['spec.hostAliases']);
    expect(ecsAdmissionErrors(aliased, 'bridge')).toEqual([]);
  });
});
