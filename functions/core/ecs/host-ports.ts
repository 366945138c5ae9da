import type { Pod } from '../k8s';
import type { TaskView } from './types';

/**
 * Where a bridge-mode pod's ports were published on its node, `<container>:<port>/<protocol>=<host
 * port>` joined by commas. Kubernetes has no status field for it (a pod there has an address of
 * its own); an annotation is what `kubectl describe pod` and `-o yaml` show.
 */
export const hostPortsAnnotation = 'podplane.dev/host-ports';

/** The pod with the host ports its task's containers are bound to; the same pod when none changed. */
export function withHostPorts(pod: Pod, task: TaskView): Pod {
  const published = task.containers
    .flatMap((c) =>
      (c.networkBindings ?? []).map((b) => `${c.name}:${b.containerPort}/${b.protocol}=${b.hostPort}`),
    )
    .join(',');
  const annotations = pod.metadata?.annotations ?? {};
  if (!published || annotations[hostPortsAnnotation] === published) return pod;
  return {
    ...pod,
    metadata: { ...pod.metadata, annotations: { ...annotations, [hostPortsAnnotation]: published } },
  };
}
