import { badRequest } from '../../errors';
import { listResourceVersion } from '../../resource-version';
import { type ApiRequest, type ApiResponse, json } from '../http';
import { wantsTable } from '../pod-list';
import type { ApiDeps } from '../pods';
import { queryInt } from '../query';
import {
  isWatch,
  matchesFieldSelector,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  selectedName,
} from '../selectors';
import { tableJson, withRowObjects } from '../tables';
import { listedSource, type WatchSource, watch } from '../watch';
import { objectKeyOf, type ResourceStorage } from './storage';
import type { ObjectWithMeta } from './strategy';

/** The label and field selectors of a request, as one predicate over the resource's objects. */
export function selectorOf<T extends ObjectWithMeta>(
  storage: ResourceStorage<T>,
  request: ApiRequest,
): { readonly selected: (object: T) => boolean; readonly name?: string } {
  const fields = parseFieldSelector(request.query.fieldSelector, storage.fields);
  const labels = parseLabelSelector(request.query.labelSelector);
  const name = selectedName(fields);
  return {
    selected: (object) =>
      matchesFieldSelector(object, fields, storage.fields) && matchesLabels(object.metadata?.labels, labels),
    ...(name !== undefined ? { name } : {}),
  };
}

/** The selected objects of a namespace (or all), in the order a list shows them. */
export async function listSelected<T extends ObjectWithMeta>(
  storage: ResourceStorage<T>,
  namespace: string | undefined,
  selected: (object: T) => boolean,
  deps: ApiDeps,
): Promise<T[]> {
  const objects = (await storage.list(deps, namespace)).filter(selected);
  return storage.ordered ? objects : objects.sort((a, b) => objectKeyOf(a).localeCompare(objectKeyOf(b)));
}

/** GET on a collection: a list (or Table) filtered by field and label selectors, in pages, or a watch. */
export async function listResource<T extends ObjectWithMeta>(
  storage: ResourceStorage<T>,
  namespace: string | undefined,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResponse> {
  const { selected, name } = selectorOf(storage, request);
  if (isWatch(request)) return watchResource(storage, namespace, selected, name, request, deps);
  const readStartedAt = deps.now();
  const objects = await listSelected(storage, namespace, selected, deps);
  const resourceVersion = listResourceVersion(readStartedAt);
  const page = pageOf(objects, request, resourceVersion, storage.ordered === true);
  const metadata = {
    resourceVersion,
    ...(page.continue ? { continue: page.continue, remainingItemCount: page.remaining } : {}),
  };
  if (wantsTable(request))
    return tableJson(
      request,
      storage.kind,
      { ...storage.table(page.items, deps.now(), resourceVersion), metadata },
      storage.apiVersion,
    );
  return json(200, {
    kind: `${storage.kind}List`,
    apiVersion: storage.apiVersion,
    metadata,
    items: page.items,
  });
}

/**
 * `limit` and `continue`: the token names the last object returned, so the next page starts
 * after it even if objects were added or removed meanwhile. It is shaped as apiserver's (base64
 * of `{"v":"meta.k8s.io/v1","rv":N,"start":"..."}`), and one that does not decode is its 400.
 */
function pageOf<T extends ObjectWithMeta>(
  objects: T[],
  request: ApiRequest,
  resourceVersion: string,
  ordered: boolean,
): { items: T[]; continue?: string; remaining?: number } {
  const limit = queryInt(request, 'limit') ?? 0;
  let start = 0;
  if (request.query.continue) {
    const after = continueStart(request.query.continue);
    // In key order the next page starts at the first key past the last one sent; a list in an
    // order of its own starts after the object the token names.
    start = ordered
      ? objects.findIndex((object) => objectKeyOf(object) === after) + 1
      : objects.findIndex((object) => objectKeyOf(object).localeCompare(after) > 0);
    if (start === -1 || (ordered && start === 0)) start = objects.length;
  }
  if (limit <= 0 || start + limit >= objects.length) return { items: objects.slice(start) };
  const items = objects.slice(start, start + limit);
  const last = items.at(-1);
  const token = { v: continueVersion, rv: Number(resourceVersion), start: last ? objectKeyOf(last) : '' };
  return {
    items,
    continue: Buffer.from(JSON.stringify(token)).toString('base64url'),
    remaining: objects.length - start - limit,
  };
}

const continueVersion = 'meta.k8s.io/v1';

function continueStart(token: string): string {
  const invalid = (why: string) => badRequest(`continue key is not valid: ${why}`);
  if (!/^[A-Za-z0-9_=+/-]+$/.test(token)) throw invalid('illegal base64 data');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid('the token is not JSON');
  }
  const { v, rv, start } = (typeof decoded === 'object' && decoded !== null ? decoded : {}) as Record<
    string,
    unknown
  >;
  if (v !== continueVersion)
    throw invalid(`server does not recognize this encoded key version "${String(v)}"`);
  if (typeof rv !== 'number' || !Number.isSafeInteger(rv) || rv <= 0)
    throw invalid('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof start !== 'string' || start === '') throw invalid('encoded key has no start');
  return start;
}

/**
 * A watch (see watch.ts): the change index from the watch's resourceVersion, or for a resource
 * with few objects a poll of its list; a watch that names one object by field selector (`kubectl
 * delete` and `kubectl wait` do) is told it is gone if it already is.
 */
function watchResource<T extends ObjectWithMeta>(
  storage: ResourceStorage<T>,
  namespace: string | undefined,
  selected: (object: T) => boolean,
  name: string | undefined,
  request: ApiRequest,
  deps: ApiDeps,
): ApiResponse {
  const resourceVersionOf = (object: T) => Number(object.metadata?.resourceVersion ?? 0);
  const { changesSince } = storage;
  const source: WatchSource<T> = changesSince
    ? {
        list: () => storage.list(deps, namespace),
        changesSince: (rv, seen) => changesSince(deps, namespace, rv, seen),
      }
    : listedSource(
        () => listSelected(storage, namespace, () => true, deps),
        objectKeyOf,
        resourceVersionOf,
        deps.now,
        name
          ? [
              {
                apiVersion: storage.apiVersion,
                kind: storage.kind,
                metadata: { name, ...(namespace ? { namespace } : {}) },
              } as unknown as T,
            ]
          : [],
      );
  // `kubectl get -w` asks for Table rows: each event then carries a one-row Table.
  const present = (object: T) =>
    wantsTable(request)
      ? withRowObjects(
          storage.table([object], deps.now(), object.metadata?.resourceVersion ?? ''),
          request,
          storage.kind,
          storage.apiVersion,
        )
      : object;
  return watch(
    request,
    source,
    {
      kind: storage.kind,
      apiVersion: storage.apiVersion,
      keyOf: objectKeyOf,
      resourceVersionOf,
      selected,
      present,
      ...(storage.uidPerWrite ? {} : { uidOf: (object: T) => object.metadata?.uid }),
    },
    deps,
  );
}
