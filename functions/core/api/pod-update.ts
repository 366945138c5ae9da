import { withFreshPod } from '../controllers/retry';
import { jsonEqual } from '../equal';
import { ApiError, badRequest, conflict, invalid, notFound } from '../errors';
import type { Pod } from '../k8s';
import { withPodDefaults } from '../pod/defaults';
import { validatePod } from '../pod/validate';
import { ConflictError, type PodRecord } from '../ports';
import { maxRequestBytes, parseObjectBody } from './body';
import { type ApiRequest, type ApiResponse, json } from './http';
import { jsonPatch, mergePatch } from './patch';
import type { ApiDeps } from './pods';
import { admitFields, admitPatched, withWarnings } from './unknown-fields';

/** The one message Kubernetes gives for any change to a pod's spec it does not allow. */
const immutableSpecMessage =
  'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

type Part = 'object' | 'status';

/** PUT: replace the pod (or only its status), conditioned on the resourceVersion sent, if any. */
export async function replacePod(
  namespace: string,
  name: string,
  part: Part,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResponse> {
  const admitted = admitFields('Pod', parseObjectBody(request), request);
  const body = admitted.object as Pod;
  return withWarnings(await updatePod(namespace, name, part, deps, () => body), admitted.warnings);
}

const patchTypes = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
] as const;

/**
 * PATCH: JSON merge, strategic merge (for the maps a pod may change) or JSON patch. The patched
 * object is decoded like a body before anything reads it; the resourceVersion it carries (the
 * patch's own, or the current one) is the update's precondition, as in the apiserver.
 */
export async function patchPod(
  namespace: string,
  name: string,
  part: Part,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResponse> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (!patchTypes.includes(type as (typeof patchTypes)[number]))
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${patchTypes.join(', ')}`,
    );
  if (Buffer.byteLength(request.body ?? '') > maxRequestBytes)
    throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
  let patch: unknown;
  try {
    patch = JSON.parse(request.body ?? '');
  } catch {
    throw badRequest('the patch could not be decoded as JSON');
  }
  let warnings: readonly string[] = [];
  const apply = (current: Pod): Pod => {
    const patched =
      type === 'application/json-patch+json'
        ? jsonPatch(current, patch)
        : mergePatch(current, patch, type === 'application/strategic-merge-patch+json');
    const admitted = admitPatched('Pod', name, patched, request);
    warnings = admitted.warnings;
    return admitted.object as Pod;
  };
  return withWarnings(await updatePod(namespace, name, part, deps, apply), warnings);
}

async function updatePod(
  namespace: string,
  name: string,
  part: Part,
  deps: ApiDeps,
  change: (current: Pod) => Pod,
): Promise<ApiResponse> {
  const first = await deps.pods.getPod(namespace, name, true);
  if (!first) throw notFound('pods', name);
  let result: Pod = first.pod;
  try {
    await withFreshPod(first, deps.pods, async (record) => {
      const proposed = change(structuredClone(record.pod));
      const precondition = proposed.metadata?.resourceVersion;
      if (precondition !== undefined && precondition !== record.pod.metadata?.resourceVersion)
        throw new ConflictError();
      const next = admitted(record, proposed, part, name, namespace);
      result = jsonEqual(next, record.pod) ? record.pod : (await deps.pods.updatePod(record, next)).pod;
    });
  } catch (error) {
    if (error instanceof ConflictError) throw conflict('pods', name);
    throw error;
  }
  return json(200, result);
}

/**
 * What an update may change: through the pod, its labels and annotations (the spec is
 * immutable but for fields podplane cannot honour in place, so all spec changes are refused);
 * through /status, only the status. Identity fields always stay.
 */
function admitted(record: PodRecord, proposed: Pod, part: Part, name: string, namespace: string): Pod {
  const current = record.pod;
  if (proposed.metadata?.name !== undefined && proposed.metadata.name !== name)
    throw badRequest(
      `the name of the object (${proposed.metadata.name}) does not match the name on the URL (${name})`,
    );
  if (proposed.metadata?.namespace !== undefined && proposed.metadata.namespace !== namespace)
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  if (proposed.metadata?.uid !== undefined && proposed.metadata.uid !== current.metadata?.uid)
    throw new ApiError(
      409,
      'Conflict',
      `Precondition failed: UID in precondition: ${proposed.metadata.uid}, UID in object meta: ${current.metadata?.uid}`,
    );
  // The status arrives decoded, so every field has its type.
  if (part === 'status') return { ...current, status: proposed.status ?? {} };
  // Compared after defaulting, as the apiserver does, so a manifest that leaves defaults out is
  // not a change.
  if (!jsonEqual(defaultedSpec(proposed), current.spec))
    throw invalid('Pod', name, [
      { field: 'spec', reason: 'FieldValueForbidden', message: immutableSpecMessage },
    ]);
  const next: Pod = {
    ...current,
    metadata: {
      ...current.metadata,
      ...(proposed.metadata?.labels ? { labels: proposed.metadata.labels } : {}),
      ...(proposed.metadata?.annotations ? { annotations: proposed.metadata.annotations } : {}),
    },
  };
  if (!proposed.metadata?.labels) delete next.metadata?.labels;
  if (!proposed.metadata?.annotations) delete next.metadata?.annotations;
  const errors = validatePod(next).filter((e) => e.field.startsWith('metadata'));
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
