import { kubernetesTime } from '../../time';
import { updateManagedFields } from '../apply/managed-fields';
import { fieldManagerOf } from '../apply/request';
import { parseObjectBody } from '../body';
import { admitFields } from '../decode';
import type { ApiRequest, ApiResponse } from '../http';
import type { ApiDeps } from '../pods';
import { asJson, type ObjectWithMeta, type Strategy } from './strategy';

/**
 * POST: an object from the request's body, decoded with the request's fieldValidation, admitted
 * and created by the strategy, and owned by the request's field manager (with the managedFields
 * the body carried, when a client sets them).
 */
export async function createResource<T extends ObjectWithMeta, R>(
  strategy: Strategy<T, R>,
  namespace: string,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResponse> {
  const admitted = admitFields(strategy.kind, parseObjectBody(request), request);
  const decoded = admitted.object as T;
  const manager = fieldManagerOf(request);
  return strategy.create(deps, namespace, decoded, admitted.warnings, (tracked) =>
    updateManagedFields(strategy.fieldManagers.object, {
      live: undefined,
      next: asJson(tracked),
      requested: decoded.metadata?.managedFields,
      manager,
      now: kubernetesTime(deps.now()),
    }),
  );
}
