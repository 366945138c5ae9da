import { describe, expect, it } from 'vitest';
import type { Pod } from '../../functions/core/k8s';
import type { PodStore } from '../../functions/core/ports';
import { apiHarness as setup } from './api-harness';
import { fakeStores } from './fakes';

// The apiserver's HTTP contract as kubectl and client-go rely on it: discovery documents,
// Status objects for every error (NotFound, MethodNotAllowed, Invalid with causes,
// AlreadyExists, BadRequest), graceful deletion (deletionTimestamp = now + grace) that is
// immediate for pods that never ran or already finished, and the server-side Table for `get`.

const tableAccept =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

const manifest = (name = 'web', extra: Partial<Pod> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'nginx:1.27',
        resources: { limits: { cpu: '500m', memory: '128Mi' } },
        ports: [{ containerPort: 80 }],
      },
    ],
  },
  ...extra,
});

const runningPod = (name: string, grace?: number): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: '2026-03-01T11:00:00Z' },
  spec: {
    nodeName: 'i-0abc',
    ...(grace === undefined ? {} : { terminationGracePeriodSeconds: grace }),
    containers: [{ name: 'app', image: 'nginx' }],
  },
  status: { phase: 'Running' },
});

describe('handleApiRequest: discovery', () => {
  it('answers /healthz with 200 ok as plain text', async () => {
    const { call } = setup();
    const response = await call('GET', '/healthz');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body).toBe('ok');
  });

  it('lists the core API versions at /api', async () => {
    const { json, statusCode } = await setup().call('GET', '/api');
    expect(statusCode).toBe(200);
    expect(json).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
  });

  it('answers /apis with an APIGroupList rather than a 404, so kubectl discovery works', async () => {
    const { json, statusCode } = await setup().call('GET', '/apis');
    expect(statusCode).toBe(200);
    expect(json).toMatchObject({ kind: 'APIGroupList', apiVersion: 'v1' });
    expect(Array.isArray(json.groups)).toBe(true);
  });

  it('lists pods, nodes and namespaces with their scope, kind and verbs at /api/v1', async () => {
    const { json, statusCode } = await setup().call('GET', '/api/v1');
    expect(statusCode).toBe(200);
    expect(json).toMatchObject({ kind: 'APIResourceList', groupVersion: 'v1' });
    const byName = Object.fromEntries(json.resources.map((r: { name: string }) => [r.name, r]));
    expect(byName.pods).toMatchObject({
      namespaced: true,
      kind: 'Pod',
      singularName: 'pod',
      shortNames: ['po'],
    });
    expect(byName.pods.verbs).toEqual(expect.arrayContaining(['create', 'delete', 'get', 'list']));
    expect(byName.nodes).toMatchObject({ namespaced: false, kind: 'Node' });
    expect(byName.namespaces).toMatchObject({ namespaced: false, kind: 'Namespace' });
  });

  it('serves the same document with a trailing slash', async () => {
    const { call } = setup();
    expect((await call('GET', '/api/v1/')).json).toEqual((await call('GET', '/api/v1')).json);
  });

  it('answers an unknown path with a 404 NotFound Status', async () => {
    const { json, statusCode } = await setup().call('GET', '/nonsense');
    expect(statusCode).toBe(404);
    expect(json).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'the server could not find the requested resource',
    });
  });

  it.each([
    ['/apis/apps/v1/namespaces/default/deployments', 'deployments.apps'],
    ['/apis/apps/v1/deployments', 'deployments.apps'],
    ['/api/v1/namespaces/default/services', 'services'],
    ['/api/v1/namespaces/default/pods/web/ephemeralcontainers', 'pods/ephemeralcontainers'],
  ])('says which resource it does not serve, and what it does, for %s', async (path, name) => {
    const { json, statusCode } = await setup().call('POST', path, { body: {} });
    expect(statusCode).toBe(404);
    expect(json.reason).toBe('NotFound');
    expect(json.message).toMatch(
      new RegExp(
        `^the server could not find the requested resource: podplane does not serve ${name.replace('.', '\\.')}; it serves pods, bindings, events, nodes, namespaces, selfsubjectreviews\\.authentication\\.k8s\\.io`,
      ),
    );
  });

  it('answers a verb the path does not serve with a 405 MethodNotAllowed Status', async () => {
    const { json, statusCode } = await setup().call('POST', '/api/v1/namespaces/default/pods/web', {
      body: manifest(),
    });
    expect(statusCode).toBe(405);
    expect(json).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed', code: 405 });
  });
});

describe('handleApiRequest: creating pods', () => {
  it('creates a pod: 201 with uid, creationTimestamp, Pending status, qosClass and defaults', async () => {
    const { json, statusCode } = await setup().call('POST', '/api/v1/namespaces/default/pods', {
      body: manifest(),
    });
    expect(statusCode).toBe(201);
    expect(json.metadata).toMatchObject({
      name: 'web',
      namespace: 'default',
      creationTimestamp: '2026-03-01T12:00:00Z',
    });
    expect(json.metadata.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(json.metadata.resourceVersion).toEqual(expect.any(String));
    expect(json.status).toEqual({ phase: 'Pending', qosClass: 'Guaranteed' });
    expect(json.spec).toMatchObject({
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
    });
    expect(json.spec.containers[0]).toMatchObject({
      imagePullPolicy: 'IfNotPresent',
      resources: { requests: { cpu: '500m', memory: '128Mi' } },
      ports: [{ containerPort: 80, protocol: 'TCP' }],
    });
  });

  it('stores the pod so that GET returns it', async () => {
    const { call } = setup();
    const created = await call('POST', '/api/v1/namespaces/default/pods', { body: manifest() });
    const got = await call('GET', '/api/v1/namespaces/default/pods/web');
    expect(got.statusCode).toBe(200);
    expect(got.json).toEqual(created.json);
  });

  it('accepts a YAML manifest', async () => {
    const yaml =
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: app\n      image: nginx\n';
    const { statusCode, json } = await setup().call('POST', '/api/v1/namespaces/default/pods', {
      body: yaml,
      headers: { 'content-type': 'application/yaml' },
    });
    expect(statusCode).toBe(201);
    expect(json.status.qosClass).toBe('BestEffort');
  });

  it('creates the default namespace on first use in an empty store', async () => {
    const { call } = setup();
    expect((await call('POST', '/api/v1/namespaces/default/pods', { body: manifest() })).statusCode).toBe(
      201,
    );
    const ns = await call('GET', '/api/v1/namespaces/default');
    expect(ns.statusCode).toBe(200);
    expect(ns.json).toMatchObject({
      kind: 'Namespace',
      metadata: { name: 'default' },
      status: { phase: 'Active' },
    });
  });

  it('refuses a pod in a namespace that does not exist with 404', async () => {
    const { json, statusCode } = await setup().call('POST', '/api/v1/namespaces/nope/pods', {
      body: manifest(),
    });
    expect(statusCode).toBe(404);
    expect(json).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: 'namespaces "nope" not found',
      details: { name: 'nope', kind: 'namespaces' },
    });
  });

  it('refuses a body whose namespace differs from the path with 400', async () => {
    const body = manifest('web', { metadata: { name: 'web', namespace: 'other' } });
    const { json, statusCode } = await setup().call('POST', '/api/v1/namespaces/default/pods', { body });
    expect(statusCode).toBe(400);
    expect(json).toMatchObject({
      reason: 'BadRequest',
      message: 'the namespace of the provided object does not match the namespace sent on the request',
    });
  });

  it('refuses an invalid pod with 422 and one cause per problem', async () => {
    const body = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bad' },
      spec: { containers: [{ name: 'app' }] },
    };
    const { json, statusCode } = await setup().call('POST', '/api/v1/namespaces/default/pods', { body });
    expect(statusCode).toBe(422);
    expect(json).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
      message: 'Pod "bad" is invalid: spec.containers[0].image: Required value',
      details: {
        name: 'bad',
        causes: [
          { field: 'spec.containers[0].image', reason: 'FieldValueRequired', message: 'Required value' },
        ],
      },
    });
  });

  it('refuses malformed JSON with 400', async () => {
    const { json, statusCode } = await setup().call('POST', '/api/v1/namespaces/default/pods', {
      body: '{"kind":',
    });
    expect(statusCode).toBe(400);
    expect(json).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
  });

  it('refuses another kind posted to pods with 400', async () => {
    const body = { ...manifest(), kind: 'Service' };
    expect((await setup().call('POST', '/api/v1/namespaces/default/pods', { body })).statusCode).toBe(400);
  });

  it('refuses a second pod with the same name with 409 AlreadyExists', async () => {
    const { call } = setup();
    await call('POST', '/api/v1/namespaces/default/pods', { body: manifest() });
    const { json, statusCode } = await call('POST', '/api/v1/namespaces/default/pods', { body: manifest() });
    expect(statusCode).toBe(409);
    expect(json).toMatchObject({ reason: 'AlreadyExists', message: 'pods "web" already exists' });
  });

  it('names a pod from generateName with a random suffix', async () => {
    const body = manifest('', { metadata: { generateName: 'web-' } });
    const { json, statusCode } = await setup().call('POST', '/api/v1/namespaces/default/pods', { body });
    expect(statusCode).toBe(201);
    expect(json.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
  });
});

describe('handleApiRequest: reading pods', () => {
  it('answers a missing pod with 404 NotFound', async () => {
    const { json, statusCode } = await setup().call('GET', '/api/v1/namespaces/default/pods/ghost');
    expect(statusCode).toBe(404);
    expect(json).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: 'pods "ghost" not found',
      details: { name: 'ghost', kind: 'pods' },
    });
  });

  it('lists the pods of a namespace as a PodList', async () => {
    const { stores, call } = setup();
    stores.pods.seed(runningPod('b'));
    stores.pods.seed(runningPod('a'));
    stores.pods.seed({ ...runningPod('other'), metadata: { name: 'other', namespace: 'shop' } });
    const { json, statusCode } = await call('GET', '/api/v1/namespaces/default/pods');
    expect(statusCode).toBe(200);
    expect(json).toMatchObject({ kind: 'PodList', apiVersion: 'v1' });
    expect(json.items.map((p: Pod) => p.metadata?.name)).toEqual(['a', 'b']);
  });

  it('lists pods of every namespace at /api/v1/pods', async () => {
    const { stores, call } = setup();
    stores.pods.seed(runningPod('a'));
    stores.pods.seed({ ...runningPod('other'), metadata: { name: 'other', namespace: 'shop' } });
    const { json } = await call('GET', '/api/v1/pods');
    expect(json.items.map((p: Pod) => `${p.metadata?.namespace}/${p.metadata?.name}`)).toEqual([
      'default/a',
      'shop/other',
    ]);
  });

  it('filters a list by field selector and refuses an unsupported field with 400', async () => {
    const { stores, call } = setup();
    stores.pods.seed(runningPod('a'));
    stores.pods.seed({ ...runningPod('b'), status: { phase: 'Pending' } });
    const selected = await call('GET', '/api/v1/namespaces/default/pods', {
      query: { fieldSelector: 'status.phase!=Running' },
    });
    expect(selected.json.items.map((p: Pod) => p.metadata?.name)).toEqual(['b']);
    const refused = await call('GET', '/api/v1/namespaces/default/pods', {
      query: { fieldSelector: 'spec.bogus=1' },
    });
    expect(refused.statusCode).toBe(400);
  });

  it('returns the Table kubectl asks for, with its columns and one row per pod', async () => {
    const { stores, call } = setup();
    stores.pods.seed(runningPod('web'));
    const { json, statusCode } = await call('GET', '/api/v1/namespaces/default/pods', {
      headers: { accept: tableAccept },
    });
    expect(statusCode).toBe(200);
    expect(json).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(json.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(['Name', 'Ready', 'Status', 'Restarts', 'Age']),
    );
    expect(json.rows).toHaveLength(1);
    expect(json.rows[0].cells.slice(0, 5)).toEqual(['web', '0/1', 'Running', '0', '60m']);
  });
});

describe('handleApiRequest: deleting pods', () => {
  it('removes a pod that was never scheduled at once', async () => {
    const { call } = setup();
    await call('POST', '/api/v1/namespaces/default/pods', { body: manifest() });
    const deleted = await call('DELETE', '/api/v1/namespaces/default/pods/web');
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json).toMatchObject({ kind: 'Pod', metadata: { name: 'web' } });
    expect((await call('GET', '/api/v1/namespaces/default/pods/web')).statusCode).toBe(404);
  });

  it('removes a finished pod at once, even though it is bound', async () => {
    const { stores, call } = setup();
    stores.pods.seed({ ...runningPod('job'), status: { phase: 'Succeeded' } });
    expect((await call('DELETE', '/api/v1/namespaces/default/pods/job')).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/default/pods/job')).statusCode).toBe(404);
  });

  it("marks a running pod for deletion after the spec's grace period", async () => {
    const { stores, call } = setup();
    stores.pods.seed(runningPod('web', 45));
    const deleted = await call('DELETE', '/api/v1/namespaces/default/pods/web');
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json.metadata).toMatchObject({
      deletionTimestamp: '2026-03-01T12:00:45Z',
      deletionGracePeriodSeconds: 45,
    });
    const got = await call('GET', '/api/v1/namespaces/default/pods/web');
    expect(got.statusCode).toBe(200);
    expect(got.json.metadata.deletionTimestamp).toBe('2026-03-01T12:00:45Z');
  });

  it('uses the default 30 s grace period when the spec has none', async () => {
    const { stores, call } = setup();
    stores.pods.seed(runningPod('web'));
    const { json } = await call('DELETE', '/api/v1/namespaces/default/pods/web');
    expect(json.metadata).toMatchObject({
      deletionTimestamp: '2026-03-01T12:00:30Z',
      deletionGracePeriodSeconds: 30,
    });
  });

  it('takes the grace period from ?gracePeriodSeconds= over the spec', async () => {
    const { stores, call } = setup();
    stores.pods.seed(runningPod('web', 45));
    const { json } = await call('DELETE', '/api/v1/namespaces/default/pods/web', {
      query: { gracePeriodSeconds: '5' },
    });
    expect(json.metadata).toMatchObject({
      deletionTimestamp: '2026-03-01T12:00:05Z',
      deletionGracePeriodSeconds: 5,
    });
  });

  it('answers a second delete of a terminating pod with the pod, unchanged', async () => {
    const { stores, call } = setup();
    stores.pods.seed(runningPod('web'));
    const first = await call('DELETE', '/api/v1/namespaces/default/pods/web');
    const second = await call('DELETE', '/api/v1/namespaces/default/pods/web');
    expect(second.statusCode).toBe(200);
    expect(second.json.metadata.deletionTimestamp).toBe(first.json.metadata.deletionTimestamp);
  });

  it('answers a delete of a missing pod with 404', async () => {
    expect((await setup().call('DELETE', '/api/v1/namespaces/default/pods/ghost')).statusCode).toBe(404);
  });
});

describe('handleApiRequest: unexpected failures', () => {
  it('turns a store exception into a generic 500 Status, logs it, and leaks nothing', async () => {
    const stores = fakeStores();
    const secret = new Error('connect ECONNREFUSED 10.1.2.3:8000 at /var/task/secret-path.js:12');
    const broken: PodStore = {
      ...stores.pods,
      listPods: async () => {
        throw secret;
      },
    };
    const { call, logError } = setup({ pods: broken });
    const response = await call('GET', '/api/v1/namespaces/default/pods');
    expect(response.statusCode).toBe(500);
    expect(response.json).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'InternalError',
      code: 500,
    });
    expect(response.body).not.toContain('ECONNREFUSED');
    expect(response.body).not.toContain('secret-path');
    expect(logError).toHaveBeenCalledTimes(1);
    expect(logError.mock.calls[0]?.[1]).toBe(secret);
  });
});

describe('handleApiRequest: probes', () => {
  it('accepts an httpGet probe and says in a Warning header how it runs', async () => {
    const { call } = setup();
    const pod = manifest('probed');
    const [container] = pod.spec?.containers ?? [];
    if (container) container.livenessProbe = { httpGet: { port: 80, path: '/healthz' } };
    const response = await call('POST', '/api/v1/namespaces/default/pods', { body: pod });
    expect(response.statusCode).toBe(201);
    expect(response.headers.warning).toBe(
      '299 - "spec.containers[0].livenessProbe.httpGet: runs inside the container as a health-check command with wget or curl; the image must have one of them"',
    );
  });

  it('refuses a gRPC probe and stores nothing', async () => {
    const { call, stores } = setup();
    const pod = manifest('grpc');
    const [container] = pod.spec?.containers ?? [];
    if (container) container.readinessProbe = { grpc: { port: 9000 } };
    const response = await call('POST', '/api/v1/namespaces/default/pods', { body: pod });
    expect(response.statusCode).toBe(422);
    expect(response.json.details.causes[0].field).toBe('spec.containers[0].readinessProbe.grpc');
    expect(await stores.pods.listPods('default')).toEqual([]);
  });

  it('serves `kubectl get pod NAME` a one-row Table', async () => {
    const { call } = setup();
    await call('POST', '/api/v1/namespaces/default/pods', { body: manifest('one') });
    const { json } = await call('GET', '/api/v1/namespaces/default/pods/one', {
      headers: { accept: tableAccept },
    });
    expect(json.kind).toBe('Table');
    expect(json.rows.map((r: { cells: unknown[] }) => r.cells.slice(0, 3))).toEqual([
      ['one', '0/1', 'Pending'],
    ]);
  });
});

describe('handleApiRequest: null quantities', () => {
  it.each([
    ['requests', 'cpu'],
    ['requests', 'memory'],
    ['limits', 'cpu'],
  ])(
    'answers resources.%s.%s: null with a clear error or a stored pod, never a 500',
    async (kind, resource) => {
      const { call, stores } = setup();
      const pod = manifest('nulls');
      const body = JSON.parse(JSON.stringify(pod));
      body.spec.containers[0].resources = { [kind]: { [resource]: null } };
      const response = await call('POST', '/api/v1/namespaces/default/pods', { body });
      expect(response.statusCode, response.body).toBeLessThan(500);
      const stored = await stores.pods.listPods('default');
      expect(stored.length).toBe(response.statusCode === 201 ? 1 : 0);
    },
  );
});
