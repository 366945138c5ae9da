import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1';
import { withFreshPod } from '../controllers/retry';
import { jsonEqual } from '../equal';
import { ApiError, badRequest, conflict, invalid, notFound } from '../errors';
import type { Pod, PodSpec } from '../k8s';
import { withPodDefaults } from '../pod/defaults';
import { podSpecUpdateErrors, updatedPodErrors } from '../pod/update-rules';
import { validatePod } from '../pod/validate';
import { ConflictError, type PodRecord } from '../ports';
import { kubernetesTime } from '../time';
import {
  applyConfiguration,
  fieldManagerScope,
  type JsonObject,
  updateManagedFields,
  withManagedFields,
} from './apply/managed-fields';
import {
  applyPatchType,
  fieldManagerOf,
  forceOf,
  parseApplyConfiguration,
  patchTypeOf,
  strictApplyWarnings,
} from './apply/request';
import { parseObjectBody } from './body';
import { type ApiRequest, type ApiResponse, json } from './http';
import { applyPatch } from './patch';
import { type ApiDeps, admitAndCreatePod } from './pods';
import { admitFields, admitPatched, withWarnings } from './unknown-fields';

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
  return withWarnings(
    await updatePod(
      namespace,
      name,
      part,
      deps,
      ordinaryWrite(part, request, deps, () => body),
    ),
    admitted.warnings,
  );
}

/**
 * PATCH: JSON merge, strategic merge (for the maps a pod may change), JSON patch, or server-side
 * apply. The patched object is decoded like a body before anything reads it; the resourceVersion
 * it carries (the patch's own, or the current one) is the update's precondition, as in the
 * apiserver.
 */
export async function patchPod(
  namespace: string,
  name: string,
  part: Part,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResponse> {
  const type = patchTypeOf(request);
  if (type === applyPatchType) return applyPod(namespace, name, part, request, deps);
  let patch: unknown;
  try {
    patch = JSON.parse(request.body ?? '');
  } catch {
    throw badRequest('the patch could not be decoded as JSON');
  }
  let warnings: readonly string[] = [];
  const apply = (current: Pod): Pod => {
    const patched = applyPatch(type, current, patch);
    const admitted = admitPatched('Pod', name, patched, request);
    warnings = admitted.warnings;
    return admitted.object as Pod;
  };
  const response = await updatePod(namespace, name, part, deps, ordinaryWrite(part, request, deps, apply));
  return withWarnings(response, warnings);
}

/**
 * Server-side apply (application/apply-patch+yaml): the configuration merged into the pod with
 * the field manager's ownership settled (apply/managed-fields.ts), then admitted exactly as any
 * update is; a pod that does not exist is created through the same admission as a POST (201).
 */
async function applyPod(
  namespace: string,
  name: string,
  part: Part,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResponse> {
  const parsed = parseApplyConfiguration(request);
  const scope = part === 'status' ? podStatusFields : podFields;
  const manager = request.query.fieldManager ?? '';
  const force = forceOf(request);
  let warnings: readonly string[] = [];
  const applyTo = (live: Pod | undefined) => {
    const applied = applyConfiguration(scope, {
      live: live as JsonObject | undefined,
      config: parsed.config,
      manager,
      force,
      now: kubernetesTime(deps.now()),
    });
    const strict = strictApplyWarnings(parsed, request);
    const decoded = admitPatched('Pod', name, applied.object, request);
    warnings = [...strict, ...decoded.warnings];
    return { pod: decoded.object as Pod, managedFields: applied.managedFields };
  };
  for (let attempt = 1; ; attempt++) {
    const first = await deps.pods.getPod(namespace, name, true);
    if (first) {
      let managedFields: ManagedFieldsEntry[] | undefined;
      const write: PodWrite = {
        propose: (current) => {
          const applied = applyTo(current);
          managedFields = applied.managedFields;
          return applied.pod;
        },
        managedFields: () => managedFields,
      };
      return withWarnings(await updatePod(namespace, name, part, deps, write, first), warnings);
    }
    if (part === 'status') throw notFound('pods', name);
    const { pod, managedFields } = applyTo(undefined);
    if (pod.metadata?.uid)
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on pods "${name}": uid mismatch: the provided object specified uid ${pod.metadata.uid}, and no existing object was found`,
        { name, kind: 'pods' },
      );
    if ((pod.metadata?.name ?? '') !== name)
      throw badRequest(
        `the name of the object (${pod.metadata?.name ?? ''}) does not match the name on the URL (${name})`,
      );
    try {
      return await admitAndCreatePod(namespace, pod, deps, warnings, () => managedFields);
    } catch (error) {
      // Created meanwhile: apply to it, as GuaranteedUpdate would on its next try.
      if (!(error instanceof ApiError && error.reason === 'AlreadyExists') || attempt >= 3) throw error;
    }
  }
}

const podFields = fieldManagerScope('Pod');
const podStatusFields = fieldManagerScope('Pod', 'status');

/** One write: the pod it proposes from the current one, and the managedFields its result gets. */
interface PodWrite {
  propose(current: Pod): Pod;
  managedFields(live: Pod, proposed: Pod, next: Pod): ManagedFieldsEntry[] | undefined;
}

/** A PUT or non-apply PATCH: an `Update` by the request's field manager. */
function ordinaryWrite(
  part: Part,
  request: ApiRequest,
  deps: ApiDeps,
  change: (current: Pod) => Pod,
): PodWrite {
  const manager = fieldManagerOf(request);
  return {
    propose: change,
    managedFields: (live, proposed, next) =>
      updateManagedFields(part === 'status' ? podStatusFields : podFields, {
        live: live as JsonObject,
        next: next as JsonObject,
        requested: proposed.metadata?.managedFields,
        manager,
        now: kubernetesTime(deps.now()),
      }),
  };
}

async function updatePod(
  namespace: string,
  name: string,
  part: Part,
  deps: ApiDeps,
  write: PodWrite,
  read?: PodRecord,
): Promise<ApiResponse> {
  const first = read ?? (await deps.pods.getPod(namespace, name, true));
  if (!first) throw notFound('pods', name);
  let result: Pod = first.pod;
  try {
    await withFreshPod(first, deps.pods, async (record) => {
      const proposed = write.propose(structuredClone(record.pod));
      const precondition = proposed.metadata?.resourceVersion;
      if (precondition !== undefined && precondition !== record.pod.metadata?.resourceVersion)
        throw new ConflictError();
      const admittedPod = admitted(record, proposed, part, name, namespace);
      const next = withManagedFields(
        admittedPod,
        write.managedFields(record.pod, proposed, admittedPod),
        record.pod,
      );
      result = jsonEqual(next, record.pod) ? record.pod : (await deps.pods.updatePod(record, next)).pod;
    });
  } catch (error) {
    if (error instanceof ConflictError) throw conflict('pods', name);
    throw error;
  }
  return json(200, result);
}

/**
 * What an update may change: through the pod, its labels and annotations, and of its spec what
 * Kubernetes allows (pod/update-rules.ts: images, a lower activeDeadlineSeconds, added
 * tolerations), which bumps metadata.generation; through /status, only the status. Identity
 * fields always stay.
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
    },
    ...(specChanged ? { spec: spec as PodSpec } : {}),
  };
  if (!proposed.metadata?.labels) delete next.metadata?.labels;
  if (!proposed.metadata?.annotations) delete next.metadata?.annotations;
  const errors = specChanged
    ? updatedPodErrors(next)
    : validatePod(next).filter((e) => e.field.startsWith('metadata'));
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
