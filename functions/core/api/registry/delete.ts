import { ApiError, methodNotAllowed } from '../../errors';
import { checkPreconditions, type DeleteRequest, deleteOptionsOf } from '../delete-options';
import { collectDependents, orphanDependents } from '../garbage-collector';
import { type ApiRequest, type ApiResponse, json } from '../http';
import { servedOwnerKinds } from '../owner-index';
import type { ApiDeps } from '../pods';
import { listSelected, selectorOf } from './list';
import { groupOf, type ResourceStorage } from './storage';
import type { ObjectKey, ObjectWithMeta } from './strategy';

/**
 * DELETE of one object, with the DeleteOptions of its body or query: the object as it is left
 * when its deletion is pending, or as it was for resources that return it, else a Success Status
 * naming it (kube-apiserver's Store.Delete).
 */
export async function deleteResource<T extends ObjectWithMeta>(
  storage: ResourceStorage<T>,
  key: ObjectKey,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResponse> {
  const remove = storage.delete;
  if (!remove) throw methodNotAllowed('DELETE');
  const { dryRun: _dryRun, ...options } = deleteOptionsOf(request);
  const { object, removed } = await deleteAndPropagate(storage, deps, key, options);
  // kube-apiserver answers 202 to a deletion still pending when the client asked not to orphan.
  const code = !removed && options.acceptedIfPending ? 202 : 200;
  // A deletion still pending answers with the object as it is left, for every resource.
  if (storage.returnsDeletedObject || !removed) return json(code, object);
  return json(code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: {
      name: key.name,
      group: groupOf(storage.apiVersion),
      kind: storage.resource,
      ...(object.metadata?.uid ? { uid: object.metadata.uid } : {}),
    },
  });
}

/**
 * DELETE on a collection (deletecollection): the objects the label and field selectors select,
 * each deleted as a DELETE of it would be with the same DeleteOptions; one already gone
 * meanwhile is passed over. The answer is the list that was deleted, as kube-apiserver's is: the
 * objects as they were listed.
 */
export async function deleteCollection<T extends ObjectWithMeta>(
  storage: ResourceStorage<T>,
  namespace: string | undefined,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResponse> {
  const remove = storage.delete;
  if (!remove) throw methodNotAllowed('DELETE');
  const { dryRun: _dryRun, ...options } = deleteOptionsOf(request);
  const { selected } = selectorOf(storage, request);
  const resourceVersion = String(deps.now().getTime() * 1000);
  const items = await listSelected(storage, namespace, selected, deps);
  // A few at a time, as kube-apiserver's deleteCollectionWorkers: fast, without a burst.
  const workers = 4;
  let next = 0;
  const deleteNext = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      const item = items[i] as T;
      const key = { namespace: item.metadata?.namespace ?? '', name: item.metadata?.name ?? '' };
      try {
        await deleteAndPropagate(storage, deps, key, options);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, items.length) }, deleteNext));
  return json(200, {
    kind: `${storage.kind}List`,
    apiVersion: storage.apiVersion,
    metadata: { resourceVersion },
    items,
  });
}

/**
 * One delete with the garbage collector's part, for resources that can own (owner-index.ts):
 * Orphan takes the owner out of the dependents its index entry names first (a pod's delete also
 * orphans the namespace's pods itself), and an owner removed by a Background or Foreground delete
 * has its dependents collected at once. An owner removed later (its finalizers or its containers
 * held it) is found by the periodic sweep (garbage-collector.ts).
 */
async function deleteAndPropagate<T extends ObjectWithMeta>(
  storage: ResourceStorage<T>,
  deps: ApiDeps,
  key: ObjectKey,
  options: Omit<DeleteRequest, 'dryRun'>,
) {
  const remove = storage.delete;
  if (!remove) throw methodNotAllowed('DELETE');
  if (!key.namespace || !ownerResources.has(storage.resource)) return remove(deps, key, options);
  const orphan = options.propagationPolicy === 'Orphan';
  if (orphan) {
    const current = await storage.read(deps, key);
    const uid = current?.metadata?.uid;
    if (current) checkPreconditions(options.preconditions, current.metadata);
    if (uid) await orphanDependents(deps, key.namespace, uid);
  }
  const deleted = await remove(deps, key, options);
  const uid = deleted.object.metadata?.uid;
  if (deleted.removed && !orphan && uid) await collectDependents(deps, key.namespace, uid);
  return deleted;
}

/** The resources whose objects can own others: only their deletes look for dependents. */
const ownerResources = new Set(Object.values(servedOwnerKinds));

const isNotFound = (error: unknown) => error instanceof ApiError && error.code === 404;
