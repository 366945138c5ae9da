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
  it('turns hostAliases into extra hosts, hostname into the container hostname, stdin and tty into -i and -t', () => {
    const definition = toTaskDefinition(
      pod(
        { hostAliases: [{ ip: '10.1.2.3', hostnames: ['db', 'db.local'] }], hostname: 'web-0' },
        { stdin: true, tty: true },
      ),
      context,
    );
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
});
