import { describe, expect, it } from 'vitest';
import { toTaskDefinition } from '../../functions/core/ecs/task-definition';
import type { Pod, PodSpec } from '../../functions/core/k8s';
import { admissionWarnings } from '../../functions/core/pod/admission-warnings';
import { ecsAdmissionErrors, fargateIncompatibilities } from '../../functions/core/pod/ecs-admission';

const pod = (spec: Partial<PodSpec>, container: Record<string, unknown> = {}): Pod => ({
  metadata: { name: 'p', namespace: 'team' },
  spec: { containers: [{ name: 'app', image: 'nginx', ...container }], ...spec },
});
const context = { logGroup: '/podplane/pods', region: 'us-east-1' };

describe('pod fields whose meaning podplane cannot keep', () => {
  it.each([
    ['schedulingGates', { schedulingGates: [{ name: 'wait' }] }],
    ['readinessGates', { readinessGates: [{ conditionType: 'example.com/ready' }] }],
    ['runtimeClassName', { runtimeClassName: 'gvisor' }],
    ['os.name', { os: { name: 'windows' } }],
    ['hostUsers', { hostUsers: false }],
    ['resourceClaims', { resourceClaims: [{ name: 'gpu' }] }],
    ['dnsConfig', { dnsConfig: { nameservers: ['1.1.1.1'] } }],
    [
      'securityContext.sysctls',
      { securityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] } },
    ],
  ] as [string, Partial<PodSpec>][])('refuses spec.%s with the reason', (field, spec) => {
    const errors = ecsAdmissionErrors(pod(spec));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ field: `spec.${field}`, reason: 'FieldValueForbidden' });
    expect(errors[0]?.message).toMatch(/^Forbidden: \S/);
  });

  it('accepts os linux and hostUsers true, which change nothing', () => {
    expect(ecsAdmissionErrors(pod({ os: { name: 'linux' }, hostUsers: true }))).toEqual([]);
  });
});

describe('pod fields ECS can carry', () => {
  const aliased = pod(
    { hostAliases: [{ ip: '10.1.2.3', hostnames: ['db', 'db.local'] }], hostname: 'web-0' },
    { stdin: true, tty: true },
  );

  it('leaves extra hosts and the hostname out in awsvpc mode, which ECS refuses them in', () => {
    const [definition] = toTaskDefinition(aliased, context).containerDefinitions;
    expect(definition).not.toHaveProperty('extraHosts');
    expect(definition).not.toHaveProperty('hostname');
    expect(definition).toMatchObject({ interactive: true, pseudoTerminal: true });
  });

  it('turns hostAliases into extra hosts, hostname into the container hostname, stdin and tty into -i and -t (bridge)', () => {
    const definition = toTaskDefinition(aliased, { ...context, networking: 'bridge' });
    expect(definition.containerDefinitions[0]).toMatchObject({
      extraHosts: [
        { hostname: 'db', ipAddress: '10.1.2.3' },
        { hostname: 'db.local', ipAddress: '10.1.2.3' },
      ],
      hostname: 'web-0',
      interactive: true,
      pseudoTerminal: true,
    });
  });

  it('shares one process namespace between the containers for shareProcessNamespace', () => {
    expect(toTaskDefinition(pod({ shareProcessNamespace: true }), context).pidMode).toBe('task');
    expect(toTaskDefinition(pod({}), context).pidMode).toBeUndefined();
  });

  it('says Fargate cannot add hosts entries or a hostname', () => {
    expect(
      fargateIncompatibilities(pod({ hostAliases: [{ ip: '10.1.2.3', hostnames: ['db'] }], hostname: 'h' })),
    ).toEqual([
      'hostAliases (Fargate tasks cannot add /etc/hosts entries)',
      'hostname (Fargate tasks cannot set one)',
    ]);
  });
});

describe('admission warnings', () => {
  it('says that priorities are not used', () => {
    expect(admissionWarnings(pod({ priorityClassName: 'high' }))).toEqual([
      'spec.priorityClassName: podplane has no PriorityClasses and never preempts; pods are scheduled in the order they arrive',
    ]);
    expect(admissionWarnings(pod({}))).toEqual([]);
  });

  it('says what hostname and hostPort mean when every pod has its own network interface (awsvpc)', () => {
    const warnings = admissionWarnings(
      pod({ hostname: 'web-0' }, { ports: [{ containerPort: 80, hostPort: 80 }] }),
      'awsvpc',
    );
    expect(warnings).toEqual([
      'spec.hostname: not applied; with awsvpc networking ECS names the task after its network interface',
      "hostPort: with awsvpc networking the pod has its own address, which serves each containerPort; nothing is published on the node's address",
    ]);
  });

  it("says in bridge mode that a pod with ports shares its node's address", () => {
    const [warning] = admissionWarnings(pod({}, { ports: [{ containerPort: 80 }] }), 'bridge');
    expect(warning).toMatch(/^podplane:podNetworking is bridge: the pod shares its node's address/);
    expect(admissionWarnings(pod({}), 'bridge')).toEqual([]);
  });

  it('says that Fargate cannot enforce allowPrivilegeEscalation: false, for pods that may run there', () => {
    const restricted = { securityContext: { allowPrivilegeEscalation: false } };
    const tolerating = { tolerations: [{ key: 'eks.amazonaws.com/compute-type', operator: 'Exists' }] };
    expect(admissionWarnings(pod(tolerating, restricted))).toEqual([
      'spec.containers[app].securityContext.allowPrivilegeEscalation: on Fargate, which has no no-new-privileges option, the container runs without it',
    ]);
    expect(admissionWarnings(pod({}, restricted))).toEqual([]);
  });
});
