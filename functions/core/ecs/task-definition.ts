import { createHash } from 'node:crypto';
import type { Container, Pod } from '../k8s';
import { cpuMillis, mebibytes, memoryBytes } from '../quantity';
import { type FargateSize, fargateSize } from './fargate';
import { toHealthCheck } from './health-check';
import { containerReservation } from './reservation';
import type { ContainerDefinition, TaskDefinitionInput } from './types';

/** ECS stops a container at most 120 s after SIGTERM; a longer grace period is clamped. */
export const maxStopTimeoutSeconds = 120;

/** Annotations that drive the ECS simulator; carried as docker labels so ECS ignores them. */
export const simulatorAnnotationPrefix = 'sim.podplane.dev/';

export interface TaskDefinitionContext {
  readonly logGroup: string;
  readonly region: string;
  readonly executionRoleArn?: string;
  /** The role the task's containers run with: what ECS Exec's Session Manager channels need. */
  readonly taskRoleArn?: string;
  /** A Fargate launch: awsvpc networking and one of Fargate's task sizes. */
  readonly fargate?: boolean;
  /** How an EC2 task is networked (podplane:podNetworking); Fargate is always awsvpc. */
  readonly networking?: PodNetworking;
}

/**
 * `awsvpc`: every task its own ENI and address, as Kubernetes gives every pod its own IP (the
 * default). `bridge`: tasks share their instance's address and publish ports on it.
 */
export type PodNetworking = 'awsvpc' | 'bridge';

export const podNetworkingOf = (text: string | undefined): PodNetworking =>
  text === 'bridge' ? 'bridge' : 'awsvpc';

/** Whether the task gets an ENI of its own: always on Fargate, on EC2 unless bridge was chosen. */
const isAwsvpc = (context: Pick<TaskDefinitionContext, 'fargate' | 'networking'>) =>
  context.fargate === true || context.networking !== 'bridge';

/** Log streams are `<prefix>/<container>/<task id>`, so the logs API finds a container's stream. */
export const logStreamPrefix = 'pod';

/**
 * The task definition a pod runs as. Its family is a hash of its content, so every pod with the
 * same containers shares one task definition instead of registering a revision per pod.
 */
export function toTaskDefinition(pod: Pod, context: TaskDefinitionContext): TaskDefinitionInput {
  const containerDefinitions = toContainerDefinitions(pod, context);
  const size = context.fargate ? fargateSizeOf(containerDefinitions) : undefined;
  const body = {
    networkMode: isAwsvpc(context) ? ('awsvpc' as const) : ('bridge' as const),
    requiresCompatibilities: [context.fargate ? ('FARGATE' as const) : ('EC2' as const)],
    ...(size ? { cpu: String(size.cpu), memory: String(size.memory) } : {}),
    ...(context.executionRoleArn ? { executionRoleArn: context.executionRoleArn } : {}),
    ...(context.taskRoleArn ? { taskRoleArn: context.taskRoleArn } : {}),
    ...(pod.spec?.shareProcessNamespace ? { pidMode: 'task' as const } : {}),
    containerDefinitions,
    ...(pod.spec?.volumes?.length
      ? {
          volumes: pod.spec.volumes.map((v) => ({
            name: v.name,
            ...(v.hostPath ? { host: { sourcePath: v.hostPath.path } } : {}),
          })),
        }
      : {}),
  };
  return { family: taskDefinitionFamily(body), ...body };
}

/**
 * The pod's containers as ECS container definitions, init containers first. Also what the
 * scheduler counts (see taskReservation), so it never binds a pod ECS would not place.
 */
export function toContainerDefinitions(
  pod: Pod,
  context: Pick<TaskDefinitionContext, 'logGroup' | 'region' | 'fargate' | 'networking'>,
): ContainerDefinition[] {
  const fargate = context.fargate === true;
  const awsvpc = isAwsvpc(context);
  const labels = simulatorLabels(pod);
  const stopTimeout = Math.min(pod.spec?.terminationGracePeriodSeconds ?? 30, maxStopTimeoutSeconds);
  const initContainers = pod.spec?.initContainers ?? [];
  const logConfiguration = {
    logDriver: 'awslogs' as const,
    options: {
      'awslogs-group': context.logGroup,
      'awslogs-region': context.region,
      'awslogs-stream-prefix': logStreamPrefix,
    },
  };
  // ECS refuses /etc/hosts entries and a hostname of the task's own in awsvpc mode; admission
  // refuses hostAliases there and warns that the hostname is not applied (ecs-admission.ts).
  const extraHosts = awsvpc
    ? []
    : (pod.spec?.hostAliases ?? []).flatMap((alias) =>
        (alias.hostnames ?? []).map((hostname) => ({ hostname, ipAddress: alias.ip ?? '' })),
      );
  const toDefinition = (container: Container, essential: boolean): ContainerDefinition => ({
    ...toContainerDefinition(container, awsvpc, fargate),
    ...securityOf(container, pod, fargate),
    ...(extraHosts.length > 0 ? { extraHosts } : {}),
    ...(pod.spec?.hostname && !awsvpc ? { hostname: pod.spec.hostname } : {}),
    ...(container.stdin ? { interactive: true } : {}),
    ...(container.tty ? { pseudoTerminal: true } : {}),
    essential,
    stopTimeout,
    ...(labels ? { dockerLabels: labels } : {}),
    logConfiguration,
  });
  // Init containers run to completion, in order, before the app containers start.
  const init = initContainers.map((c, i) => ({
    ...toDefinition(c, false),
    ...(i > 0
      ? { dependsOn: [{ containerName: initContainers[i - 1]?.name ?? '', condition: 'SUCCESS' as const }] }
      : {}),
  }));
  const lastInit = initContainers.at(-1)?.name;
  const app = (pod.spec?.containers ?? []).map((c) => ({
    ...toDefinition(c, true),
    ...(lastInit ? { dependsOn: [{ containerName: lastInit, condition: 'SUCCESS' as const }] } : {}),
  }));
  return [...init, ...app];
}

function toContainerDefinition(
  container: Container,
  awsvpc: boolean,
  fargate: boolean,
): Omit<ContainerDefinition, 'essential'> {
  const requests = container.resources?.requests ?? {};
  const limits = container.resources?.limits ?? {};
  // On EC2 a container's cpu is what placement reserves: the request. On Fargate the task's size
  // is the only hard limit, so the larger of request and limit goes into it.
  const cpu = fargate
    ? Math.max(cpuMillis(requests.cpu), cpuMillis(limits.cpu))
    : cpuMillis(requests.cpu ?? limits.cpu);
  const memoryLimit = memoryBytes(limits.memory);
  const memoryRequest = memoryBytes(requests.memory);
  const healthCheck = toHealthCheck(container);
  return {
    name: container.name,
    image: container.image ?? '',
    ...(container.command ? { entryPoint: container.command } : {}),
    ...(container.args ? { command: container.args } : {}),
    ...(container.workingDir ? { workingDirectory: container.workingDir } : {}),
    ...(container.volumeMounts?.length
      ? {
          mountPoints: container.volumeMounts.map((m) => ({
            sourceVolume: m.name,
            containerPath: m.mountPath,
            readOnly: m.readOnly ?? false,
          })),
        }
      : {}),
    ...(container.env?.length
      ? {
          // A variable with no value is set to "" as in Kubernetes; valueFrom sources are the
          // kubelet issue's (secrets and field references have their own ECS mapping).
          environment: container.env
            .filter((e) => e.valueFrom === undefined)
            .map((e) => ({ name: e.name, value: e.value ?? '' })),
        }
      : {}),
    ...(container.ports?.length
      ? {
          portMappings: container.ports.map((p) => ({
            containerPort: p.containerPort,
            // awsvpc gives the task its own address: the host port is the container port.
            ...(p.hostPort && !awsvpc ? { hostPort: p.hostPort } : {}),
            protocol: p.protocol === 'UDP' ? ('udp' as const) : ('tcp' as const),
          })),
        }
      : {}),
    // ECS counts 1024 CPU units per vCPU; Kubernetes 1000 millicores.
    ...(cpu > 0 ? { cpu: Math.ceil((cpu * 1024) / 1000) } : {}),
    ...(memoryLimit > 0 ? { memory: mebibytes(memoryLimit) } : {}),
    // ECS on EC2 needs a memory figure per container; a pod without one gets a small soft reservation.
    memoryReservation: mebibytes(memoryRequest) || (memoryLimit > 0 ? mebibytes(memoryLimit) : 128),
    ...(healthCheck ? { healthCheck } : {}),
  };
}

function simulatorLabels(pod: Pod): Record<string, string> | undefined {
  const entries = Object.entries(pod.metadata?.annotations ?? {}).filter(([key]) =>
    key.startsWith(simulatorAnnotationPrefix),
  );
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/** `pp-` and 40 hex chars of the content hash: within ECS's family rules (letters, digits, - and _). */
export function taskDefinitionFamily(content: unknown): string {
  return `pp-${createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 40)}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/**
 * RunTask's idempotency token: the same pod and restart always yield the same token (at most
 * 64 ASCII chars), so a repeated stream record or a retried Lambda gets the same task back.
 */
export function runTaskClientToken(podUid: string, generation: number): string {
  return `${podUid}-${generation}`;
}

const groupPrefix = 'podplane-gen-';

/**
 * RunTask's `group` names the pod's task generation (0 for the first task, one more per
 * restart). Every event and description of a task carries it, so an observation of a task the
 * pod has already replaced is recognised without reading anything else.
 */
export const taskGroup = (generation: number) => `${groupPrefix}${generation}`;

/** The generation a task belongs to; tasks launched without a group count as the first. */
export function generationOfGroup(group: string | undefined): number {
  if (!group?.startsWith(groupPrefix)) return 0;
  const generation = Number(group.slice(groupPrefix.length));
  return Number.isSafeInteger(generation) && generation >= 0 ? generation : 0;
}

/** The container's security context (falling back to the pod's) in ECS's container fields. */
function securityOf(container: Container, pod: Pod, fargate: boolean): Partial<ContainerDefinition> {
  const security = container.securityContext ?? {};
  const podSecurity = pod.spec?.securityContext ?? {};
  const user = security.runAsUser ?? podSecurity.runAsUser;
  const group = security.runAsGroup ?? podSecurity.runAsGroup;
  const capability = (name: string) => name.replace(/^CAP_/, '');
  const add = security.capabilities?.add?.map(capability);
  const drop = security.capabilities?.drop?.map(capability);
  return {
    ...(security.privileged ? { privileged: true } : {}),
    ...(user !== undefined ? { user: group !== undefined ? `${user}:${group}` : String(user) } : {}),
    ...(security.readOnlyRootFilesystem ? { readonlyRootFilesystem: true } : {}),
    ...(add?.length || drop?.length
      ? {
          linuxParameters: {
            capabilities: { ...(add?.length ? { add } : {}), ...(drop?.length ? { drop } : {}) },
          },
        }
      : {}),
    // Fargate refuses dockerSecurityOptions: there the pod runs without no-new-privileges, and
    // admission and the kubelet say so (ecs-admission.ts).
    ...(security.allowPrivilegeEscalation === false && !fargate
      ? { dockerSecurityOptions: ['no-new-privileges'] }
      : {}),
  };
}

/**
 * The Fargate size a pod runs as: what its emitted containers reserve (every container, init
 * containers included, as ECS sums them), rounded up to a pair Fargate accepts. Undefined when
 * it exceeds the largest.
 */
export function podFargateSize(pod: Pod): FargateSize | undefined {
  return fargateSizeOf(toContainerDefinitions(pod, { logGroup: '', region: '', fargate: true }));
}

function fargateSizeOf(containers: readonly ContainerDefinition[]): FargateSize | undefined {
  const { cpuUnits, memoryMiB } = containerReservation(containers, true);
  return fargateSize(cpuUnits, memoryMiB);
}
