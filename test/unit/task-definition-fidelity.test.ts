import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { taskReservation } from '../../functions/core/ecs/reservation';
import {
  type PodNetworking,
  podFargateSize,
  toTaskDefinition,
} from '../../functions/core/ecs/task-definition';
import type { Container, Pod } from '../../functions/core/k8s';
import { withPodDefaults } from '../../functions/core/pod/defaults';
import { ecsAdmissionErrors, fargateIncompatibilities } from '../../functions/core/pod/ecs-admission';
import { validatePod } from '../../functions/core/pod/validate';
import { Arns } from '../../local/ecs-simulator/arns';
import { taskSizing } from '../../local/ecs-simulator/new-task';
import { TaskDefinitionRegistry } from '../../local/ecs-simulator/task-definitions';
import type { Wire } from '../../local/ecs-simulator/wire';
import { storedPod } from '../fixtures';

// Every task definition podplane emits for a pod it admitted must be one ECS accepts (the ECS
// simulator applies ECS's documented RegisterTaskDefinition rules), and what the scheduler counts
// for the pod must be exactly what ECS reserves on the instance when it places the task: else
// the scheduler binds pods that ECS then refuses, and they wait with no reason.

const context = { logGroup: '/podplane/pods', region: 'us-east-1' };

/** Registers the definition with the simulator's rules; throws ECS's ClientException if refused. */
function register(definition: ReturnType<typeof toTaskDefinition>) {
  const registry = new TaskDefinitionRegistry(new Arns('us-east-1', '000000000000'));
  return registry.register(definition as unknown as Wire<Parameters<TaskDefinitionRegistry['register']>[0]>);
}

/** Checks one admitted pod on EC2 in both network modes, and on Fargate where it may run there. */
function checkEmitted(pod: Pod, networking: PodNetworking) {
  const registered = register(toTaskDefinition(pod, { ...context, networking }));
  const sizing = taskSizing(registered, {});
  const counted = taskReservation(pod);
  expect(counted.memoryBytes).toBe(sizing.memory * 2 ** 20);
  expect(counted.cpuMillis).toBe(Math.ceil((sizing.cpu * 1000) / 1024));
  if (fargateIncompatibilities(pod).length === 0 && podFargateSize(pod)) {
    const fargate = register(toTaskDefinition(pod, { ...context, fargate: true }));
    expect(fargate.definition.compatibilities).toContain('FARGATE');
  }
}

const admitted = (pod: Pod, networking: PodNetworking) =>
  validatePod(pod).length === 0 && ecsAdmissionErrors(pod, networking).length === 0;

const quantity = (values: readonly string[]) => fc.option(fc.constantFrom(...values), { nil: undefined });
const cpu = quantity(['1m', '100m', '250m', '500m', '1', '1500m', '4']);
const memory = quantity(['6Mi', '64Mi', '128Mi', '200Mi', '256M', '1Gi', '3Gi']);

const container: fc.Arbitrary<Omit<Container, 'name'>> = fc
  .record({
    requestCpu: cpu,
    requestMemory: memory,
    // A limit is the request itself or none, so Kubernetes' limit >= request always holds.
    limitCpu: fc.boolean(),
    limitMemory: fc.boolean(),
    ports: fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { maxLength: 3 }),
    udp: fc.boolean(),
    hostPort: fc.boolean(),
    noEscalation: fc.boolean(),
    addCapability: fc.option(fc.constantFrom('NET_ADMIN', 'SYS_PTRACE'), { nil: undefined }),
    readOnly: fc.boolean(),
  })
  .map((c) => {
    const requests = {
      ...(c.requestCpu ? { cpu: c.requestCpu } : {}),
      ...(c.requestMemory ? { memory: c.requestMemory } : {}),
    };
    const limits = {
      ...(c.limitCpu && c.requestCpu ? { cpu: c.requestCpu } : {}),
      ...(c.limitMemory && c.requestMemory ? { memory: c.requestMemory } : {}),
    };
    return {
      image: 'public.ecr.aws/nginx/nginx:1.27',
      resources: { requests, limits },
      ...(c.ports.length
        ? {
            ports: c.ports.map((containerPort) => ({
              containerPort,
              ...(c.udp ? { protocol: 'UDP' } : {}),
              ...(c.hostPort ? { hostPort: containerPort } : {}),
            })),
          }
        : {}),
      securityContext: {
        ...(c.noEscalation ? { allowPrivilegeEscalation: false } : {}),
        ...(c.addCapability ? { capabilities: { add: [c.addCapability] } } : {}),
        ...(c.readOnly ? { readOnlyRootFilesystem: true } : {}),
      },
    };
  });

const pods = fc
  .record({
    apps: fc.array(container, { minLength: 1, maxLength: 4 }),
    inits: fc.array(container, { maxLength: 3 }),
    hostname: fc.boolean(),
    // Refused in awsvpc mode (admission says why), so only now and then.
    aliases: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    hostPath: fc.boolean(),
    grace: fc.option(fc.integer({ min: 0, max: 600 }), { nil: undefined }),
  })
  .map((shape): Pod => {
    const pod = storedPod('fuzzed');
    // Init containers do not take ports in Kubernetes' validation of this kind of pod.
    const inits = shape.inits.map(({ ports: _ports, ...c }, i) => ({ ...c, name: `init${i}` }));
    return withPodDefaults({
      ...pod,
      spec: {
        // Ports on the first container only: host ports must be unique across the pod.
        containers: shape.apps.map(({ ports, ...c }, i) => ({
          ...c,
          ...(i === 0 && ports ? { ports } : {}),
          name: `app${i}`,
        })),
        ...(inits.length ? { initContainers: inits } : {}),
        ...(shape.hostname ? { hostname: 'web-0' } : {}),
        ...(shape.aliases ? { hostAliases: [{ ip: '10.0.0.9', hostnames: ['db'] }] } : {}),
        ...(shape.hostPath ? { volumes: [{ name: 'logs', hostPath: { path: '/var/log' } }] } : {}),
        ...(shape.grace !== undefined ? { terminationGracePeriodSeconds: shape.grace } : {}),
      },
    });
  });

describe('the task definitions podplane emits', () => {
  it('pass ECS rules, and the scheduler counts what ECS reserves, for random admitted pods', () => {
    let checked = 0;
    fc.assert(
      fc.property(pods, fc.constantFrom<PodNetworking>('awsvpc', 'bridge'), (pod, networking) => {
        if (!admitted(pod, networking)) return;
        checkEmitted(pod, networking);
        checked++;
      }),
      { numRuns: 400 },
    );
    // Most generated pods must be admitted, or the property says little.
    expect(checked).toBeGreaterThan(200);
  });

  it("pass ECS rules for the pods in examples/ and the tests' fixtures", () => {
    const examples = readdirSync('examples')
      .filter((file) => file.endsWith('.yaml'))
      .flatMap((file) => parseAllDocuments(readFileSync(join('examples', file), 'utf8')).map((d) => d.toJS()))
      .filter((doc): doc is Pod => doc?.kind === 'Pod');
    expect(examples.length).toBeGreaterThanOrEqual(3);
    const fixtures = [storedPod('plain'), storedPod('sized', { cpu: '250m', memory: '256Mi' })];
    for (const pod of [...examples.map(withPodDefaults), ...fixtures])
      for (const networking of ['awsvpc', 'bridge'] as const) {
        expect(admitted(pod, networking)).toBe(true);
        checkEmitted(pod, networking);
      }
  });
});
