import { badRequest } from '../errors';
import type { Pod } from '../k8s';
import { listResourceVersion } from '../resource-version';
import type { ApiRequest, ApiResponse } from './http';
import { json } from './http';
import { podTable } from './pod-table';
import type { ApiDeps } from './pods';
import { queryInt } from './query';
import {
  isWatch,
  matchesFieldSelector,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  podFields,
} from './selectors';
import { tableJson, withRowObjects } from './tables';
import { watch } from './watch';

/** GET pods: a list (or Table) filtered by field and label selectors, in pages, or a watch. */
export async function listPods(
  namespace: string | undefined,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResponse> {
  const fields = parseFieldSelector(request.query.fieldSelector, podFields);
  const labels = parseLabelSelector(request.query.labelSelector);
  const selected = (pod: Pod) =>
    matchesFieldSelector(pod, fields) && matchesLabels(pod.metadata?.labels, labels);
  if (isWatch(request)) return watchPods(namespace, selected, request, deps);

  const readStartedAt = deps.now();
  const pods = (await deps.pods.listPods(namespace)).filter(selected).sort(byNamespaceAndName);
  const resourceVersion = listResourceVersion(readStartedAt);
  const page = pageOf(pods, request, resourceVersion);
  const metadata = {
    resourceVersion,
    ...(page.continue ? { continue: page.continue, remainingItemCount: page.remaining } : {}),
  };
  if (wantsTable(request))
    return tableJson(request, 'Pod', { ...podTable(page.items, deps.now(), resourceVersion), metadata });
  return json(200, { kind: 'PodList', apiVersion: 'v1', metadata, items: page.items });
}

export const wantsTable = (request: ApiRequest) => (request.headers.accept ?? '').includes('as=Table');

const keyOf = (pod: Pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`;
const byNamespaceAndName = (a: Pod, b: Pod) => keyOf(a).localeCompare(keyOf(b));

/**
 * `limit` and `continue`: the token names the last object returned, so the next page starts
 * after it even if objects were added or removed meanwhile. It is shaped as apiserver's (base64
 * of `{"v":"meta.k8s.io/v1","rv":N,"start":"..."}`), and one that does not decode is its 400.
 */
function pageOf(
  pods: Pod[],
  request: ApiRequest,
  resourceVersion: string,
): { items: Pod[]; continue?: string; remaining?: number } {
  const limit = queryInt(request, 'limit') ?? 0;
  let start = 0;
  if (request.query.continue) {
    const after = continueStart(request.query.continue);
    start = pods.findIndex((pod) => keyOf(pod).localeCompare(after) > 0);
    if (start === -1) start = pods.length;
  }
  if (limit <= 0 || start + limit >= pods.length) return { items: pods.slice(start) };
  const items = pods.slice(start, start + limit);
  const last = items.at(-1);
  const token = { v: continueVersion, rv: Number(resourceVersion), start: last ? keyOf(last) : '' };
  return {
    items,
    continue: Buffer.from(JSON.stringify(token)).toString('base64url'),
    remaining: pods.length - start - limit,
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

/** A watch of pods: the change index, read from the watch's resourceVersion (see watch.ts). */
function watchPods(
  namespace: string | undefined,
  selected: (pod: Pod) => boolean,
  request: ApiRequest,
  deps: ApiDeps,
): ApiResponse {
  // `kubectl get -w` asks for Table rows: each event then carries a one-row Table.
  const present = (pod: Pod) =>
    wantsTable(request)
      ? withRowObjects(podTable([pod], deps.now(), pod.metadata?.resourceVersion), request, 'Pod')
      : pod;
  return watch(
    request,
    {
      list: () => deps.pods.listPods(namespace),
      changesSince: (rv, seen) => deps.pods.podChangesSince(namespace, rv, seen),
    },
    {
      kind: 'Pod',
      keyOf: (pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`,
      resourceVersionOf: (pod) => Number(pod.metadata?.resourceVersion ?? 0),
      selected,
      present,
      uidOf: (pod) => pod.metadata?.uid,
    },
    deps,
  );
}
