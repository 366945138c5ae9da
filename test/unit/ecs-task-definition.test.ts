import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  runTaskClientToken,
  type TaskDefinitionContext,
  toTaskDefinition,
} from '../../functions/core/ecs/task-definition';
import type { Container, Pod } from '../../functions/core/k8s';
import { withPodDefaults } from '../../functions/core/pod/defaults';

// ECS ContainerDefinition semantics: Kubernetes `command` overrides the image ENTRYPOINT
// (ECS entryPoint) and `args` the CMD (ECS command); 1024 CPU units per vCPU; `memory` is the
// hard limit and `memoryReservation` the soft one, both in MiB; `stopTimeout` is at most 120 s;
// `dependsOn` condition SUCCESS waits for a non-essential container to exit 0. The family allows
// letters, digits, hyphens and underscores, up to 255 characters.

const context: TaskDefinitionContext = { logGroup: '/podplane/pods', region: 'eu-west-1' };
const familyRule = /^[A-Za-z0-9_-]{1,255}$/;

const pod = (
  containers: Container[],
  extra: Partial<NonNullable<Pod['spec']>> = {},
  meta: Pod['metadata'] = {},
): Pod =>
  withPodDefaults({
    metadata: { name: 'web', namespace: 'default', uid: '6f1c1f0e-9d0a-4c1e-8a39-2f4f4b8e7a10', ...meta },
    spec: { containers, ...extra },
  });

const definitionOf = (p: Pod, name = 'app', networking: 'awsvpc' | 'bridge' = 'awsvpc') => {
  const found = toTaskDefinition(p, { ...context, networking }).containerDefinitions.find(
    (c) => c.name === name,
  );
  if (!found) throw new Error(`no container definition ${name}`);
  return found;
};

describe('toTaskDefinition', () => {
  it('maps command to entryPoint and args to command', () => {
    const def = definitionOf(
      pod([{ name: 'app', image: 'busybox', command: ['sh', '-c'], args: ['echo hi'] }]),
    );
    expect(def.entryPoint).toEqual(['sh', '-c']);
    expect(def.command).toEqual(['echo hi']);
  });

  it('leaves entryPoint and command unset when the pod keeps the image defaults', () => {
    const def = definitionOf(pod([{ name: 'app', image: 'nginx' }]));
    expect(def.entryPoint).toBeUndefined();
    expect(def.command).toBeUndefined();
    expect(def.image).toBe('nginx');
  });

  it('carries workingDir and plain env values', () => {
    const def = definitionOf(
      pod([
        {
          name: 'app',
          image: 'nginx',
          workingDir: '/srv',
          env: [
            { name: 'MODE', value: 'production' },
            { name: 'PORT', value: '8080' },
          ],
        },
      ]),
    );
    expect(def.workingDirectory).toBe('/srv');
    expect(def.environment).toEqual([
      { name: 'MODE', value: 'production' },
      { name: 'PORT', value: '8080' },
    ]);
  });

  // EnvVar.value "Defaults to \"\"": a variable with neither value nor valueFrom is set, empty.
  it('sets an env var without a value to the empty string', () => {
    const def = definitionOf(pod([{ name: 'app', image: 'nginx', env: [{ name: 'DEBUG' }] }]));
    expect(def.environment).toEqual([{ name: 'DEBUG', value: '' }]);
  });

  const coredns = pod([
    {
      name: 'app',
      image: 'coredns',
      ports: [
        { containerPort: 53, protocol: 'UDP' },
        { containerPort: 8080 },
        { containerPort: 443, hostPort: 8443 },
      ],
    },
  ]);

  it('maps ports to portMappings with the protocol in lower case; bridge mode keeps a hostPort', () => {
    expect(definitionOf(coredns, 'app', 'bridge').portMappings).toEqual([
      { containerPort: 53, protocol: 'udp' },
      { containerPort: 8080, protocol: 'tcp' },
      { containerPort: 443, hostPort: 8443, protocol: 'tcp' },
    ]);
  });

  it('leaves hostPort out in awsvpc mode, where ECS allows only the containerPort itself', () => {
    expect(definitionOf(coredns).portMappings).toEqual([
      { containerPort: 53, protocol: 'udp' },
      { containerPort: 8080, protocol: 'tcp' },
      { containerPort: 443, protocol: 'tcp' },
    ]);
  });

  it.each([
    ['250m', 256],
    ['500m', 512],
    ['1', 1024],
    ['2', 2048],
    ['4', 4096],
  ])('turns a cpu request of %s into %i CPU units', (cpu, units) => {
    expect(definitionOf(pod([{ name: 'app', image: 'x', resources: { requests: { cpu } } }])).cpu).toBe(
      units,
    );
  });

  it('sets no cpu units when the container asks for no cpu', () => {
    expect(definitionOf(pod([{ name: 'app', image: 'x' }])).cpu).toBeUndefined();
  });

  it('maps the memory limit to memory and the memory request to memoryReservation, in MiB', () => {
    const def = definitionOf(
      pod([
        {
          name: 'app',
          image: 'x',
          resources: { requests: { memory: '128Mi' }, limits: { memory: '512Mi' } },
        },
      ]),
    );
    expect(def.memory).toBe(512);
    expect(def.memoryReservation).toBe(128);
  });

  it('reserves the limit when only a limit is set (the request defaults to it)', () => {
    const def = definitionOf(pod([{ name: 'app', image: 'x', resources: { limits: { memory: '1Gi' } } }]));
    expect(def.memory).toBe(1024);
    expect(def.memoryReservation).toBe(1024);
  });

  it('sets no hard memory limit for a container without one', () => {
    const def = definitionOf(pod([{ name: 'app', image: 'x', resources: { requests: { memory: '64Mi' } } }]));
    expect(def.memory).toBeUndefined();
    expect(def.memoryReservation).toBe(64);
  });

  it('marks app containers essential and init containers not', () => {
    const defs = toTaskDefinition(
      pod(
        [
          { name: 'app', image: 'x' },
          { name: 'side', image: 'y' },
        ],
        {
          initContainers: [{ name: 'init', image: 'z' }],
        },
      ),
      context,
    ).containerDefinitions;
    expect(defs.map((d) => [d.name, d.essential])).toEqual([
      ['init', false],
      ['app', true],
      ['side', true],
    ]);
  });

  it('runs init containers one after another, each after the previous succeeded, then the app', () => {
    const defs = toTaskDefinition(
      pod([{ name: 'app', image: 'x' }], {
        initContainers: [
          { name: 'fetch', image: 'a' },
          { name: 'migrate', image: 'b' },
        ],
      }),
      context,
    ).containerDefinitions;
    expect(defs.map((d) => [d.name, d.dependsOn])).toEqual([
      ['fetch', undefined],
      ['migrate', [{ containerName: 'fetch', condition: 'SUCCESS' }]],
      ['app', [{ containerName: 'migrate', condition: 'SUCCESS' }]],
    ]);
  });

  it('gives the app containers no dependencies when there are no init containers', () => {
    expect(definitionOf(pod([{ name: 'app', image: 'x' }])).dependsOn).toBeUndefined();
  });

  it.each([
    [undefined, 30],
    [0, 0],
    [45, 45],
    [120, 120],
    [600, 120],
  ])('sets stopTimeout from a grace period of %s to %i seconds', (grace, timeout) => {
    const p = pod(
      [{ name: 'app', image: 'x' }],
      grace === undefined ? {} : { terminationGracePeriodSeconds: grace },
    );
    expect(definitionOf(p).stopTimeout).toBe(timeout);
  });

  it('sends every container log to awslogs with the group, region and stream prefix', () => {
    const def = definitionOf(pod([{ name: 'app', image: 'x' }]));
    expect(def.logConfiguration).toEqual({
      logDriver: 'awslogs',
      options: {
        'awslogs-group': '/podplane/pods',
        'awslogs-region': 'eu-west-1',
        'awslogs-stream-prefix': expect.any(String),
      },
    });
  });

  it('copies sim.podplane.dev/* annotations to dockerLabels of every container, and no others', () => {
    const p = pod(
      [{ name: 'app', image: 'x' }],
      { initContainers: [{ name: 'init', image: 'y' }] },
      {
        annotations: {
          'sim.podplane.dev/exit-after': '2s',
          'sim.podplane.dev/exit-code': '3',
          'kubectl.kubernetes.io/last-applied-configuration': '{}',
          team: 'payments',
        },
      },
    );
    for (const def of toTaskDefinition(p, context).containerDefinitions)
      expect(def.dockerLabels).toEqual({
        'sim.podplane.dev/exit-after': '2s',
        'sim.podplane.dev/exit-code': '3',
      });
  });

  it('sets no dockerLabels when there are no simulator annotations', () => {
    expect(
      definitionOf(pod([{ name: 'app', image: 'x' }], {}, { annotations: { team: 'a' } })).dockerLabels,
    ).toBeUndefined();
  });

  it('uses awsvpc networking on EC2 by default and passes the execution role when there is one', () => {
    const def = toTaskDefinition(pod([{ name: 'app', image: 'x' }]), {
      ...context,
      executionRoleArn: 'arn:aws:iam::123456789012:role/podplane-task-execution',
    });
    expect(def).toMatchObject({
      networkMode: 'awsvpc',
      requiresCompatibilities: ['EC2'],
      executionRoleArn: 'arn:aws:iam::123456789012:role/podplane-task-execution',
    });
    expect(def.cpu).toBeUndefined();
  });

  it('uses bridge networking on EC2 when podNetworking is bridge', () => {
    const def = toTaskDefinition(pod([{ name: 'app', image: 'x' }]), { ...context, networking: 'bridge' });
    expect(def.networkMode).toBe('bridge');
    const awsvpc = toTaskDefinition(pod([{ name: 'app', image: 'x' }]), context);
    expect(def.family).not.toBe(awsvpc.family);
  });

  it('runs the task with the task role ECS Exec opens its channels with, and a family of its own', () => {
    const p = pod([{ name: 'app', image: 'x' }]);
    const taskRoleArn = 'arn:aws:iam::123456789012:role/podplane-task';
    const withRole = toTaskDefinition(p, { ...context, taskRoleArn });
    const without = toTaskDefinition(p, context);
    expect(withRole.taskRoleArn).toBe(taskRoleArn);
    expect(without).not.toHaveProperty('taskRoleArn');
    // Turning ECS Exec on or off registers a new task definition instead of reusing the old one.
    expect(withRole.family).not.toBe(without.family);
  });

  describe('family', () => {
    const containers: Container[] = [
      { name: 'app', image: 'nginx:1.27', resources: { requests: { cpu: '100m' } } },
    ];

    it('is shared by pods with the same containers, whatever their names and uids', () => {
      const a = toTaskDefinition(pod(containers, {}, { name: 'web-1', uid: 'a1b2' }), context);
      const b = toTaskDefinition(
        pod(containers, {}, { name: 'web-2', namespace: 'shop', uid: 'c3d4' }),
        context,
      );
      expect(a.family).toBe(b.family);
    });

    it('changes when an image changes', () => {
      const a = toTaskDefinition(pod(containers), context);
      const b = toTaskDefinition(pod([{ ...containers[0], name: 'app', image: 'nginx:1.28' }]), context);
      expect(a.family).not.toBe(b.family);
    });

    it('changes when what the simulator is told to do changes', () => {
      const a = toTaskDefinition(
        pod(containers, {}, { annotations: { 'sim.podplane.dev/exit-code': '0' } }),
        context,
      );
      const b = toTaskDefinition(
        pod(containers, {}, { annotations: { 'sim.podplane.dev/exit-code': '1' } }),
        context,
      );
      expect(a.family).not.toBe(b.family);
    });

    it('follows ECS family rules for any pod', () => {
      const containerArb = fc.record({
        name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
        image: fc.string({ minLength: 1, maxLength: 200 }),
        command: fc.option(fc.array(fc.string(), { maxLength: 3 }), { nil: undefined }),
      });
      fc.assert(
        fc.property(fc.array(containerArb, { minLength: 1, maxLength: 4 }), (cs) => {
          expect(toTaskDefinition(pod(cs), context).family).toMatch(familyRule);
        }),
      );
    });
  });
});

describe('runTaskClientToken', () => {
  const uid = '6f1c1f0e-9d0a-4c1e-8a39-2f4f4b8e7a10';

  it('is the same for the same pod and restart', () => {
    expect(runTaskClientToken(uid, 3)).toBe(runTaskClientToken(uid, 3));
  });

  it('differs between restarts of the same pod', () => {
    expect(runTaskClientToken(uid, 0)).not.toBe(runTaskClientToken(uid, 1));
  });

  it('stays within 64 ASCII characters for any uuid and restart count', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (podUid, restarts) => {
        const token = runTaskClientToken(podUid, restarts);
        expect(token.length).toBeLessThanOrEqual(64);
        expect(token).toMatch(/^[\x20-\x7e]+$/);
      }),
    );
  });
});
