import { badRequest } from '../errors';
import type { Pod } from '../k8s';
import { listResourceVersion } from '../resource-version';
import type { ApiRequest, ApiResponse } from './http';
import { json } from './http';
import { podTable } from './pod-table';
import type { ApiDeps } from './pods';
import {
  isWatch,
  matchesFieldSelector,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  podFields,
  watchResponse,
} from './selectors';

/** Longest a watch request is held open waiting for a change (see docs/decisions.md). */
export const maxWatchSeconds = 2;

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
  const page = pageOf(pods, request);
  const resourceVersion = listResourceVersion(readStartedAt);
  const metadata = {
    resourceVersion,
    ...(page.continue ? { continue: page.continue, remainingItemCount: page.remaining } : {}),
  };
  if (wantsTable(request))
    return json(200, { ...podTable(page.items, deps.now(), resourceVersion), metadata });
  return json(200, { kind: 'PodList', apiVersion: 'v1', metadata, items: page.items });
}

export const wantsTable = (request: ApiRequest) => (request.headers.accept ?? '').includes('as=Table');

const keyOf = (pod: Pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`;
const byNamespaceAndName = (a: Pod, b: Pod) => keyOf(a).localeCompare(keyOf(b));

/**
 * `limit` and `continue`: the token names the last object returned, so the next page starts
 * after it even if objects were added or removed meanwhile.
 */
function pageOf(pods: Pod[], request: ApiRequest): { items: Pod[]; continue?: string; remaining?: number } {
  const limit = request.query.limit === undefined ? 0 : Number(request.query.limit);
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`invalid limit: ${request.query.limit}`);
  let start = 0;
  if (request.query.continue) {
    let after: string;
    try {
      after = Buffer.from(request.query.continue, 'base64url').toString('utf8');
    } catch {
      throw badRequest('invalid continue token');
    }
    start = pods.findIndex((pod) => keyOf(pod).localeCompare(after) > 0);
    if (start === -1) start = pods.length;
  }
  if (limit === 0 || start + limit >= pods.length) return { items: pods.slice(start) };
  const items = pods.slice(start, start + limit);
  const last = items.at(-1);
  return {
    items,
    continue: Buffer.from(last ? keyOf(last) : '').toString('base64url'),
    remaining: pods.length - start - limit,
  };
}

/**
 * A watch served by long polling: the request is held until a selected pod changes after the
 * given resourceVersion (or the hold ends), then answered with those changes as watch events and
 * closed. A Lambda behind API Gateway cannot stream; clients (kubectl, informers) treat the close
 * as the end of a watch and watch again from the last event, so they still see every change.
 * Without a resourceVersion the current pods come first as ADDED, as Kubernetes does.
 */
async function watchPods(
  namespace: string | undefined,
  selected: (pod: Pod) => boolean,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResponse> {
  // `kubectl get -w` asks for Table rows: each event then carries a one-row Table.
  const asRow = (pod: Pod) =>
    wantsTable(request) ? podTable([pod], deps.now(), pod.metadata?.resourceVersion) : pod;
  const requestedVersion = Number(request.query.resourceVersion ?? 0);
  let since = Number.isFinite(requestedVersion) ? requestedVersion : 0;
  if (since <= 0) {
    const startedAt = deps.now();
    const current = (await deps.pods.listPods(namespace)).filter(selected);
    if (current.length > 0)
      return watchResponse(current.map((pod) => ({ type: 'ADDED', object: asRow(pod) })));
    since = Number(listResourceVersion(startedAt));
  }
  const deadline = deps.now().getTime() + holdSeconds(request) * 1000;
  for (;;) {
    const changes = (await deps.pods.podChangesSince(namespace, since)).filter((c) => selected(c.pod));
    if (changes.length > 0)
      return watchResponse(changes.map((c) => ({ type: c.type, object: asRow(c.pod) })));
    if (deps.now().getTime() >= deadline) return watchResponse([]);
    await deps.sleep(250);
  }
}

export function holdSeconds(request: ApiRequest): number {
  const requested = Number(request.query.timeoutSeconds);
  return Number.isFinite(requested) && requested > 0 ? Math.min(requested, maxWatchSeconds) : maxWatchSeconds;
}
