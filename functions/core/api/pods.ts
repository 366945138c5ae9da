import { randomUUID } from 'node:crypto';
import { withFreshPod } from '../controllers/retry';
import { alreadyExists, badRequest, invalid, notFound } from '../errors';
import type { Namespace, Pod } from '../k8s';
import { qosClass, withPodDefaults } from '../pod/defaults';
import { isFinished } from '../pod/stage';
import { validatePod } from '../pod/validate';
import { AlreadyExistsError, type NamespaceStore, type PodStore } from '../ports';
import { listResourceVersion } from '../resource-version';
import { kubernetesTime } from '../time';
import { parseObjectBody } from './body';
import { type ApiRequest, type ApiResponse, json } from './http';
import { podTable } from './pod-table';
import { isWatch, matchesFieldSelector, parseFieldSelector, watchResponse } from './selectors';

export interface ApiDeps {
  readonly pods: PodStore;
  readonly namespaces: NamespaceStore;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
}

/** DynamoDB's item limit is 400 KB; keep headroom for the attributes stored beside the body. */
export const maxStoredPodBytes = 380 * 1024;

/** Namespaces every cluster has; created on first use so a fresh table needs no seeding. */
const builtinNamespaces = new Set(['default', 'kube-system', 'kube-public']);

export async function createPod(namespace: string, request: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const input = parseObjectBody(request) as Pod & { kind?: unknown; apiVersion?: unknown };
  if (input.kind !== undefined && input.kind !== 'Pod')
    throw badRequest(`the kind "${String(input.kind)}" does not match the resource pods`);
  if (input.apiVersion !== undefined && input.apiVersion !== 'v1')
    throw badRequest(
      `the API version "${String(input.apiVersion)}" does not match the expected API version "v1"`,
    );
  const metadata = typeof input.metadata === 'object' && input.metadata !== null ? input.metadata : {};
  if (metadata.namespace && metadata.namespace !== namespace)
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  const name = metadata.name || (metadata.generateName ? `${metadata.generateName}${randomSuffix()}` : '');
  const candidate: Pod = { ...input, metadata: { ...metadata, name, namespace } };
  const errors = validatePod(candidate);
  if (errors.length > 0) throw invalid('Pod', name, errors);
  await requireNamespace(namespace, deps);

  const now = kubernetesTime(deps.now());
  const defaulted = withPodDefaults(candidate);
  const pod: Pod = {
    ...defaulted,
    metadata: { ...defaulted.metadata, uid: randomUUID(), creationTimestamp: now, generation: 1 },
    status: { phase: 'Pending', qosClass: qosClass(defaulted) },
  };
  const size = Buffer.byteLength(JSON.stringify(pod));
  if (size > maxStoredPodBytes)
    throw invalid('Pod', name, [
      {
        field: 'metadata',
        reason: 'FieldValueTooLong',
        message: `Too long: the pod is ${size} bytes, must have at most ${maxStoredPodBytes} bytes`,
      },
    ]);
  try {
    return json(201, await deps.pods.createPod(pod));
  } catch (error) {
    if (error instanceof AlreadyExistsError) throw alreadyExists('pods', name);
    throw error;
  }
}

export async function getPod(namespace: string, name: string, deps: ApiDeps): Promise<ApiResponse> {
  const record = await deps.pods.getPod(namespace, name);
  if (!record) throw notFound('pods', name);
  return json(200, record.pod);
}

export async function listPods(
  namespace: string | undefined,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResponse> {
  const selector = parseFieldSelector(request.query.fieldSelector);
  if (isWatch(request)) return watchPods(namespace, selector, request, deps);
  const readStartedAt = deps.now();
  const pods = (await deps.pods.listPods(namespace))
    .filter((pod) => matchesFieldSelector(pod, selector))
    .sort(byNamespaceAndName);
  const resourceVersion = listResourceVersion(readStartedAt);
  if (wantsTable(request)) return json(200, podTable(pods, deps.now(), resourceVersion));
  return json(200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion }, items: pods });
}

/**
 * Longest a watch request is held open waiting for a change. The whole answer is sent when the
 * hold ends (a buffered Lambda response), and client-go cannot abandon a watch whose headers have
 * not arrived, so a long hold would stall `kubectl delete` after the deletion it waits for.
 * Two seconds stays above client-go's one-second "very short watch" threshold.
 */
export const maxWatchSeconds = 2;

/**
 * A watch served by long polling: the request is held until a selected pod changes after the
 * given resourceVersion (or the timeout), then answered with those changes as watch events and
 * closed. A Lambda behind API Gateway cannot stream; clients (kubectl, informers) treat the close
 * as the end of a watch and watch again from the last event, so they still see every change.
 * Without a resourceVersion the current pods come first as ADDED, as Kubernetes does.
 */
async function watchPods(
  namespace: string | undefined,
  selector: ReturnType<typeof parseFieldSelector>,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResponse> {
  const requestedVersion = Number(request.query.resourceVersion ?? 0);
  let since = Number.isFinite(requestedVersion) ? requestedVersion : 0;
  if (since <= 0) {
    const startedAt = deps.now();
    const current = (await deps.pods.listPods(namespace)).filter((pod) =>
      matchesFieldSelector(pod, selector),
    );
    if (current.length > 0) return watchResponse(current.map((pod) => ({ type: 'ADDED', object: pod })));
    since = Number(listResourceVersion(startedAt));
  }
  const requested = Number(request.query.timeoutSeconds);
  const seconds =
    Number.isFinite(requested) && requested > 0 ? Math.min(requested, maxWatchSeconds) : maxWatchSeconds;
  const deadline = deps.now().getTime() + seconds * 1000;
  for (;;) {
    const changes = (await deps.pods.podChangesSince(namespace, since)).filter((c) =>
      matchesFieldSelector(c.pod, selector),
    );
    if (changes.length > 0) return watchResponse(changes.map((c) => ({ type: c.type, object: c.pod })));
    if (deps.now().getTime() >= deadline) return watchResponse([]);
    await deps.sleep(250);
  }
}

/**
 * Graceful delete: a pod that may be running gets deletionTimestamp and is removed once its task
 * has stopped; one that never ran or has finished goes at once, as in Kubernetes.
 */
export async function deletePod(
  namespace: string,
  name: string,
  request: ApiRequest,
  deps: ApiDeps,
): Promise<ApiResponse> {
  const first = await deps.pods.getPod(namespace, name, true);
  if (!first) throw notFound('pods', name);
  let response: ApiResponse = json(200, first.pod);
  // Without preconditions a delete must not fail because a controller wrote the pod meanwhile:
  // like the apiserver's GuaranteedUpdate, read again and redo.
  await withFreshPod(first, deps.pods, async (record) => {
    const pod = record.pod;
    if (pod.metadata?.deletionTimestamp) {
      response = json(200, pod);
    } else if (!pod.spec?.nodeName || isFinished(pod)) {
      await deps.pods.deletePod(record);
      response = json(200, pod);
    } else {
      const grace = gracePeriod(request, pod);
      const deleting: Pod = {
        ...pod,
        metadata: {
          ...pod.metadata,
          deletionTimestamp: kubernetesTime(new Date(deps.now().getTime() + grace * 1000)),
          deletionGracePeriodSeconds: grace,
        },
      };
      response = json(200, (await deps.pods.updatePod(record, deleting)).pod);
    }
  });
  return response;
}

function gracePeriod(request: ApiRequest, pod: Pod): number {
  const fromQuery = request.query.gracePeriodSeconds;
  const parsed = fromQuery === undefined ? Number.NaN : Number(fromQuery);
  return Number.isInteger(parsed) && parsed >= 0 ? parsed : (pod.spec?.terminationGracePeriodSeconds ?? 30);
}

async function requireNamespace(name: string, deps: ApiDeps): Promise<void> {
  if (await deps.namespaces.getNamespace(name)) return;
  if (!builtinNamespaces.has(name)) throw notFound('namespaces', name);
  await ensureNamespace(name, deps);
}

export async function ensureNamespace(
  name: string,
  deps: Pick<ApiDeps, 'namespaces' | 'now'>,
): Promise<Namespace | undefined> {
  const namespace: Namespace = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      uid: randomUUID(),
      creationTimestamp: kubernetesTime(deps.now()),
      labels: { 'kubernetes.io/metadata.name': name },
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
  try {
    return await deps.namespaces.createNamespace(namespace);
  } catch (error) {
    if (error instanceof AlreadyExistsError) return deps.namespaces.getNamespace(name);
    throw error;
  }
}

export const wantsTable = (request: ApiRequest) => (request.headers.accept ?? '').includes('as=Table');

const byNamespaceAndName = (a: Pod, b: Pod) =>
  `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(
    `${b.metadata?.namespace}/${b.metadata?.name}`,
  );

/** Five characters from Kubernetes' generateName alphabet (no vowels, no confusable digits). */
function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return Array.from({ length: 5 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
}
