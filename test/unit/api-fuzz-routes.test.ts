import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import type { ApiRequest } from '../../functions/core/api/http';
import { handleApiRequest, type ServerDeps } from '../../functions/core/api/server';
import type { Pod } from '../../functions/core/k8s';
import { apiHarness, expectNoFault } from './api-harness';
import type { FakeStores } from './fakes';
import { mangledJson } from './fuzz-documents';

/**
 * Every door of the API under arbitrary input: each route and verb (served or not), each
 * subresource, with any mix of the query parameters the API knows, right or wrong in type and
 * range, and bodies that are pods, DeleteOptions, patches or noise. Invariants: never a 5xx;
 * every 4xx is a Status with its own code; a refused request changes nothing; a dry run changes
 * nothing whatever it answers. The seed is fixed in `npm test` (test/fast-check.setup.ts);
 * `npm run fuzz` explores new ones.
 */
const runs = Number(process.env.FUZZ_RUNS ?? 4_000);

const pod = (name = 'web') => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'web' }, annotations: { note: 'x' } },
  spec: {
    restartPolicy: 'Always',
    containers: [
      {
        name: 'app',
        image: 'nginx:1.27',
        ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }],
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } },
      },
    ],
  },
});

/** Paths of every route, on objects that exist (`web`, `team`) and do not (`gone`). */
const paths = [
  '/',
  '/healthz',
  '/version',
  '/api',
  '/apis',
  '/api/v1',
  '/openapi/v3',
  '/openapi/v3/api/v1',
  '/api/v1/pods',
  '/api/v1/namespaces/default/pods',
  '/api/v1/namespaces/gone/pods',
  '/api/v1/namespaces/team/pods',
  '/api/v1/namespaces/default/pods/web',
  '/api/v1/namespaces/default/pods/gone',
  '/api/v1/namespaces/default/pods/web/status',
  '/api/v1/namespaces/default/pods/web/log',
  '/api/v1/namespaces/default/pods/web/exec',
  '/api/v1/namespaces/default/pods/web/attach',
  '/api/v1/namespaces/default/pods/web/portforward',
  '/api/v1/namespaces/default/pods/web/proxy',
  '/api/v1/namespaces/default/pods/bound',
  '/api/v1/namespaces/default/pods/bound/status',
  '/api/v1/namespaces',
  '/api/v1/namespaces/team',
  '/api/v1/namespaces/gone',
  '/api/v1/namespaces/default',
  '/api/v1/nodes',
  '/api/v1/nodes/node-1',
  '/api/v1/events',
  '/api/v1/namespaces/default/events',
  '/api/v1/namespaces/default/events/gone',
  '/api/v1/namespaces/default/pods/bound/eviction',
  '/api/v1/namespaces/default/pods/web/eviction',
  '/apis/policy/v1',
  '/openapi/v3/apis/policy/v1',
  '/apis/policy/v1/poddisruptionbudgets',
  '/apis/policy/v1/namespaces/default/poddisruptionbudgets',
  '/apis/policy/v1/namespaces/default/poddisruptionbudgets/budget',
  '/apis/policy/v1/namespaces/default/poddisruptionbudgets/budget/status',
  '/apis/policy/v1/namespaces/default/poddisruptionbudgets/gone',
  '/apis/authentication.k8s.io/v1/selfsubjectreviews',
  '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
  '/api/v1/namespaces/default/pods/web%2Fx',
  '/api/v1/namespaces/default/pods/%E0%A4%A',
];

const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

const wrongValues = fc.constantFrom(
  '',
  'maybe',
  'True',
  'FALSE',
  '0',
  '1',
  '-1',
  '1.5',
  '99999999999999999999',
  '[object Object]',
  '__proto__',
  '__proto__=x',
  'constructor',
  'constructor=x',
  'All',
  'all',
  'Strict',
  'Object',
  'None',
  'Metadata',
  'Exact',
  'NotOlderThan',
  'Foreground',
  'app=web',
  'metadata.name=web',
  'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ',
  '%%%',
);

const parameterNames = [
  'watch',
  'allowWatchBookmarks',
  'sendInitialEvents',
  'timeoutSeconds',
  'limit',
  'continue',
  'resourceVersion',
  'resourceVersionMatch',
  'labelSelector',
  'fieldSelector',
  'dryRun',
  'fieldManager',
  'fieldValidation',
  'force',
  'gracePeriodSeconds',
  'propagationPolicy',
  'pretty',
  'includeObject',
  'container',
  'previous',
  'follow',
  'tailLines',
  'limitBytes',
  'sinceSeconds',
  'command',
];

const query = fc.dictionary(
  fc.constantFrom(...parameterNames),
  fc.oneof(wrongValues, fc.string({ maxLength: 12 })),
  { maxKeys: 5 },
);

const nasty = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom({ toString: [] }, { valueOf: {} }, ['a'], { __proto__: 'x' }, 1e308, -0, ''),
);

const mangled = (document: unknown) => mangledJson(document, nasty);

const deleteOptions = { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, dryRun: ['All'] };
const jsonPatch = [
  { op: 'replace', path: '/metadata/labels', value: { app: 'x' } },
  { op: 'add', path: '/metadata/labels/__proto__', value: 'x' },
  { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:1.28' },
];
const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fresh' } };
const applyConfiguration = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'x' } } };
const budget = {
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name: 'budget', labels: { app: 'web' } },
  spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
};
const eviction = {
  apiVersion: 'policy/v1',
  kind: 'Eviction',
  metadata: { name: 'bound' },
  deleteOptions: { gracePeriodSeconds: 1, preconditions: { uid: 'uid-bound' } },
};
const review = { spec: { resourceAttributes: { namespace: 'default', verb: 'create', resource: 'pods' } } };

const body = fc.oneof(
  mangled(pod()),
  mangled(pod('web')),
  mangled(deleteOptions),
  mangled(jsonPatch),
  mangled(namespace),
  mangled(review),
  mangled(budget),
  mangled(eviction),
  mangled({ metadata: { labels: { a: 'b' } }, status: { phase: 'Running' } }),
  // Server-side apply configurations, partial and whole, in JSON and in YAML.
  mangled(applyConfiguration),
  mangled(pod('web')).map((text) => toYaml(JSON.parse(text))),
  fc.constant('apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: {app: a, app: b}\n'),
  fc.string({ maxLength: 80 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.constant(''),
);

const contentType = fc.constantFrom(
  'application/json',
  'application/yaml',
  'application/vnd.kubernetes.protobuf',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/json-patch+json',
  'application/apply-patch+yaml',
  'text/plain',
);

const accept = fc.constantFrom(
  'application/json',
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
  '*/*',
);

/** A store with one pod waiting, one bound and running, a namespace, and a node. */
async function world(): Promise<{ deps: ServerDeps; stores: FakeStores }> {
  const { stores, deps } = apiHarness({
    logs: { read: async () => ({ events: [{ timestamp: 0, message: 'log line' }], nextToken: 'f/1' }) },
  });
  for (const name of ['default', 'kube-system', 'kube-public', 'team'])
    await handleApiRequest(
      {
        method: name === 'team' ? 'POST' : 'GET',
        path: name === 'team' ? '/api/v1/namespaces' : `/api/v1/namespaces/${name}`,
        query: {},
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name } }),
      },
      deps,
    );
  await handleApiRequest(
    {
      method: 'POST',
      path: '/api/v1/namespaces/default/pods',
      query: {},
      headers: {},
      body: JSON.stringify(pod()),
    },
    deps,
  );
  const bound = pod('bound') as Pod;
  stores.pods.seed(
    {
      ...bound,
      metadata: { ...bound.metadata, namespace: 'default', uid: 'uid-bound' },
      spec: { ...bound.spec, containers: bound.spec?.containers ?? [], nodeName: 'node-1' },
      status: { phase: 'Running' },
    },
    { taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/podplane/abc' },
  );
  await handleApiRequest(
    {
      method: 'POST',
      path: '/apis/policy/v1/namespaces/default/poddisruptionbudgets',
      query: {},
      headers: {},
      body: JSON.stringify(budget),
    },
    deps,
  );
  return { deps, stores };
}

/** Everything a request could have written: pods with their tombstones, namespaces, events, budgets. */
async function snapshot(stores: FakeStores): Promise<string> {
  return JSON.stringify([
    await stores.pods.podChangesSince(undefined, 0),
    await stores.namespaces.listNamespaces(),
    await stores.events.listEvents(),
    await stores.objects.objectChangesSince('poddisruptionbudgets', undefined, 0),
  ]);
}

/** Where apiserver reads dryRun: a delete's DeleteOptions body when it has one, else the query. */
const asksDryRun = (method: string, parameter: string | undefined, text: string) =>
  method === 'DELETE' && text.trim() ? text.includes('"dryRun":["All"]') : parameter === 'All';

describe('every route, verb and parameter under arbitrary input', () => {
  it(`never answers 5xx, answers 4xx with a Status, and a refusal or a dry run changes nothing (${runs} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...methods),
        fc.constantFrom(...paths),
        query,
        body,
        contentType,
        accept,
        async (method, path, parameters, text, type, acceptHeader) => {
          const { deps, stores } = await world();
          const before = await snapshot(stores);
          const request: ApiRequest = {
            method,
            path,
            query: parameters,
            headers: { 'content-type': type, accept: acceptHeader },
            body: text,
          };
          const response = await handleApiRequest(request, deps);
          if (expectNoFault(response)) expect(await snapshot(stores)).toBe(before);
          if (asksDryRun(method, parameters.dryRun, text)) expect(await snapshot(stores)).toBe(before);
        },
      ),
      { numRuns: runs },
    );
  }, 600_000);
});
