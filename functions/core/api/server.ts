import { ApiError, methodNotAllowed } from '../errors';
import type { PodLogs } from '../ports';
import {
  createSelfSubjectAccessReview,
  createSelfSubjectReview,
  createSelfSubjectRulesReview,
} from './auth-reviews';
import { requestsDryRun } from './delete-options';
import {
  apiGroupList,
  apiVersions,
  authenticationV1Resources,
  authorizationV1Resources,
  coreV1Resources,
  policyV1Resources,
  serverVersion,
} from './discovery';
import { dryRunDeps } from './dry-run';
import { eventStorage } from './events';
import { evictPod } from './eviction';
import { type ApiRequest, type ApiResponse, internalError, json, statusResponse, text } from './http';
import { namespaceStorage } from './namespace-storage';
import { namespaceStrategy } from './namespace-strategy';
import { nodeStorage } from './node-storage';
import { nodeStrategy } from './node-strategy';
import { notServed } from './not-served';
import { openApiV3CoreV1, openApiV3PolicyV1, openApiV3Root } from './openapi';
import { podDisruptionBudgets } from './pdb';
import { createBinding } from './pod-binding';
import { proxyMethods, refuseConnection } from './pod-connect';
import { readPodLog } from './pod-logs';
import { podStorage } from './pod-storage';
import { podStrategy } from './pod-strategy';
import type { ApiDeps } from './pods';
import { checkQuery } from './query';
import { createResource } from './registry/create';
import { deleteCollection, deleteResource } from './registry/delete';
import { getResource } from './registry/get';
import { listResource } from './registry/list';
import { patchResource } from './registry/patch';
import type { ObjectKey } from './registry/strategy';
import { replaceResource } from './registry/update';

export interface ServerDeps extends ApiDeps {
  readonly logs: PodLogs;
  readonly logError: (message: string, error: unknown) => void;
}

type Params = Record<string, string>;
type Handlers = Partial<
  Record<
    string,
    (params: Params, request: ApiRequest, deps: ServerDeps) => Promise<ApiResponse> | ApiResponse
  >
>;

const name = '([a-z0-9][-a-z0-9.]*)';

/** The object a path names; a cluster-scoped one's namespace is ''. */
const keyOf = (params: Params): ObjectKey => ({ namespace: params.namespace ?? '', name: params.name ?? '' });

const pdbs = podDisruptionBudgets;

/** Kubernetes core/v1 paths; each route lists the verbs it serves, anything else is 405. */
const routes: { pattern: RegExp; keys: string[]; handlers: Handlers }[] = [
  { pattern: /^\/(healthz|livez|readyz)$/, keys: [], handlers: { GET: () => text(200, 'ok') } },
  { pattern: /^\/version\/?$/, keys: [], handlers: { GET: () => json(200, serverVersion) } },
  { pattern: /^\/openapi\/v3\/?$/, keys: [], handlers: { GET: () => json(200, openApiV3Root) } },
  { pattern: /^\/openapi\/v3\/api\/v1$/, keys: [], handlers: { GET: () => json(200, openApiV3CoreV1) } },
  {
    pattern: /^\/openapi\/v3\/apis\/policy\/v1$/,
    keys: [],
    handlers: { GET: () => json(200, openApiV3PolicyV1) },
  },
  { pattern: /^\/api\/?$/, keys: [], handlers: { GET: () => json(200, apiVersions) } },
  { pattern: /^\/apis\/?$/, keys: [], handlers: { GET: () => json(200, apiGroupList) } },
  {
    pattern: /^\/apis\/authentication\.k8s\.io\/v1$/,
    keys: [],
    handlers: { GET: () => json(200, authenticationV1Resources) },
  },
  {
    pattern: /^\/apis\/authentication\.k8s\.io\/v1\/selfsubjectreviews$/,
    keys: [],
    handlers: { POST: (_p, r) => createSelfSubjectReview(r) },
  },
  {
    pattern: /^\/apis\/authorization\.k8s\.io\/v1$/,
    keys: [],
    handlers: { GET: () => json(200, authorizationV1Resources) },
  },
  {
    pattern: /^\/apis\/authorization\.k8s\.io\/v1\/selfsubjectaccessreviews$/,
    keys: [],
    handlers: { POST: (_p, r) => createSelfSubjectAccessReview(r) },
  },
  {
    pattern: /^\/apis\/authorization\.k8s\.io\/v1\/selfsubjectrulesreviews$/,
    keys: [],
    handlers: { POST: (_p, r) => createSelfSubjectRulesReview(r) },
  },
  { pattern: /^\/api\/v1\/?$/, keys: [], handlers: { GET: () => json(200, coreV1Resources) } },
  {
    pattern: /^\/api\/v1\/pods$/,
    keys: [],
    handlers: { GET: (_p, r, d) => listResource(podStorage, undefined, r, d) },
  },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${name}/pods$`),
    keys: ['namespace'],
    handlers: {
      GET: (p, r, d) => listResource(podStorage, p.namespace, r, d),
      POST: (p, r, d) => createResource(podStrategy, p.namespace ?? '', r, d),
      DELETE: (p, r, d) => deleteCollection(podStorage, p.namespace, r, d),
    },
  },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${name}/pods/${name}$`),
    keys: ['namespace', 'name'],
    handlers: {
      GET: (p, r, d) => getResource(podStorage, keyOf(p), r, d),
      PUT: (p, r, d) => replaceResource(podStrategy, keyOf(p), 'object', r, d),
      PATCH: (p, r, d) => patchResource(podStrategy, keyOf(p), 'object', r, d),
      DELETE: (p, r, d) => deleteResource(podStorage, keyOf(p), r, d),
    },
  },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${name}/pods/${name}/status$`),
    keys: ['namespace', 'name'],
    handlers: {
      GET: (p, r, d) => getResource(podStorage, keyOf(p), r, d),
      PUT: (p, r, d) => replaceResource(podStrategy, keyOf(p), 'status', r, d),
      PATCH: (p, r, d) => patchResource(podStrategy, keyOf(p), 'status', r, d),
    },
  },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${name}/pods/${name}/binding$`),
    keys: ['namespace', 'name'],
    handlers: { POST: (p, r, d) => createBinding(p.namespace ?? '', p.name ?? '', r, d) },
  },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${name}/bindings$`),
    keys: ['namespace'],
    handlers: { POST: (p, r, d) => createBinding(p.namespace ?? '', undefined, r, d) },
  },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${name}/pods/${name}/eviction$`),
    keys: ['namespace', 'name'],
    handlers: { POST: (p, r, d) => evictPod(keyOf(p), r, d) },
  },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${name}/pods/${name}/log$`),
    keys: ['namespace', 'name'],
    handlers: { GET: (p, r, d) => readPodLog(p.namespace ?? '', p.name ?? '', r, d) },
  },
  {
    // kubectl exec, attach and port-forward: GET opens a WebSocket, POST is the SPDY fallback.
    pattern: new RegExp(`^/api/v1/namespaces/${name}/pods/${name}/(exec|attach|portforward)$`),
    keys: ['namespace', 'name', 'connection'],
    handlers: { GET: refuseConnection(), POST: refuseConnection() },
  },
  {
    // pods/<name>[:<port>]/proxy[/<path>], with any method, as kube-apiserver serves it.
    pattern: new RegExp(`^/api/v1/namespaces/${name}/pods/(?:https?:)?${name}(?::[^/]+)?/proxy(?:/.*)?$`),
    keys: ['namespace', 'name'],
    handlers: Object.fromEntries(proxyMethods.map((method) => [method, refuseConnection('proxy')])),
  },
  {
    pattern: /^\/api\/v1\/nodes$/,
    keys: [],
    handlers: { GET: (_p, r, d) => listResource(nodeStorage, undefined, r, d) },
  },
  {
    pattern: new RegExp(`^/api/v1/nodes/${name}$`),
    keys: ['name'],
    handlers: {
      GET: (p, r, d) => getResource(nodeStorage, keyOf(p), r, d),
      PUT: (p, r, d) => replaceResource(nodeStrategy, keyOf(p), 'object', r, d),
      PATCH: (p, r, d) => patchResource(nodeStrategy, keyOf(p), 'object', r, d),
    },
  },
  {
    pattern: /^\/api\/v1\/events$/,
    keys: [],
    handlers: { GET: (_p, r, d) => listResource(eventStorage, undefined, r, d) },
  },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${name}/events$`),
    keys: ['namespace'],
    handlers: {
      GET: (p, r, d) => listResource(eventStorage, p.namespace, r, d),
      DELETE: (p, r, d) => deleteCollection(eventStorage, p.namespace, r, d),
    },
  },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${name}/events/${name}$`),
    keys: ['namespace', 'name'],
    handlers: {
      GET: (p, r, d) => getResource(eventStorage, keyOf(p), r, d),
      DELETE: (p, r, d) => deleteResource(eventStorage, keyOf(p), r, d),
    },
  },
  {
    pattern: /^\/api\/v1\/namespaces$/,
    keys: [],
    handlers: {
      GET: (_p, r, d) => listResource(namespaceStorage, undefined, r, d),
      POST: (_p, r, d) => createResource(namespaceStrategy, '', r, d),
    },
  },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${name}$`),
    keys: ['name'],
    handlers: {
      GET: (p, r, d) => getResource(namespaceStorage, keyOf(p), r, d),
      PUT: (p, r, d) => replaceResource(namespaceStrategy, keyOf(p), 'object', r, d),
      PATCH: (p, r, d) => patchResource(namespaceStrategy, keyOf(p), 'object', r, d),
      DELETE: (p, r, d) => deleteResource(namespaceStorage, keyOf(p), r, d),
    },
  },
  { pattern: /^\/apis\/policy\/v1$/, keys: [], handlers: { GET: () => json(200, policyV1Resources) } },
  {
    pattern: /^\/apis\/policy\/v1\/poddisruptionbudgets$/,
    keys: [],
    handlers: { GET: (_p, r, d) => listResource(pdbs.storage, undefined, r, d) },
  },
  {
    pattern: new RegExp(`^/apis/policy/v1/namespaces/${name}/poddisruptionbudgets$`),
    keys: ['namespace'],
    handlers: {
      GET: (p, r, d) => listResource(pdbs.storage, p.namespace, r, d),
      POST: (p, r, d) => createResource(pdbs.strategy, p.namespace ?? '', r, d),
      DELETE: (p, r, d) => deleteCollection(pdbs.storage, p.namespace, r, d),
    },
  },
  {
    pattern: new RegExp(`^/apis/policy/v1/namespaces/${name}/poddisruptionbudgets/${name}$`),
    keys: ['namespace', 'name'],
    handlers: {
      GET: (p, r, d) => getResource(pdbs.storage, keyOf(p), r, d),
      PUT: (p, r, d) => replaceResource(pdbs.strategy, keyOf(p), 'object', r, d),
      PATCH: (p, r, d) => patchResource(pdbs.strategy, keyOf(p), 'object', r, d),
      DELETE: (p, r, d) => deleteResource(pdbs.storage, keyOf(p), r, d),
    },
  },
  {
    pattern: new RegExp(`^/apis/policy/v1/namespaces/${name}/poddisruptionbudgets/${name}/status$`),
    keys: ['namespace', 'name'],
    handlers: {
      GET: (p, r, d) => getResource(pdbs.storage, keyOf(p), r, d),
      PUT: (p, r, d) => replaceResource(pdbs.strategy, keyOf(p), 'status', r, d),
      PATCH: (p, r, d) => patchResource(pdbs.strategy, keyOf(p), 'status', r, d),
    },
  },
];

/** Serves one request; every failure becomes a Kubernetes Status, never an unhandled throw. */
export async function handleApiRequest(request: ApiRequest, deps: ServerDeps): Promise<ApiResponse> {
  try {
    const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
    for (const route of routes) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      const handler = route.handlers[request.method.toUpperCase()];
      if (!handler) throw methodNotAllowed(request.method.toUpperCase());
      const params = Object.fromEntries(
        route.keys.map((key, i) => [key, decodeURIComponent(match[i + 1] ?? '')]),
      );
      checkQuery(request);
      return await handler(params, request, requestsDryRun(request) ? dryRunDeps(deps) : deps);
    }
    throw notServed(path);
  } catch (error) {
    if (error instanceof ApiError) return statusResponse(error);
    deps.logError('request failed', error);
    return internalError();
  }
}
