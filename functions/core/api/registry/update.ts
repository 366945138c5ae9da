import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1';
import { conflict, notFound } from '../../errors';
import { ConflictError } from '../../ports';
import { kubernetesTime } from '../../time';
import { updateManagedFields, withManagedFields } from '../apply/managed-fields';
import { fieldManagerOf } from '../apply/request';
import { applyApiVersions } from '../apply/schema';
import { parseObjectBody } from '../body';
import { admitFields, withWarnings } from '../decode';
import { type ApiRequest, type ApiResponse, json } from '../http';
import type { ApiDeps } from '../pods';
import { groupOf } from './storage';
import {
  asJson,
  fieldManagerScopeOf,
  type ObjectKey,
  type ObjectWithMeta,
  type Part,
  type Strategy,
} from './strategy';

/**
 * One update, as rest.UpdatedObjectInfo: the object it makes of the current one (asked again on
 * every try), and the managedFields its result gets.
 */
export interface UpdatedObjectInfo<T> {
  updatedObject(current: T): T;
  managedFields(live: T, proposed: T, next: T): ManagedFieldsEntry[] | undefined;
}

/** A PUT or non-apply PATCH: an `Update` by the request's field manager. */
export function updateByManager<T extends ObjectWithMeta, R>(
  strategy: Strategy<T, R>,
  part: Part,
  request: ApiRequest,
  deps: ApiDeps,
  updatedObject: (current: T) => T,
): UpdatedObjectInfo<T> {
  const scope = fieldManagerScopeOf(strategy, part);
  const manager = fieldManagerOf(request);
  return {
    updatedObject,
    managedFields: (live, proposed, next) =>
      updateManagedFields(scope, {
        live: asJson(live),
        next: asJson(next),
        requested: proposed.metadata?.managedFields,
        manager,
        now: kubernetesTime(deps.now()),
      }),
  };
}

/** PUT: replace the object (or only its status), conditioned on the resourceVersion sent, if any. */
export async function replaceResource<T extends ObjectWithMeta, R>(
  strategy: Strategy<T, R>,
  key: ObjectKey,
  part: Part,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResponse> {
  const admitted = admitFields(strategy.kind, parseObjectBody(request), request);
  const body = admitted.object as T;
  return withWarnings(
    await updateObject(
      strategy,
      key,
      part,
      deps,
      updateByManager(strategy, part, request, deps, () => body),
    ),
    admitted.warnings,
  );
}

/**
 * Store.Update: on each try, the updated object from the current one; the resourceVersion it
 * carries (the request's, or the current one) as the precondition; the strategy's admission; and
 * the managedFields the write leaves. `read` is the current object when the caller has it.
 */
export async function updateObject<T extends ObjectWithMeta, R>(
  strategy: Strategy<T, R>,
  key: ObjectKey,
  part: Part,
  deps: ApiDeps,
  info: UpdatedObjectInfo<T>,
  read?: R,
): Promise<ApiResponse> {
  const first = read ?? (await strategy.get(deps, key));
  if (!first) throw notFound(strategy.resource, key.name, groupOf(applyApiVersions[strategy.kind]));
  const tryUpdate = (current: T): T => {
    const proposed = info.updatedObject(structuredClone(current));
    const precondition = proposed.metadata?.resourceVersion;
    // A storage conflict, not yet a 409: the strategy's guaranteedUpdate decides whether reading
    // again is worth it.
    if (precondition !== undefined && precondition !== current.metadata?.resourceVersion)
      throw new ConflictError();
    const admitted = strategy.admitUpdate(current, proposed, part, key);
    return withManagedFields(admitted, info.managedFields(current, proposed, admitted), current);
  };
  try {
    return json(200, await strategy.guaranteedUpdate(deps, key, first, tryUpdate));
  } catch (error) {
    if (error instanceof ConflictError) throw conflict(strategy.resource, key.name);
    throw error;
  }
}
