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
  serverVersion,
} from './discovery';
import { dryRunDeps } from './dry-run';
import { listEvents } from './events';
import { type ApiRequest, type ApiResponse, internalError, json, statusResponse, text } from './http';
import { namespaceStrategy } from './namespace-strategy';
import { deleteNamespace, getNamespace, listNamespaces } from './namespaces';
import { nodeStrategy } from './node-strategy';
import { getNode, listNodes } from './nodes';
import { notServed } from './not-served';
import { openApiV3CoreV1, openApiV3Root } from './openapi';
import { createBinding } from './pod-binding';
import { proxyMethods, refuseConnection } from './pod-connect';
import { listPods } from './pod-list';
import { readPodLog } from './pod-logs';
import { podStrategy } from './pod-strategy';
import { type ApiDeps, deletePod, getPod } from './pods';
import { checkQuery } from './query';
import { createResource } from './registry/create';
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

/** Kubernetes core/v1 paths; each route lists the verbs it serves, anything else is 405. */
const routes: { pattern: RegExp; keys: string[]; handlers: Handlers }[] = [
  { pattern: /^\/(healthz|livez|readyz)$/, keys: [], handlers: { GET: () => text(200, 'ok') } },
  { pattern: /^\/version\/?$/, keys: [], handlers: { GET: () => json(200, serverVersion) } },
  { pattern: /^\/openapi\/v3\/?$/, keys: [], handlers: { GET: () => json(200, openApiV3Root) } },
  { pattern: /^\/openapi\/v3\/api\/v1$/, keys: [], handlers: { GET: () => json(200, openApiV3CoreV1) } },
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
  { pattern: /^\/api\/v1\/pods$/, keys: [], handlers: { GET: (_p, r, d) => listPods(undefined, r, d) } },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${name}/pods$`),
    keys: ['namespace'],
    handlers: {
      GET: (p, r, d) => listPods(p.namespace, r, d),
      POST: (p, r, d) => createResource(podStrategy, p.namespace ?? '', r, d),
    },
  },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${name}/pods/${name}$`),
    keys: ['namespace', 'name'],
    handlers: {
      GET: (p, r, d) => getPod(p.namespace ?? '', p.name ?? '', r, d),
      PUT: (p, r, d) => replaceResource(podStrategy, keyOf(p), 'object', r, d),
      PATCH: (p, r, d) => patchResource(podStrategy, keyOf(p), 'object', r, d),
      DELETE: (p, r, d) => deletePod(p.namespace ?? '', p.name ?? '', r, d),
    },
  },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${name}/pods/${name}/status$`),
    keys: ['namespace', 'name'],
    handlers: {
      GET: (p, r, d) => getPod(p.namespace ?? '', p.name ?? '', r, d),
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
  { pattern: /^\/api\/v1\/nodes$/, keys: [], handlers: { GET: (_p, r, d) => listNodes(r, d) } },
  {
    pattern: new RegExp(`^/api/v1/nodes/${name}$`),
    keys: ['name'],
    handlers: {
      GET: (p, r, d) => getNode(p.name ?? '', r, d),
      PUT: (p, r, d) => replaceResource(nodeStrategy, keyOf(p), 'object', r, d),
      PATCH: (p, r, d) => patchResource(nodeStrategy, keyOf(p), 'object', r, d),
    },
  },
  { pattern: /^\/api\/v1\/events$/, keys: [], handlers: { GET: (_p, r, d) => listEvents(undefined, r, d) } },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${name}/events$`),
    keys: ['namespace'],
    handlers: { GET: (p, r, d) => listEvents(p.namespace, r, d) },
  },
  {
    pattern: /^\/api\/v1\/namespaces$/,
    keys: [],
    handlers: {
      GET: (_p, r, d) => listNamespaces(r, d),
      POST: (_p, r, d) => createResource(namespaceStrategy, '', r, d),
    },
  },
  {
    pattern: new RegExp(`^/api/v1/namespaces/${name}$`),
    keys: ['name'],
    handlers: {
      GET: (p, r, d) => getNamespace(p.name ?? '', r, d),
      PUT: (p, r, d) => replaceResource(namespaceStrategy, keyOf(p), 'object', r, d),
      PATCH: (p, r, d) => patchResource(namespaceStrategy, keyOf(p), 'object', r, d),
      DELETE: (p, r, d) => deleteNamespace(p.name ?? '', r, d),
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
