import type { Container, Pod } from '../k8s';

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
      restartPolicy: spec.restartPolicy ?? 'Always',
      terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? 30,
      dnsPolicy: spec.dnsPolicy ?? 'ClusterFirst',
      schedulerName: spec.schedulerName ?? 'default-scheduler',
      securityContext: spec.securityContext ?? {},
      enableServiceLinks: spec.enableServiceLinks ?? true,
      containers: spec.containers.map(withContainerDefaults),
      ...(spec.initContainers ? { initContainers: spec.initContainers.map(withContainerDefaults) } : {}),
    },
  };
}

function withContainerDefaults(container: Container): Container {
  const resources = container.resources ?? {};
  // Requests default to limits for every resource with a limit but no request.
  const requests = resources.limits ? { ...resources.limits, ...resources.requests } : resources.requests;
  return {
    ...container,
    imagePullPolicy: container.imagePullPolicy ?? defaultImagePullPolicy(container.image),
    terminationMessagePath: container.terminationMessagePath ?? '/dev/termination-log',
    terminationMessagePolicy: container.terminationMessagePolicy ?? 'File',
    resources: { ...resources, ...(requests ? { requests } : {}) },
    ...(container.ports
      ? { ports: container.ports.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP' })) }
      : {}),
  };
}

/** Always for `:latest` or no tag, IfNotPresent otherwise; a digest pins the image. */
export function defaultImagePullPolicy(image: string | undefined): 'Always' | 'IfNotPresent' {
  if (!image) return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon === -1) return 'Always';
  return lastSegment.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

/** Guaranteed when every container has equal cpu and memory requests and limits, BestEffort with none. */
export function qosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    if (Object.keys(requests).length > 0 || Object.keys(limits).length > 0) any = true;
    for (const resource of ['cpu', 'memory']) {
      const limit = limits[resource];
      if (limit === undefined || String(requests[resource] ?? limit) !== String(limit)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
