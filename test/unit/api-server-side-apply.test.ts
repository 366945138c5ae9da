import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { FieldSet, goJson } from '../../functions/core/api/apply/fieldpath';
import { coreV1Resources } from '../../functions/core/api/discovery';
import type { Pod } from '../../functions/core/k8s';
import { apiHarness } from './api-harness';
import { mangledJson } from './fuzz-documents';

/**
 * Server-side apply and managedFields through the API, with the requests kubectl sends:
 * `kubectl apply --server-side` is a PATCH of application/apply-patch+yaml with
 * fieldManager=kubectl, fieldValidation=Strict and force=false.
 */
const nginx = parseYaml(readFileSync(new URL('../../examples/nginx.yaml', import.meta.url), 'utf8')) as {
  metadata: { name: string; labels: Record<string, string> };
};
const podPath = '/api/v1/namespaces/default/pods';
const applyType = { 'content-type': 'application/apply-patch+yaml' };
const kubectlUserAgent = 'kubectl/v1.32.4 (linux/amd64) kubernetes/59526cd';

type Harness = ReturnType<typeof apiHarness>;

const withLabels = (labels: Record<string, string>) => ({
  ...nginx,
  metadata: { ...nginx.metadata, namespace: 'default', labels },
});

const serverSideApply = (
  harness: Harness,
  body: unknown,
  query: Record<string, string> = {},
  path = `${podPath}/nginx`,
) =>
  harness.call('PATCH', path, {
    body: typeof body === 'string' ? body : JSON.stringify(body),
    query: { fieldManager: 'kubectl', fieldValidation: 'Strict', force: 'false', ...query },
    headers: { ...applyType, 'user-agent': kubectlUserAgent },
  });

const everything = async ({ stores }: Harness) =>
  JSON.stringify([await stores.pods.podChangesSince(undefined, 0), await stores.namespaces.listNamespaces()]);

const entries = (object: { metadata?: { managedFields?: ManagedFieldsEntry[] } }) =>
  object.metadata?.managedFields ?? [];
const entryOf = (object: Pod, manager: string, operation?: string) =>
  entries(object).find((e) => e.manager === manager && (!operation || e.operation === operation));

async function applied(labels = nginx.metadata.labels) {
  const harness = apiHarness();
  const created = await serverSideApply(harness, withLabels(labels));
  expect(created.statusCode).toBe(201);
  return harness;
}

describe('kubectl apply --server-side -f examples/nginx.yaml', () => {
  it('creates the pod (201) through the same admission as a POST, owned by "kubectl"', async () => {
    const harness = apiHarness();
    const response = await serverSideApply(harness, withLabels({ app: 'web' }));
    expect(response.statusCode).toBe(201);
    const pod = response.json as Pod;
    // Defaults and the server-set status, as a POST would store them.
    expect(pod.metadata).toMatchObject({
      name: 'nginx',
      namespace: 'default',
      uid: expect.any(String),
      generation: 1,
    });
    expect(pod.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' });
    expect(pod.spec?.containers[0]).toMatchObject({
      imagePullPolicy: 'IfNotPresent',
      ports: [{ protocol: 'TCP' }],
    });
    expect(pod.status).toMatchObject({ phase: 'Pending', qosClass: 'Burstable' });
    expect(entries(pod)).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'v1',
        time: '2026-03-01T12:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"nginx"}': {
                '.': {},
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
                'f:resources': {
                  'f:limits': { 'f:memory': {} },
                  'f:requests': { 'f:cpu': {}, 'f:memory': {} },
                },
              },
            },
          },
        },
      },
    ]);
    expect(await harness.stores.pods.getPod('default', 'nginx')).toBeDefined();
  });

  it('re-applying is a no-op: 200, nothing written', async () => {
    const harness = await applied();
    const before = await everything(harness);
    const again = await serverSideApply(harness, withLabels(nginx.metadata.labels));
    expect(again.statusCode).toBe(200);
    expect(await everything(harness)).toBe(before);
  });

  it('re-applying a generated manifest (creationTimestamp: null, status: {}) is a no-op too', async () => {
    let clock = new Date('2026-03-01T12:00:00Z');
    const harness = apiHarness({ now: () => clock });
    const generated = `apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: null
  labels:
    run: nginx
  name: nginx
spec:
  containers:
  - image: nginx
    name: nginx
    resources: {}
  dnsPolicy: ClusterFirst
  restartPolicy: Always
status: {}
`;
    expect((await serverSideApply(harness, generated)).statusCode).toBe(201);
    const before = await everything(harness);
    clock = new Date('2026-03-01T13:00:00Z');
    expect((await serverSideApply(harness, generated)).statusCode).toBe(200);
    expect(await everything(harness)).toBe(before);
  });

  it('takes YAML as well as JSON', async () => {
    const harness = apiHarness();
    const response = await serverSideApply(harness, toYaml(withLabels({ app: 'web' })));
    expect(response.statusCode).toBe(201);
    expect(response.json.metadata.labels).toEqual({ app: 'web' });
  });

  it('changes a label it applies, and removes one it stops applying', async () => {
    const harness = await applied({ app: 'web', tier: 'front' });
    const changed = await serverSideApply(harness, withLabels({ app: 'api' }));
    expect(changed.statusCode).toBe(200);
    expect(changed.json.metadata.labels).toEqual({ app: 'api' });
    expect((await harness.stores.pods.getPod('default', 'nginx'))?.pod.metadata?.labels).toEqual({
      app: 'api',
    });
  });

  it('a second manager setting the label to another value conflicts (409), and nothing changes', async () => {
    const harness = await applied();
    const before = await everything(harness);
    const response = await serverSideApply(harness, withLabels({ app: 'other' }), { fieldManager: 'other' });
    expect(response.statusCode).toBe(409);
    expect(response.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "kubectl": .metadata.labels.app',
      reason: 'Conflict',
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "kubectl"',
            field: '.metadata.labels.app',
          },
        ],
      },
      code: 409,
    });
    expect(await everything(harness)).toBe(before);
  });

  it('force=true takes the field over; the same value is shared, not a conflict', async () => {
    const harness = await applied();
    const forced = await serverSideApply(harness, withLabels({ app: 'other' }), {
      fieldManager: 'other',
      force: 'true',
    });
    expect(forced.statusCode).toBe(200);
    expect(forced.json.metadata.labels).toEqual({ app: 'other' });
    expect(JSON.stringify(entryOf(forced.json, 'kubectl')?.fieldsV1)).not.toContain('f:app');
    expect(entryOf(forced.json, 'other')?.fieldsV1).toMatchObject({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
    });

    const shared = await serverSideApply(harness, withLabels({ app: 'other' }), { fieldManager: 'third' });
    expect(shared.statusCode).toBe(200);
    expect(entryOf(shared.json, 'third')?.fieldsV1).toMatchObject({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
    });
  });

  it('a label another manager also applies stays when one of them stops applying it', async () => {
    const harness = await applied({ app: 'web', tier: 'front' });
    await serverSideApply(
      harness,
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nginx', labels: { tier: 'front' } } },
      { fieldManager: 'other' },
    );
    const response = await serverSideApply(harness, withLabels({ app: 'web' }));
    expect(response.json.metadata.labels).toEqual({ app: 'web', tier: 'front' });
  });

  it('goes through the update rules: a forbidden spec change is 422 and changes nothing', async () => {
    const harness = await applied();
    const before = await everything(harness);
    const config = withLabels({ app: 'web' }) as Record<string, unknown>;
    const response = await serverSideApply(harness, { ...config, spec: { restartPolicy: 'Never' } });
    expect(response.statusCode).toBe(422);
    expect(response.json).toMatchObject({ reason: 'Invalid', details: { kind: 'Pod', name: 'nginx' } });
    expect(await everything(harness)).toBe(before);
  });

  it('conflicts with an Update manager are named with their API version', async () => {
    const harness = await applied();
    const label = await harness.call('PATCH', `${podPath}/nginx`, {
      body: { metadata: { labels: { app: 'edited' } } },
      query: { fieldManager: 'kubectl-label' },
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
    });
    expect(label.statusCode).toBe(200);
    const response = await serverSideApply(harness, withLabels({ app: 'web' }));
    expect(response.statusCode).toBe(409);
    expect(response.json.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl-label" using v1: .metadata.labels.app',
    );
  });

  it('honours a resourceVersion in the configuration as a precondition', async () => {
    const harness = await applied();
    const stale = {
      ...withLabels({ app: 'x' }),
      metadata: { ...withLabels({ app: 'x' }).metadata, resourceVersion: '999' },
    };
    const response = await serverSideApply(harness, stale);
    expect(response.statusCode).toBe(409);
    expect(response.json.reason).toBe('Conflict');
  });

  it('applies to /status with subresource "status" in the entry; a missing pod is 404 there', async () => {
    const harness = await applied();
    const response = await serverSideApply(
      harness,
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nginx' }, status: { message: 'hello' } },
      { fieldManager: 'status-writer' },
      `${podPath}/nginx/status`,
    );
    expect(response.statusCode).toBe(200);
    expect(response.json.status).toMatchObject({ phase: 'Pending', message: 'hello' });
    expect(entryOf(response.json, 'status-writer')).toMatchObject({
      operation: 'Apply',
      subresource: 'status',
      fieldsV1: { 'f:status': { 'f:message': {} } },
    });
    const missing = await serverSideApply(
      harness,
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'gone' }, status: { message: 'x' } },
      {},
      `${podPath}/gone/status`,
    );
    expect(missing.statusCode).toBe(404);
  });

  it('a pod stored before managedFields existed is first owned by "before-first-apply"', async () => {
    const harness = apiHarness();
    harness.stores.pods.seed({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'nginx', namespace: 'default', uid: 'u1', labels: { app: 'web' } },
      spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] },
    });
    const response = await serverSideApply(harness, withLabels({ app: 'changed' }));
    expect(response.statusCode).toBe(409);
    expect(response.json.message).toBe(
      'Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .metadata.labels.app',
    );
  });
});

describe('dry run', () => {
  it('an apply that would create writes nothing, and answers what it would have stored', async () => {
    const harness = apiHarness();
    const before = await everything(harness);
    const response = await serverSideApply(harness, withLabels({ app: 'web' }), { dryRun: 'All' });
    expect(response.statusCode).toBe(201);
    expect(entryOf(response.json, 'kubectl', 'Apply')).toBeDefined();
    expect(await harness.stores.pods.getPod('default', 'nginx')).toBeUndefined();
    expect(JSON.parse(await everything(harness))[0]).toEqual(JSON.parse(before)[0]);
  });

  it('an apply that would change the pod writes nothing', async () => {
    const harness = await applied();
    const before = await everything(harness);
    const response = await serverSideApply(harness, withLabels({ app: 'dry' }), { dryRun: 'All' });
    expect(response.statusCode).toBe(200);
    expect(response.json.metadata.labels).toEqual({ app: 'dry' });
    expect(await everything(harness)).toBe(before);
  });
});

describe('apply requests the API refuses, storing nothing', () => {
  const valid = withLabels({ app: 'web' });
  it.each([
    ['a body that is not YAML', '{ not: [yaml', {}, 400, /^error encoding patch: /],
    ['a YAML list', '- a\n- b\n', {}, 400, /^error decoding patch: .*cannot unmarshal array/],
    ['another kind', { ...valid, kind: 'Namespace' }, {}, 400, /^invalid object type: \/v1, Kind=Namespace$/],
    ['no apiVersion', { ...valid, apiVersion: undefined }, {}, 400, /^invalid object type: \/, Kind=Pod$/],
    [
      'managedFields in the configuration',
      { ...valid, metadata: { ...valid.metadata, managedFields: [] } },
      {},
      400,
      /^metadata\.managedFields must be nil$/,
    ],
    [
      'a field of the wrong type',
      { ...valid, metadata: { ...valid.metadata, labels: ['app'] } },
      {},
      400,
      /^failed to create typed patch object \(default\/nginx; \/v1, Kind=Pod\): \.metadata\.labels: expected map, got \["app"\]$/,
    ],
    [
      'a name of the wrong type',
      { ...valid, metadata: { name: { toString: [] } } },
      {},
      400,
      /^failed to create typed patch object .*\.metadata\.name: expected string/,
    ],
    [
      'an unknown field, whatever fieldValidation says',
      { ...valid, spec: { containerz: [] } },
      { fieldValidation: 'Ignore' },
      400,
      /\.spec\.containerz: field not declared in schema$/,
    ],
    [
      'a name other than the URL’s',
      { ...valid, metadata: { name: 'other' } },
      {},
      400,
      /does not match the name on the URL/,
    ],
    [
      'another namespace',
      { ...valid, metadata: { ...valid.metadata, namespace: 'team' } },
      {},
      400,
      /namespace of the provided object does not match/,
    ],
    ['no fieldManager', valid, { fieldManager: '' }, 422, /.*/],
    [
      'an invalid pod',
      { ...valid, spec: { containers: [{ name: 'Bad_Name', image: 'x' }] } },
      {},
      422,
      /is invalid/,
    ],
    ['a uid on create', { ...valid, metadata: { ...valid.metadata, uid: 'u-1' } }, {}, 409, /uid mismatch/],
    ['force that is not a bool', valid, { force: 'maybe' }, 400, /ParseBool/],
  ])('%s', async (_what, body, query, code, message) => {
    const harness = apiHarness();
    const before = await everything(harness);
    const response = await serverSideApply(harness, body, query as Record<string, string>);
    expect(response.statusCode).toBe(code);
    expect(response.json).toMatchObject({ kind: 'Status', code });
    expect(response.json.message).toMatch(message);
    expect(await everything(harness)).toBe(before);
  });

  it('without fieldManager: 422, in ValidatePatchOptions’ words', async () => {
    const harness = apiHarness();
    const response = await harness.call('PATCH', `${podPath}/nginx`, {
      body: JSON.stringify(valid),
      headers: { ...applyType, 'user-agent': kubectlUserAgent },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      reason: 'Invalid',
      details: {
        group: 'meta.k8s.io',
        kind: 'PatchOptions',
        causes: [
          {
            reason: 'FieldValueRequired',
            message: 'Required value: is required for apply patch',
            field: 'fieldManager',
          },
        ],
      },
      code: 422,
    });
  });

  it('force on any other patch: 422', async () => {
    const harness = await applied();
    const response = await harness.call('PATCH', `${podPath}/nginx`, {
      body: { metadata: { labels: { a: 'b' } } },
      query: { force: 'true' },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );
  });

  it('a duplicated key: 400 with fieldValidation=Strict, a warning by default', async () => {
    const yaml = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\n  labels:\n    app: a\n    app: b\n`;
    const harness = await applied();
    const strict = await serverSideApply(harness, yaml);
    expect(strict.statusCode).toBe(400);
    expect(strict.json.message).toBe(
      'error strict decoding patch: yaml: unmarshal errors:\n  line 7: key "app" already set in map',
    );
    const warned = await serverSideApply(harness, yaml, {
      fieldValidation: 'Warn',
      fieldManager: 'dup',
      force: 'true',
    });
    expect(warned.statusCode).toBe(200);
    expect(warned.headers.warning).toContain('already set in map');
    expect(warned.json.metadata.labels).toEqual({ app: 'b' });
  });

  it('the 415 for an unknown patch type lists apply among the accepted ones', async () => {
    const harness = await applied();
    const response = await harness.call('PATCH', `${podPath}/nginx`, {
      body: '{}',
      headers: { 'content-type': 'text/plain' },
    });
    expect(response.statusCode).toBe(415);
    expect(response.json.message).toBe(
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml',
    );
  });
});

describe('ordinary writes record an Update for their field manager', () => {
  const pod = {
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: { containers: [{ name: 'web', image: 'nginx' }] },
  };

  it('POST: the fieldManager, or the User-Agent’s program name', async () => {
    const harness = apiHarness();
    const named = await harness.call('POST', podPath, {
      body: pod,
      query: { fieldManager: 'kubectl-create' },
    });
    expect(entries(named.json)).toMatchObject([
      { manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1' },
    ]);
    expect(entryOf(named.json, 'kubectl-create')?.fieldsV1).toMatchObject({
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': { 'f:dnsPolicy': {}, 'f:restartPolicy': {} },
    });
    const byAgent = await harness.call('POST', podPath, {
      body: { ...pod, metadata: { name: 'web2' } },
      headers: { 'user-agent': 'Go-http-client/1.1' },
    });
    expect(entries(byAgent.json)[0]?.manager).toBe('Go-http-client');
  });

  it('PATCH and PUT: the manager gains what it changed; PUT with the GET’s managedFields keeps them', async () => {
    const harness = apiHarness();
    await harness.call('POST', podPath, { body: pod, query: { fieldManager: 'kubectl-create' } });
    const labeled = await harness.call('PATCH', `${podPath}/web`, {
      body: { metadata: { labels: { tier: 'front' } } },
      headers: { 'content-type': 'application/strategic-merge-patch+json', 'user-agent': kubectlUserAgent },
    });
    expect(entryOf(labeled.json, 'kubectl')?.fieldsV1).toEqual({
      'f:metadata': { 'f:labels': { 'f:tier': {} } },
    });
    const replaced = await harness.call('PUT', `${podPath}/web`, {
      body: { ...labeled.json, metadata: { ...labeled.json.metadata, labels: { app: 'web', tier: 'back' } } },
      query: { fieldManager: 'kubectl-replace' },
    });
    expect(replaced.statusCode).toBe(200);
    // kubectl owned only the label the PUT changed, so its entry is gone.
    expect(entries(replaced.json).map((e) => e.manager)).toEqual(['kubectl-create', 'kubectl-replace']);
    expect(entryOf(replaced.json, 'kubectl-replace')?.fieldsV1).toEqual({
      'f:metadata': { 'f:labels': { 'f:tier': {} } },
    });
  });

  it('PUT with managedFields [] clears them, and the pod stays untracked', async () => {
    const harness = apiHarness();
    const created = await harness.call('POST', podPath, {
      body: pod,
      query: { fieldManager: 'kubectl-create' },
    });
    const cleared = await harness.call('PUT', `${podPath}/web`, {
      body: { ...created.json, metadata: { ...created.json.metadata, managedFields: [] } },
    });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json.metadata.managedFields).toBeUndefined();
  });

  it('status written by controllers through the store is nobody’s', async () => {
    const harness = apiHarness();
    const created = await harness.call('POST', podPath, {
      body: pod,
      query: { fieldManager: 'kubectl-create' },
    });
    expect(JSON.stringify(created.json.metadata.managedFields)).not.toContain('f:status');
  });
});

/**
 * client-go's csaupgrade.UpgradeManagedFieldsPatch, which kubectl sends after a server-side
 * apply: the client-side apply manager's fields move into kubectl's Apply entry.
 */
function upgradePatch(object: Pod, csaManager: string, ssaManager: string): string | undefined {
  const managed = structuredClone(entries(object));
  const isCsa = (e: ManagedFieldsEntry) =>
    e.manager === csaManager && e.operation === 'Update' && !e.subresource;
  if (!managed.some(isCsa)) return undefined;
  let target = managed.findIndex(
    (e) => e.manager === ssaManager && e.operation === 'Apply' && !e.subresource,
  );
  if (target < 0) {
    target = managed.findIndex((e) => e.manager === csaManager && e.operation === 'Update' && !e.subresource);
    if (target < 0) return undefined;
    managed[target] = { ...(managed[target] as ManagedFieldsEntry), operation: 'Apply', manager: ssaManager };
  }
  const into = managed[target] as ManagedFieldsEntry;
  const csa = managed.find(
    (e) =>
      e.manager === csaManager &&
      e.operation === 'Update' &&
      !e.subresource &&
      e.apiVersion === into.apiVersion,
  );
  const union = FieldSet.fromFieldsV1(into.fieldsV1).union(FieldSet.fromFieldsV1(csa?.fieldsV1 ?? {}));
  managed[target] = { ...into, fieldsV1: union.toFieldsV1() };
  const filtered = managed.filter(
    (e) => !(e.manager === csaManager && e.operation === 'Update' && !e.subresource),
  );
  return JSON.stringify([
    { op: 'replace', path: '/metadata/managedFields', value: filtered },
    { op: 'replace', path: '/metadata/resourceVersion', value: object.metadata?.resourceVersion },
  ]);
}

describe('switching between client-side and server-side apply', () => {
  const lastAppliedKey = 'kubectl.kubernetes.io/last-applied-configuration';

  /** `kubectl apply -f` of a new pod: a POST carrying the configuration in the annotation. */
  async function clientSideApplied(harness: Harness, labels: Record<string, string>) {
    const config = withLabels(labels);
    // kubectl writes it as Go encodes an unstructured object: sorted keys, a trailing newline.
    const annotation = `${goJson(config)}\n`;
    const body = {
      ...config,
      metadata: { ...config.metadata, annotations: { [lastAppliedKey]: annotation } },
    };
    const created = await harness.call('POST', podPath, {
      body,
      query: { fieldManager: 'kubectl-client-side-apply', fieldValidation: 'Strict' },
      headers: { 'user-agent': kubectlUserAgent },
    });
    expect(created.statusCode).toBe(201);
    return created.json as Pod;
  }

  it('kubectl apply --server-side takes over a client-side applied pod, as kubectl drives it', async () => {
    const harness = apiHarness();
    await clientSideApplied(harness, { app: 'web' });

    // 1. The apply itself: the label client-side apply set may change without a conflict.
    const config = withLabels({ app: 'api' });
    const first = await serverSideApply(harness, config);
    expect(first.statusCode).toBe(200);
    expect(first.json.metadata.labels).toEqual({ app: 'api' });
    const annotation = first.json.metadata.annotations[lastAppliedKey];
    expect(JSON.parse(annotation).metadata.labels).toEqual({ app: 'api' });

    // 2. kubectl keeps the annotation owned by an applier of its own.
    const saved = await harness.call('PATCH', `${podPath}/nginx`, {
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'nginx', namespace: 'default', annotations: { [lastAppliedKey]: annotation } },
      }),
      query: { fieldManager: 'kubectl-last-applied', fieldValidation: 'Strict' },
      headers: applyType,
    });
    expect(saved.statusCode).toBe(200);

    // 3. It moves client-side apply's fields into its own Apply entry with a JSON patch...
    const patch = upgradePatch(saved.json, 'kubectl-client-side-apply', 'kubectl');
    expect(patch).toBeDefined();
    const migrated = await harness.call('PATCH', `${podPath}/nginx`, {
      body: patch,
      query: { fieldManager: 'kubectl', fieldValidation: 'Strict' },
      headers: { 'content-type': 'application/json-patch+json' },
    });
    expect(migrated.statusCode).toBe(200);
    // The annotation's applier changed nothing, so its entry has no time and sorts first.
    expect(entries(migrated.json).map((e) => `${e.manager}/${e.operation}`)).toEqual([
      'kubectl-last-applied/Apply',
      'kubectl/Apply',
    ]);

    // 4. ...and applies again, which prunes what only client-side apply had set.
    const again = await serverSideApply(harness, config);
    expect(again.statusCode).toBe(200);
    expect(again.json.metadata.labels).toEqual({ app: 'api' });
    expect(again.json.metadata.annotations[lastAppliedKey]).toBe(annotation);
    // Defaults client-side apply had owned were pruned and defaulted again: still there, unowned.
    expect(again.json.spec.dnsPolicy).toBe('ClusterFirst');
    expect(JSON.stringify(entryOf(again.json, 'kubectl')?.fieldsV1)).not.toContain('f:dnsPolicy');
    // Nothing is left to migrate: kubectl sends no second patch.
    expect(upgradePatch(again.json, 'kubectl-client-side-apply', 'kubectl')).toBeUndefined();
  });

  it('kubectl apply (client-side) keeps working after server-side apply', async () => {
    const harness = await applied();
    // kubectl finds no annotation, warns, and patches with a strategic merge patch that adds it.
    const response = await harness.call('PATCH', `${podPath}/nginx`, {
      body: {
        metadata: {
          annotations: { [lastAppliedKey]: `${JSON.stringify(withLabels({ app: 'csa' }))}\n` },
          labels: { app: 'csa' },
        },
      },
      query: { fieldManager: 'kubectl-client-side-apply', fieldValidation: 'Strict' },
      headers: { 'content-type': 'application/strategic-merge-patch+json', 'user-agent': kubectlUserAgent },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json.metadata.labels).toEqual({ app: 'csa' });
    expect(entryOf(response.json, 'kubectl-client-side-apply', 'Update')?.fieldsV1).toEqual({
      'f:metadata': {
        'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} },
        'f:labels': { 'f:app': {} },
      },
    });
    // Server-side apply from here on conflicts on what client-side apply changed, unless forced.
    expect(
      (await serverSideApply(harness, withLabels({ app: 'web' }), { fieldManager: 'ci' })).statusCode,
    ).toBe(409);
  });
});

describe('namespaces', () => {
  const nsPath = '/api/v1/namespaces';
  const config = (labels: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'team', labels },
  });

  it('serves patch and update', () => {
    expect(coreV1Resources.resources.find((r) => r.name === 'namespaces')?.verbs).toEqual(
      expect.arrayContaining(['patch', 'update']),
    );
  });

  it('server-side apply creates (201), re-applies as a no-op, conflicts and forces like pods', async () => {
    const harness = apiHarness();
    const created = await serverSideApply(harness, config({ team: 'a' }), {}, `${nsPath}/team`);
    expect(created.statusCode).toBe(201);
    expect(created.json.metadata.labels).toEqual({ team: 'a', 'kubernetes.io/metadata.name': 'team' });
    expect(created.json.status).toEqual({ phase: 'Active' });
    expect(entries(created.json)).toMatchObject([
      {
        manager: 'kubectl',
        operation: 'Apply',
        fieldsV1: { 'f:metadata': { 'f:labels': { 'f:team': {} } } },
      },
    ]);
    const before = await everything(harness);
    expect((await serverSideApply(harness, config({ team: 'a' }), {}, `${nsPath}/team`)).statusCode).toBe(
      200,
    );
    expect(await everything(harness)).toBe(before);
    const conflict = await serverSideApply(
      harness,
      config({ team: 'b' }),
      { fieldManager: 'flux' },
      `${nsPath}/team`,
    );
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl": .metadata.labels.team',
    );
    const forced = await serverSideApply(
      harness,
      config({ team: 'b' }),
      { fieldManager: 'flux', force: 'true' },
      `${nsPath}/team`,
    );
    expect(forced.json.metadata.labels.team).toBe('b');
  });

  it('POST records the creator, with the name label defaulting adds', async () => {
    const harness = apiHarness();
    const created = await harness.call('POST', nsPath, {
      body: { metadata: { name: 'team' } },
      query: { fieldManager: 'kubectl-create' },
    });
    expect(entries(created.json)).toMatchObject([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:kubernetes.io/metadata.name': {} } } },
      },
    ]);
  });

  it('kubectl label namespace: a strategic merge patch of labels; the name label stays', async () => {
    const harness = apiHarness();
    await harness.call('POST', nsPath, { body: { metadata: { name: 'team' } } });
    const labeled = await harness.call('PATCH', `${nsPath}/team`, {
      body: { metadata: { labels: { env: 'prod', 'kubernetes.io/metadata.name': null } } },
      query: { fieldManager: 'kubectl-label' },
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
    });
    expect(labeled.statusCode).toBe(200);
    expect(labeled.json.metadata.labels).toEqual({ env: 'prod', 'kubernetes.io/metadata.name': 'team' });
    expect(entryOf(labeled.json, 'kubectl-label')?.fieldsV1).toEqual({
      'f:metadata': { 'f:labels': { 'f:env': {} } },
    });
  });

  it('PUT changes labels and annotations only; bad labels are 422; a missing namespace is 404', async () => {
    const harness = apiHarness();
    const created = await harness.call('POST', nsPath, { body: { metadata: { name: 'team' } } });
    const put = await harness.call('PUT', `${nsPath}/team`, {
      body: {
        ...created.json,
        metadata: { ...created.json.metadata, annotations: { a: 'b' } },
        spec: { finalizers: [] },
      },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json.metadata.annotations).toEqual({ a: 'b' });
    expect(put.json.spec).toEqual({ finalizers: ['kubernetes'] });
    const bad = await harness.call('PATCH', `${nsPath}/team`, {
      body: { metadata: { labels: { 'bad key!': 'x' } } },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(bad.statusCode).toBe(422);
    const missing = await harness.call('PATCH', `${nsPath}/gone`, {
      body: { metadata: { labels: { a: 'b' } } },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(missing.statusCode).toBe(404);
  });

  it('an apply with a bad body stores nothing', async () => {
    const harness = apiHarness();
    const before = await everything(harness);
    for (const body of [
      '[',
      { ...config({}), metadata: { name: 'other' } },
      { ...config({}), spec: { x: 1 } },
    ]) {
      const response = await serverSideApply(harness, body, {}, `${nsPath}/team`);
      expect(response.statusCode).toBe(400);
    }
    expect(await everything(harness)).toBe(before);
  });
});

describe('apply under arbitrary configurations', () => {
  const nasty = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom({ toString: [] }, ['a'], null, { name: 'nginx' }, [{ name: 'nginx' }], 80, ''),
  );
  const namespaceConfig = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'team', labels: { a: 'b' } },
  };
  const configs = fc.oneof(
    mangledJson(withLabels({ app: 'web' }), nasty),
    mangledJson({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nginx', labels: { app: 'x' } } }, nasty),
    mangledJson(
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nginx' }, status: { phase: 'Failed' } },
      nasty,
    ),
    mangledJson(namespaceConfig, nasty),
  );
  const paths = fc.constantFrom(
    `${podPath}/nginx`,
    `${podPath}/nginx/status`,
    `${podPath}/fresh`,
    '/api/v1/namespaces/team',
    '/api/v1/namespaces/default',
  );
  const queries = fc.constantFrom<Record<string, string>>(
    {},
    { force: 'true' },
    { fieldManager: 'other' },
    { fieldManager: 'other', force: 'true' },
    { dryRun: 'All' },
    { fieldValidation: 'Ignore' },
  );

  it('never answers 5xx, a refusal or a dry run stores nothing, and what it answers is stored', async () => {
    await fc.assert(
      fc.asyncProperty(configs, paths, queries, async (text, path, query) => {
        const harness = await applied();
        await harness.call('GET', '/api/v1/namespaces/default');
        const before = await everything(harness);
        const response = await serverSideApply(harness, text, query, path);
        expect(response.statusCode).toBeLessThan(500);
        if (response.statusCode >= 400 || query.dryRun) {
          expect(response.statusCode >= 400 ? response.json.kind : 'ok').toMatch(/Status|ok/);
          expect(await everything(harness)).toBe(before);
          return;
        }
        // What was answered is what was stored, with entries that decode.
        const stored = await harness.call('GET', path.replace(/\/status$/, ''));
        expect(stored.json).toEqual(response.json);
        for (const e of entries(response.json)) {
          expect(['Apply', 'Update']).toContain(e.operation);
          expect(e.fieldsType).toBe('FieldsV1');
          expect(() => FieldSet.fromFieldsV1(e.fieldsV1)).not.toThrow();
        }
      }),
      { numRuns: 400 },
    );
  });
});
