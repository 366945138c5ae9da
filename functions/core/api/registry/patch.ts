import { badRequest } from '../../errors';
import { applyPatchType, patchTypeOf } from '../apply/request';
import { admitPatched, withWarnings } from '../decode';
import type { ApiRequest, ApiResponse } from '../http';
import { applyPatch } from '../patch';
import type { ApiDeps } from '../pods';
import { applyResource } from './apply';
import type { ObjectKey, ObjectWithMeta, Part, Strategy } from './strategy';
import { updateByManager, updateObject } from './update';

/**
 * PATCH: JSON merge, strategic merge, JSON patch, or server-side apply. The patched object is
 * decoded like a body before anything reads it; the resourceVersion it carries (the patch's own,
 * or the current one) is the update's precondition, as in the apiserver.
 */
export async function patchResource<T extends ObjectWithMeta, R>(
  strategy: Strategy<T, R>,
  key: ObjectKey,
  part: Part,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResponse> {
  const type = patchTypeOf(request);
  if (type === applyPatchType) return applyResource(strategy, key, part, request, deps);
  let patch: unknown;
  try {
    patch = JSON.parse(request.body ?? '');
  } catch {
    throw badRequest('the patch could not be decoded as JSON');
  }
  let warnings: readonly string[] = [];
  const patched = (current: T): T => {
    const admitted = admitPatched(strategy.kind, key.name, applyPatch(type, current, patch), request);
    warnings = admitted.warnings;
    return admitted.object as T;
  };
  const response = await updateObject(
    strategy,
    key,
    part,
    deps,
    updateByManager(strategy, part, request, deps, patched),
  );
  return withWarnings(response, warnings);
}
