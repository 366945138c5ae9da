import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1';
import { ApiError, badRequest, notFound } from '../../errors';
import { kubernetesTime } from '../../time';
import { applyConfiguration, type JsonObject } from '../apply/managed-fields';
import { forceOf, parseApplyConfiguration, strictApplyWarnings } from '../apply/request';
import { applyApiVersions } from '../apply/schema';
import { admitPatched, withWarnings } from '../decode';
import type { ApiRequest, ApiResponse } from '../http';
import type { ApiDeps } from '../pods';
import { groupOf } from './storage';
import {
  fieldManagerScopeOf,
  type ObjectKey,
  type ObjectWithMeta,
  type Part,
  type Strategy,
} from './strategy';
import { type UpdatedObjectInfo, updateObject } from './update';

/**
 * Server-side apply (application/apply-patch+yaml): the configuration merged into the object with
 * the field manager's ownership settled (apply/managed-fields.ts), then admitted exactly as any
 * update is; an object that does not exist is created through the same admission as a POST (201).
 */
export async function applyResource<T extends ObjectWithMeta, R>(
  strategy: Strategy<T, R>,
  key: ObjectKey,
  part: Part,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResponse> {
  const { resource } = strategy;
  const { name } = key;
  const parsed = parseApplyConfiguration(request);
  const scope = fieldManagerScopeOf(strategy, part);
  const manager = request.query.fieldManager ?? '';
  const force = forceOf(request);
  let warnings: readonly string[] = [];
  const applyTo = (live: T | undefined) => {
    const applied = applyConfiguration(scope, {
      live: live as JsonObject | undefined,
      config: parsed.config,
      manager,
      force,
      now: kubernetesTime(deps.now()),
    });
    const strict = strictApplyWarnings(parsed, request);
    const decoded = admitPatched(strategy.kind, name, applied.object, request);
    warnings = [...strict, ...decoded.warnings];
    return { object: decoded.object as T, managedFields: applied.managedFields };
  };
  for (let attempt = 1; ; attempt++) {
    const first = await strategy.get(deps, key);
    if (first) {
      let managedFields: ManagedFieldsEntry[] | undefined;
      const info: UpdatedObjectInfo<T> = {
        updatedObject: (current) => {
          const applied = applyTo(current);
          managedFields = applied.managedFields;
          return applied.object;
        },
        managedFields: () => managedFields,
      };
      return withWarnings(await updateObject(strategy, key, part, deps, info, first), warnings);
    }
    if (part === 'status') throw notFound(resource, name, groupOf(applyApiVersions[strategy.kind]));
    const { object, managedFields } = applyTo(undefined);
    if (object.metadata?.uid)
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${resource} "${name}": uid mismatch: the provided object specified uid ${object.metadata.uid}, and no existing object was found`,
        { name, kind: resource },
      );
    if ((object.metadata?.name ?? '') !== name)
      throw badRequest(
        `the name of the object (${object.metadata?.name ?? ''}) does not match the name on the URL (${name})`,
      );
    try {
      return await strategy.create(deps, key.namespace, object, warnings, () => managedFields);
    } catch (error) {
      // Created meanwhile: apply to it, as GuaranteedUpdate would on its next try.
      if (!(error instanceof ApiError && error.reason === 'AlreadyExists') || attempt >= 3) throw error;
    }
  }
}
