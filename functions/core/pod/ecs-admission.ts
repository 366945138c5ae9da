import type { PodNetworking } from '../ecs/task-definition';
import type { FieldError } from '../errors';
import type { Container, Pod } from '../k8s';
import { memoryBytes } from '../quantity';
import { probeKinds } from '../validation/probes';

/** Fields of a pod's downward API that podplane can fill in when it launches the task. */
export const launchTimeFieldPaths = new Set([
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
]);

const forbidden = (field: string, why: string): FieldError => ({
  field,
  reason: 'FieldValueForbidden',
  message: `Forbidden: ${why}`,
});

const supportedVolumeSources = ['emptyDir', 'hostPath'];

/**
 * What a valid Kubernetes pod may still ask that ECS cannot do. Each such field is refused at
 * admission with a clear reason, never accepted and silently dropped (docs/decisions.md lists
 * the choices field by field). Runs after Kubernetes' own validation has passed.
 */
export function ecsAdmissionErrors(pod: Pod, networking?: PodNetworking): FieldError[] {
  const spec = pod.spec;
  if (!spec) return [];
  const errors: FieldError[] = [];
  // ECS refuses extraHosts in awsvpc mode: there is no /etc/hosts of the task's own to add to.
  if (networking === 'awsvpc' && spec.hostAliases?.length)
    errors.push(
      forbidden(
        'spec.hostAliases',
        'pods have their own network interface (podplane:podNetworking is awsvpc), where ECS cannot add /etc/hosts entries; use DNS names, or a cluster deployed with podNetworking bridge',
      ),
    );
  for (const [field, set] of [
    ['hostNetwork', spec.hostNetwork],
    ['hostPID', spec.hostPID],
    ['hostIPC', spec.hostIPC],
  ] as const)
    if (set)
      errors.push(
        forbidden(
          `spec.${field}`,
          `podplane runs each pod as its own ECS task, which cannot share the node's ${field.slice(4).toLowerCase()} namespace; ${field} is not supported`,
        ),
      );
  errors.push(...unsupportedPodFields(spec));
  if (spec.imagePullSecrets?.length)
    errors.push(
      forbidden(
        'spec.imagePullSecrets',
        'podplane has no Secrets API; use images ECS can pull with its task execution role',
      ),
    );
  const volumes = new Set<string>();
  (spec.volumes ?? []).forEach((volume, i) => {
    volumes.add(volume.name);
    const sources = Object.keys(volume).filter((key) => key !== 'name');
    const unsupported = sources.filter((key) => !supportedVolumeSources.includes(key));
    if (unsupported.length > 0)
      errors.push(
        forbidden(
          `spec.volumes[${i}]`,
          `podplane supports emptyDir and hostPath volumes only, not ${unsupported.join(', ')}`,
        ),
      );
    if (volume.emptyDir?.medium === 'Memory')
      errors.push(
        forbidden(
          `spec.volumes[${i}].emptyDir.medium`,
          'memory-backed emptyDir volumes are not supported on ECS',
        ),
      );
  });
  const check = (containers: readonly Container[], path: string) => {
    containers.forEach((container, i) => {
      errors.push(...containerErrors(container, `${path}[${i}]`, volumes));
    });
  };
  check(spec.containers ?? [], 'spec.containers');
  check(spec.initContainers ?? [], 'spec.initContainers');
  const count = (spec.containers?.length ?? 0) + (spec.initContainers?.length ?? 0);
  if (count > maxTaskContainers)
    errors.push({
      field: 'spec.containers',
      reason: 'FieldValueTooMany',
      message: `Too many: ${count}: must have at most ${maxTaskContainers} items: an ECS task definition holds at most ${maxTaskContainers} containers, init containers included`,
    });
  (spec.initContainers ?? []).forEach((init, i) => {
    if (init.restartPolicy === 'Always')
      errors.push(
        forbidden(
          `spec.initContainers[${i}].restartPolicy`,
          'sidecar containers are not supported on ECS yet',
        ),
      );
  });
  return errors;
}

/** ECS's quota of containers per task definition (init containers are containers of the task). */
export const maxTaskContainers = 10;

/** Docker refuses to create a container with less memory than this; ECS then fails the task. */
const minContainerMemoryBytes = 6 * 2 ** 20;

function containerErrors(container: Container, path: string, volumes: ReadonlySet<string>): FieldError[] {
  const errors: FieldError[] = [];
  // ECS refuses a container port exposed on two protocols (DNS's 53 on TCP and UDP, say).
  const protocols = new Map<number, string>();
  (container.ports ?? []).forEach((port, i) => {
    const seen = protocols.get(port.containerPort);
    const protocol = port.protocol ?? 'TCP';
    if (seen !== undefined && seen !== protocol)
      errors.push(
        forbidden(
          `${path}.ports[${i}]`,
          `ECS cannot expose containerPort ${port.containerPort} for both ${seen} and ${protocol}; use another port number for one of them`,
        ),
      );
    protocols.set(port.containerPort, protocol);
  });
  for (const kind of ['requests', 'limits'] as const) {
    const memory = container.resources?.[kind]?.memory;
    if (memory !== undefined && memoryBytes(memory) > 0 && memoryBytes(memory) < minContainerMemoryBytes)
      errors.push({
        field: `${path}.resources.${kind}.memory`,
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${memory}": must be at least 6Mi: Docker, which ECS runs containers with, refuses less`,
      });
  }
  (container.volumeMounts ?? []).forEach((mount, i) => {
    const at = `${path}.volumeMounts[${i}]`;
    if (!volumes.has(mount.name))
      errors.push({
        field: `${at}.name`,
        reason: 'FieldValueNotFound',
        message: `Not found: "${mount.name}"`,
      });
    if (mount.subPath || mount.subPathExpr)
      errors.push(forbidden(`${at}.subPath`, 'ECS mounts whole volumes; subPath is not supported'));
    if (mount.mountPropagation && mount.mountPropagation !== 'None')
      errors.push(forbidden(`${at}.mountPropagation`, 'mount propagation is not supported on ECS'));
  });
  if (container.envFrom?.length)
    errors.push(forbidden(`${path}.envFrom`, 'podplane has no ConfigMap or Secret API'));
  (container.env ?? []).forEach((env, i) => {
    const from = env.valueFrom;
    if (!from) return;
    const at = `${path}.env[${i}].valueFrom`;
    if (from.secretKeyRef || from.configMapKeyRef)
      errors.push(forbidden(at, 'podplane has no ConfigMap or Secret API'));
    else if (from.resourceFieldRef)
      errors.push(forbidden(`${at}.resourceFieldRef`, 'resource references are not supported yet'));
    else if (from.fieldRef && !launchTimeFieldPaths.has(from.fieldRef.fieldPath))
      errors.push(
        forbidden(
          `${at}.fieldRef.fieldPath`,
          `podplane can fill in ${[...launchTimeFieldPaths].join(', ')} when the task starts, not ${from.fieldRef.fieldPath}`,
        ),
      );
  });
  if (container.lifecycle)
    errors.push(forbidden(`${path}.lifecycle`, 'ECS has no container lifecycle hooks'));
  errors.push(...probeErrors(container, path));
  const security = container.securityContext;
  for (const field of [
    'seLinuxOptions',
    'windowsOptions',
    'appArmorProfile',
    'procMount',
    'seccompProfile',
  ] as const)
    if (security?.[field] !== undefined)
      errors.push(forbidden(`${path}.securityContext.${field}`, `${field} is not supported on ECS`));
  return errors;
}

/**
 * Pod fields whose meaning podplane cannot keep: accepting and ignoring them would change what
 * the pod does (a gated pod would be scheduled, a readiness gate never honoured), so they are
 * refused with the reason.
 */
function unsupportedPodFields(spec: NonNullable<Pod['spec']>): FieldError[] {
  const refused: [string, boolean, string][] = [
    [
      'schedulingGates',
      (spec.schedulingGates?.length ?? 0) > 0,
      'scheduling gates are not supported; create the pod when it may be scheduled',
    ],
    [
      'readinessGates',
      (spec.readinessGates?.length ?? 0) > 0,
      'nothing in podplane sets readiness-gate conditions, so the pod could never be Ready',
    ],
    ['runtimeClassName', Boolean(spec.runtimeClassName), 'ECS has one container runtime per instance'],
    ['os.name', spec.os?.name === 'windows', 'podplane runs Linux tasks only'],
    ['hostUsers', spec.hostUsers === false, 'ECS tasks cannot run in a user namespace'],
    ['resourceClaims', (spec.resourceClaims?.length ?? 0) > 0, 'podplane has no dynamic resource allocation'],
    ['dnsConfig', spec.dnsConfig !== undefined, "podplane does not change a task's DNS configuration"],
    [
      'securityContext.sysctls',
      (spec.securityContext?.sysctls?.length ?? 0) > 0,
      'sysctls are not supported on ECS tasks yet',
    ],
  ];
  return refused.filter(([, set]) => set).map(([field, , why]) => forbidden(`spec.${field}`, why));
}

/**
 * ECS health checks run a command in the container: gRPC probes have no such command, and a
 * named port must be one of the container's own so the command knows the number.
 */
function probeErrors(container: Container, path: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const kind of probeKinds) {
    const probe = container[kind];
    if (!probe) continue;
    if (probe.grpc)
      errors.push(
        forbidden(
          `${path}.${kind}.grpc`,
          'ECS health checks run a command inside the container; use an exec probe (for example grpc_health_probe) instead of grpc',
        ),
      );
    const port = probe.httpGet?.port ?? probe.tcpSocket?.port;
    if (typeof port === 'string' && !container.ports?.some((p) => p.name === port))
      errors.push({
        field: `${path}.${kind}.${probe.httpGet ? 'httpGet' : 'tcpSocket'}.port`,
        reason: 'FieldValueNotFound',
        message: `Not found: "${port}": no port of the container has this name`,
      });
  }
  return errors;
}

/** The downward-API values a container's environment asks for, as RunTask container overrides. */
export function launchEnvironment(
  pod: Pod,
): { name: string; environment: { name: string; value: string }[] }[] {
  const values: Record<string, string> = {
    'metadata.name': pod.metadata?.name ?? '',
    'metadata.namespace': pod.metadata?.namespace ?? 'default',
    'metadata.uid': pod.metadata?.uid ?? '',
    'spec.nodeName': pod.spec?.nodeName ?? '',
    'spec.serviceAccountName': pod.spec?.serviceAccountName ?? 'default',
  };
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].flatMap((container) => {
    const environment = (container.env ?? []).flatMap((env) => {
      const path = env.valueFrom?.fieldRef?.fieldPath;
      return path && path in values ? [{ name: env.name, value: values[path] ?? '' }] : [];
    });
    return environment.length > 0 ? [{ name: container.name, environment }] : [];
  });
}

/**
 * What a pod asks that Fargate (unlike EC2) cannot give. The pod only lands on Fargate if it
 * tolerates the Fargate taint, so these are reported on the pod when it gets there.
 */
export function fargateIncompatibilities(pod: Pod): string[] {
  const problems: string[] = [];
  // awsvpc (Fargate's only network mode) has no /etc/hosts entries or hostname of the task's own.
  if (pod.spec?.hostAliases?.length)
    problems.push('hostAliases (Fargate tasks cannot add /etc/hosts entries)');
  if (pod.spec?.hostname) problems.push('hostname (Fargate tasks cannot set one)');
  for (const volume of pod.spec?.volumes ?? [])
    if (volume.hostPath) problems.push(`hostPath volume "${volume.name}" (Fargate has no host to mount)`);
  for (const container of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    if (container.securityContext?.privileged) problems.push(`privileged container "${container.name}"`);
    const added = (container.securityContext?.capabilities?.add ?? []).filter(
      (name) => name.replace(/^CAP_/, '') !== 'SYS_PTRACE',
    );
    if (added.length > 0)
      problems.push(
        `capabilities.add ${added.join(', ')} of container "${container.name}" (Fargate adds only SYS_PTRACE)`,
      );
    for (const port of container.ports ?? [])
      if (port.hostPort && port.hostPort !== port.containerPort)
        problems.push(
          `hostPort ${port.hostPort} of container "${container.name}" differs from its containerPort`,
        );
  }
  return problems;
}
