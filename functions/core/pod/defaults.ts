import type { Probe } from 'kubernetes-types/core/v1';
import type { Container, Pod } from '../k8s';
import { parseQuantity } from '../quantity';

/**
 * Defaults the apiserver applies on create (pkg/apis/core/v1/defaults.go), so a GET shows what
 * the pod will actually run with.
 */
export function withPodDefaults(pod: Pod): Pod {
  const spec = pod.spec ?? { containers: [] };
  return {
    ...pod,
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...pod.metadata, namespace: pod.metadata?.namespace ?? 'default' },
    spec: {
      ...spec,
      restartPolicy: spec.restartPolicy || 'Always',
      terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? 30,
      dnsPolicy: spec.dnsPolicy || 'ClusterFirst',
      schedulerName: spec.schedulerName || 'default-scheduler',
      securityContext: spec.securityContext ?? {},
      enableServiceLinks: spec.enableServiceLinks ?? true,
      containers: spec.containers.map(withContainerDefaults),
      ...(spec.initContainers ? { initContainers: spec.initContainers.map(withContainerDefaults) } : {}),
    },
  };
}

function withContainerDefaults(container: Container): Container {
  const given = container.resources ?? {};
  const resources = {
    ...given,
    ...(given.limits ? { limits: zeroForNull(given.limits) } : {}),
    ...(given.requests ? { requests: zeroForNull(given.requests) } : {}),
  };
  // Requests default to limits for every resource with a limit but no request.
  const requests = resources.limits ? { ...resources.limits, ...resources.requests } : resources.requests;
  return {
    ...container,
    imagePullPolicy: container.imagePullPolicy || defaultImagePullPolicy(container.image),
    terminationMessagePath: container.terminationMessagePath || '/dev/termination-log',
    terminationMessagePolicy: container.terminationMessagePolicy || 'File',
    resources: { ...resources, ...(requests ? { requests } : {}) },
    ...(container.ports
      ? { ports: container.ports.map((p) => ({ ...p, protocol: p.protocol || 'TCP' })) }
      : {}),
    ...(container.livenessProbe ? { livenessProbe: withProbeDefaults(container.livenessProbe) } : {}),
    ...(container.readinessProbe ? { readinessProbe: withProbeDefaults(container.readinessProbe) } : {}),
    ...(container.startupProbe ? { startupProbe: withProbeDefaults(container.startupProbe) } : {}),
  };
}

/** A JSON null quantity decodes to zero in Kubernetes (resource.Quantity's UnmarshalJSON). */
function zeroForNull(list: Record<string, string | number | null>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(list).map(([name, quantity]) => [name, quantity === null ? '0' : String(quantity)]),
  );
}

/** Probe timings default where unset or zero: timeout 1 s, period 10 s, success 1, failure 3. */
function withProbeDefaults(probe: Probe): Probe {
  if (typeof probe !== 'object' || probe === null) return probe;
  const httpGet = probe.httpGet;
  return {
    ...probe,
    timeoutSeconds: probe.timeoutSeconds || 1,
    periodSeconds: probe.periodSeconds || 10,
    successThreshold: probe.successThreshold || 1,
    failureThreshold: probe.failureThreshold || 3,
    ...(httpGet && typeof httpGet === 'object'
      ? { httpGet: { ...httpGet, path: httpGet.path || '/', scheme: httpGet.scheme || 'HTTP' } }
      : {}),
  };
}

/**
 * Always when the image's tag is `latest`, which is also what a reference with neither tag nor
 * digest means; IfNotPresent otherwise (Kubernetes' defaulting by the parsed tag).
 */
export function defaultImagePullPolicy(image: string | undefined): 'Always' | 'IfNotPresent' {
  if (!image) return 'IfNotPresent';
  const at = image.indexOf('@');
  const name = at === -1 ? image : image.slice(0, at);
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  const tag = colon === -1 ? (at === -1 ? 'latest' : '') : lastSegment.slice(colon + 1);
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

const qosResources = ['cpu', 'memory'] as const;

/**
 * Kubernetes' QoS class, from cpu and memory only, compared by amount: Guaranteed when every
 * container limits both and requests what it limits, BestEffort when none asks for either.
 */
export function qosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  const amount = (value: string | number | undefined) =>
    value === undefined ? 0 : (parseQuantity(value) ?? 0);
  let bestEffort = true;
  let guaranteed = true;
  for (const c of containers) {
    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    for (const resource of qosResources) {
      const request = amount(requests[resource]);
      const limit = amount(limits[resource]);
      if (request > 0 || limit > 0) bestEffort = false;
      if (limit <= 0 || (requests[resource] !== undefined && request !== limit)) guaranteed = false;
    }
  }
  if (bestEffort) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
