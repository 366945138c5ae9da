import { jsonEqual } from '../equal';
import type { FieldError } from '../errors';
import type { Pod, PodSpec } from '../k8s';
import { forbidden, invalid, required } from '../validation/field-errors';
import { ecsAdmissionErrors } from './ecs-admission';
import { validatePod } from './validate';

/**
 * The one message Kubernetes gives for any other change to a pod's spec (ValidatePodUpdate's
 * `updatablePodSpecFields`; the apiserver appends a diff, podplane does not).
 */
export const immutableSpecMessage =
  'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** activeDeadlineSeconds is an int64 that must fit an int32. */
const maxInt32 = 2 ** 31 - 1;

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * ValidatePodUpdate's rules for the spec (pkg/apis/core/validation, Kubernetes 1.33), on the
 * proposed spec after defaulting against the stored one: the containers' and init containers'
 * images may change (to a non-empty image), activeDeadlineSeconds may be set or lowered,
 * tolerations may be added (an existing one may change only its tolerationSeconds), and a
 * negative grace period may become 1. Anything else is Kubernetes' "may not change fields other
 * than" error. The proposed spec may be any JSON value (a malformed body reaches here); the rest
 * of the new pod is validated as a created pod is, by the caller.
 */
export function podSpecUpdateErrors(proposed: unknown, current: PodSpec): FieldError[] {
  if (!isObject(proposed)) return [specForbidden];
  const old = current as unknown as JsonObject;
  const errors: FieldError[] = [];
  for (const list of ['containers', 'initContainers'] as const) {
    const next = proposed[list] ?? [];
    const before = old[list] ?? [];
    if (!Array.isArray(next) || !Array.isArray(before)) return [specForbidden];
    if (next.length !== before.length)
      return [...errors, forbidden(`spec.${list}`, 'pod updates may not add or remove containers')];
    next.forEach((container, i) => {
      const image = isObject(container) ? container.image : undefined;
      if (image === undefined || image === '') errors.push(required(`spec.${list}[${i}].image`));
      else if (typeof image === 'string' && image.trim() !== image)
        errors.push(
          invalid(`spec.${list}[${i}].image`, image, 'must not have leading or trailing whitespace'),
        );
    });
  }

  const deadline = proposed.activeDeadlineSeconds;
  const oldDeadline = old.activeDeadlineSeconds;
  const path = 'spec.activeDeadlineSeconds';
  if (typeof deadline === 'number') {
    if (deadline < 0 || deadline > maxInt32)
      return [...errors, invalid(path, deadline, `must be between 0 and ${maxInt32}, inclusive`)];
    if (typeof oldDeadline === 'number' && oldDeadline < deadline)
      return [...errors, invalid(path, deadline, 'must be less than or equal to previous value')];
  } else if ((deadline === undefined || deadline === null) && typeof oldDeadline === 'number')
    errors.push(invalid(path, null, 'must not update from a positive integer to nil value'));

  if (!onlyAddedTolerations(proposed.tolerations, old.tolerations))
    errors.push(
      forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'),
    );

  if (!jsonEqual(withoutUpdatableFields(proposed, old), old)) errors.push(specForbidden);
  return errors;
}

const specForbidden: FieldError = {
  field: 'spec',
  reason: 'FieldValueForbidden',
  message: immutableSpecMessage,
};

/** Every toleration the pod had is still there, but for its tolerationSeconds. */
function onlyAddedTolerations(next: unknown, before: unknown): boolean {
  if (before === undefined || before === null) return true;
  if (!Array.isArray(before)) return jsonEqual(next, before);
  const proposed = Array.isArray(next) ? next.map(withoutSeconds) : [];
  return before.map(withoutSeconds).every((old) => proposed.some((toleration) => jsonEqual(toleration, old)));
}

function withoutSeconds(toleration: unknown): unknown {
  if (!isObject(toleration)) return toleration;
  const { tolerationSeconds: _seconds, ...rest } = toleration;
  return rest;
}

/**
 * The proposed spec with what an update may change put back as it was (the apiserver's "munged"
 * spec): if it still differs from the stored one, something else changed.
 */
function withoutUpdatableFields(proposed: JsonObject, old: JsonObject): JsonObject {
  const munged: JsonObject = { ...proposed };
  for (const list of ['containers', 'initContainers'] as const) {
    const next = munged[list];
    const before = old[list];
    if (Array.isArray(next) && Array.isArray(before))
      munged[list] = next.map((container, i) => {
        const image = (before[i] as JsonObject | undefined)?.image;
        if (!isObject(container)) return container;
        const { image: _image, ...rest } = container;
        return image === undefined ? rest : { ...rest, image };
      });
  }
  delete munged.activeDeadlineSeconds;
  if (old.activeDeadlineSeconds !== undefined) munged.activeDeadlineSeconds = old.activeDeadlineSeconds;
  delete munged.tolerations;
  if (old.tolerations !== undefined) munged.tolerations = old.tolerations;
  const oldGrace = old.terminationGracePeriodSeconds;
  if (typeof oldGrace === 'number' && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1)
    munged.terminationGracePeriodSeconds = oldGrace;
  return munged;
}

/**
 * What an update that changes the spec must pass besides the rules above: the new pod is
 * validated as a created one is, and what ECS cannot run is refused the same way.
 */
export function updatedPodErrors(next: Pod): FieldError[] {
  const errors = validatePod(next);
  return errors.length > 0 ? errors : ecsAdmissionErrors(next);
}
