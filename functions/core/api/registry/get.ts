import { notFound } from '../../errors';
import { type ApiRequest, type ApiResponse, json } from '../http';
import { wantsTable } from '../pod-list';
import type { ApiDeps } from '../pods';
import { tableJson } from '../tables';
import { groupOf, type ResourceStorage } from './storage';
import type { ObjectKey, ObjectWithMeta } from './strategy';

/** GET of one object; `kubectl get KIND NAME` asks for a one-row Table, as for a list. */
export async function getResource<T extends ObjectWithMeta>(
  storage: ResourceStorage<T>,
  key: ObjectKey,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResponse> {
  const object = await storage.read(deps, key);
  if (!object) throw notFound(storage.resource, key.name, groupOf(storage.apiVersion));
  if (wantsTable(request))
    return tableJson(
      request,
      storage.kind,
      storage.table([object], deps.now(), object.metadata?.resourceVersion ?? ''),
      storage.apiVersion,
    );
  return json(200, object);
}
