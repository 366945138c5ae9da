import { jsonEqual } from '../equal';
import { invalid } from '../errors';
import type { Pod, PodSpec } from '../k8s';
import { withPodDefaults } from '../pod/defaults';
import { newFinalizerErrors } from '../pod/deletion';
import { podSpecUpdateErrors, updatedPodErrors } from '../pod/update-rules';
import { validatePod } from '../pod/validate';
import { checkUpdateIdentity, type ObjectKey, type Part } from './registry/strategy';

/**
 * What an update may change: through the pod, its labels, annotations, owner references and
 * finalizers (of a pod being deleted, finalizers may only be removed), and of its spec what
 * Kubernetes allows (pod/update-rules.ts: images, a lower activeDeadlineSeconds, added
 * tolerations), which bumps metadata.generation; through /status, only the status. Identity
 * fields always stay.
 */
export function admitPodUpdate(current: Pod, proposed: Pod, part: Part, key: ObjectKey): Pod {
  checkUpdateIdentity(current, proposed, key);
  const { name } = key;
  // The status arrives decoded, so every field has its type.
  if (part === 'status') return { ...current, status: proposed.status ?? {} };
  // Compared after defaulting, as the apiserver does, so a manifest that leaves defaults out is
  // not a change.
  const spec = defaultedSpec(proposed);
  const specChanged = !jsonEqual(spec, current.spec);
  if (specChanged) {
    const errors = podSpecUpdateErrors(spec, current.spec ?? { containers: [] });
    if (errors.length > 0) throw invalid('Pod', name, errors);
  }
  const next: Pod = {
    ...current,
    metadata: {
      ...current.metadata,
      // As in Kubernetes, every change to the spec counts: the kubelet compares the generation
      // with the one the pod's task was started from.
      ...(specChanged ? { generation: (current.metadata?.generation ?? 1) + 1 } : {}),
      ...(proposed.metadata?.labels ? { labels: proposed.metadata.labels } : {}),
      ...(proposed.metadata?.annotations ? { annotations: proposed.metadata.annotations } : {}),
      ...(proposed.metadata?.finalizers?.length ? { finalizers: proposed.metadata.finalizers } : {}),
      ...(proposed.metadata?.ownerReferences?.length
        ? { ownerReferences: proposed.metadata.ownerReferences }
        : {}),
    },
    ...(specChanged ? { spec: spec as PodSpec } : {}),
  };
  if (!proposed.metadata?.labels) delete next.metadata?.labels;
  if (!proposed.metadata?.annotations) delete next.metadata?.annotations;
  if (!proposed.metadata?.finalizers?.length) delete next.metadata?.finalizers;
  if (!proposed.metadata?.ownerReferences?.length) delete next.metadata?.ownerReferences;
  const errors = [
    ...(specChanged
      ? updatedPodErrors(next)
      : validatePod(next).filter((e) => e.field.startsWith('metadata'))),
    ...newFinalizerErrors(current, next),
  ];
  if (errors.length > 0) throw invalid('Pod', name, errors);
  return next;
}

/** The proposed spec with the create defaults applied; a malformed spec is returned as it is. */
function defaultedSpec(proposed: Pod): unknown {
  const spec = proposed.spec as unknown;
  if (
    typeof spec !== 'object' ||
    spec === null ||
    !Array.isArray((spec as { containers?: unknown }).containers)
  )
    return spec;
  try {
    return withPodDefaults(proposed).spec;
  } catch {
    return spec;
  }
}
