import { describe, expect, it } from 'vitest';
import { apiHarness } from './api-harness';

/**
 * Named cases for what fuzzing and strangers found: each answered 500, stored something it
 * should not, or silently did something else. Each must now be a 4xx Status that changes
 * nothing, worded as kube-apiserver words it.
 */
const pod = (metadata: Record<string, unknown> = { name: 'web' }) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata,
  spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
});

const podPath = '/api/v1/namespaces/default/pods';

async function withPod() {
  const harness = apiHarness();
  const created = await harness.call('POST', podPath, { body: pod() });
  expect(created.statusCode).toBe(201);
  return harness;
}

const everything = async ({ stores }: ReturnType<typeof apiHarness>) =>
  JSON.stringify([await stores.pods.podChangesSince(undefined, 0), await stores.namespaces.listNamespaces()]);

describe('fuzz seed 537224382: an object where a string belongs', () => {
  const object = { toString: [] };

  it.each([
    ['name', { name: object }],
    ['generateName', { generateName: object }],
  ])(
    'POST a pod whose metadata.%s is {"toString": []}: 400 as a body that does not decode',
    async (field, metadata) => {
      const harness = apiHarness();
      const response = await harness.call('POST', podPath, { body: pod(metadata) });
      expect(response.statusCode).toBe(400);
      expect(response.json).toMatchObject({
        kind: 'Status',
        reason: 'BadRequest',
        message: `Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal object into Go struct field ObjectMeta.metadata.${field} of type string`,
      });
      expect(await harness.stores.pods.listPods()).toEqual([]);
    },
  );

  it.each([
    ['{"toString": []}', { toString: [] }, 'object'],
    ['["a"]', ['a'], 'array'],
  ])('POST a namespace named %s: 400, and no namespace', async (_label, name, jsonKind) => {
    const harness = apiHarness();
    const response = await harness.call('POST', '/api/v1/namespaces', { body: { metadata: { name } } });
    expect(response.statusCode).toBe(400);
    expect(response.json.message).toBe(
      `Namespace in version "v1" cannot be handled as a Namespace: json: cannot unmarshal ${jsonKind} into Go struct field ObjectMeta.metadata.name of type string`,
    );
    expect(await harness.stores.namespaces.listNamespaces()).toEqual([]);
  });

  it('PUT of a pod with that name: 400, the pod unchanged', async () => {
    const harness = await withPod();
    const before = await everything(harness);
    const response = await harness.call('PUT', `${podPath}/web`, { body: pod({ name: object }) });
    expect(response.statusCode).toBe(400);
    expect(response.json.reason).toBe('BadRequest');
    expect(await everything(harness)).toBe(before);
  });

  it.each([
    ['application/merge-patch+json', { metadata: { name: object } }],
    ['application/strategic-merge-patch+json', { metadata: { name: object } }],
    ['application/json-patch+json', [{ op: 'replace', path: '/metadata/name', value: object }]],
  ])('PATCH (%s) of metadata.name to that object: 422 on the field "patch"', async (type, patch) => {
    const harness = await withPod();
    const before = await everything(harness);
    const response = await harness.call('PATCH', `${podPath}/web`, {
      body: patch,
      headers: { 'content-type': type },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json).toMatchObject({ reason: 'Invalid', details: { causes: [{ field: 'patch' }] } });
    expect(response.json.details.causes[0].message).toContain(
      'cannot unmarshal object into Go struct field ObjectMeta.metadata.name of type string',
    );
    expect(await everything(harness)).toBe(before);
  });
});

describe('what apiserver refuses and podplane accepted', () => {
  it('a merge PATCH of /status with status.phase an object: 422, the status unchanged', async () => {
    const harness = await withPod();
    const before = await everything(harness);
    const response = await harness.call('PATCH', `${podPath}/web/status`, {
      body: { status: { phase: { running: true } } },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json.details.causes[0].message).toContain(
      'cannot unmarshal object into Go struct field PodStatus.status.phase of type string',
    );
    expect(await everything(harness)).toBe(before);
  });

  it('a DELETE whose DeleteOptions.gracePeriodSeconds is an object: 400, the pod stays', async () => {
    const harness = await withPod();
    const before = await everything(harness);
    const response = await harness.call('DELETE', `${podPath}/web`, {
      body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: { seconds: 1 } },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json.message).toBe(
      'DeleteOptions in version "v1" cannot be handled as a DeleteOptions: json: cannot unmarshal object into Go struct field DeleteOptions.gracePeriodSeconds of type int64',
    );
    expect(await everything(harness)).toBe(before);
  });

  it('a garbage continue token: 400 "continue key is not valid"', async () => {
    const harness = await withPod();
    const response = await harness.call('GET', podPath, { query: { limit: '1', continue: 'garbage!!' } });
    expect(response.statusCode).toBe(400);
    expect(response.json.message).toMatch(/^continue key is not valid/);
  });

  it.each(['__proto__', 'constructor', 'prototype'])(
    'a label key %s added by JSON patch: 422 naming the key, never silently dropped',
    async (key) => {
      const harness = await withPod();
      const before = await everything(harness);
      const response = await harness.call('PATCH', `${podPath}/web`, {
        body: [
          { op: 'add', path: '/metadata/labels', value: {} },
          { op: 'add', path: `/metadata/labels/${key}`, value: 'x' },
        ],
        headers: { 'content-type': 'application/json-patch+json' },
      });
      if (key === 'constructor' || key === 'prototype') {
        // Valid label keys, so they are ordinary labels: stored and read back as such.
        expect(response.statusCode).toBe(200);
        expect(response.json.metadata.labels).toEqual({ [key]: 'x' });
        return;
      }
      expect(response.statusCode).toBe(422);
      expect(response.json.details.causes[0]).toMatchObject({ field: 'metadata.labels' });
      expect(response.json.message).toContain('__proto__');
      expect(await everything(harness)).toBe(before);
    },
  );

  it('a label key __proto__ in a created pod: 422 and no pod', async () => {
    const harness = apiHarness();
    const response = await harness.call('POST', podPath, {
      body: '{"metadata":{"name":"web","labels":{"__proto__":"x"}},"spec":{"containers":[{"name":"app","image":"nginx"}]}}',
    });
    expect(response.statusCode).toBe(422);
    expect(response.json.message).toContain('__proto__');
    expect(await harness.stores.pods.listPods()).toEqual([]);
  });
});

describe('selectors name own fields and labels only', () => {
  it.each(['__proto__=x', 'constructor=x', 'toString=x'])(
    'fieldSelector %s: 400 field label not supported',
    async (selector) => {
      const harness = await withPod();
      const response = await harness.call('GET', podPath, { query: { fieldSelector: selector } });
      expect(response.statusCode).toBe(400);
      expect(response.json.message).toBe(`field label not supported: ${selector.split('=')[0]}`);
    },
  );

  it.each(['constructor', 'toString', 'hasOwnProperty'])(
    'labelSelector %s matches no pod without that label',
    async (key) => {
      const harness = await withPod();
      const response = await harness.call('GET', podPath, { query: { labelSelector: key } });
      expect(response.statusCode).toBe(200);
      expect(response.json.items).toEqual([]);
    },
  );
});

describe('integers decode as the Go integer their field is', () => {
  const withPort = (containerPort: unknown) => ({
    ...pod(),
    spec: { containers: [{ name: 'app', image: 'nginx', ports: [{ containerPort }] }] },
  });

  it.each([
    ['"80"', '80', 'string'],
    ['80.5', 80.5, 'number 80.5'],
    ['3000000000', 3000000000, 'number 3000000000'],
  ])('containerPort %s: 400 naming int32', async (_label, port, jsonKind) => {
    const harness = apiHarness();
    const response = await harness.call('POST', podPath, { body: withPort(port) });
    expect(response.statusCode).toBe(400);
    expect(response.json.message).toBe(
      `Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal ${jsonKind} into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32`,
    );
  });

  it('terminationGracePeriodSeconds is an int64', async () => {
    const harness = apiHarness();
    const response = await harness.call('POST', podPath, {
      body: { ...pod(), spec: { ...pod().spec, terminationGracePeriodSeconds: 'x' } },
    });
    expect(response.json.message).toContain('PodSpec.spec.terminationGracePeriodSeconds of type int64');
  });
});

describe('a resourceVersion that is not a number', () => {
  it.each([
    [podPath, { resourceVersion: 'abc' }],
    [podPath, { resourceVersion: '-1', watch: 'true' }],
    ['/api/v1/namespaces', { resourceVersion: '1.5', watch: '1' }],
  ])('GET %s %j: 400 invalid resource version', async (path, query) => {
    const harness = await withPod();
    const response = await harness.call('GET', path, { query });
    expect(response.statusCode).toBe(400);
    expect(response.json.message).toBe(
      `invalid resource version: strconv.ParseUint: parsing "${query.resourceVersion}": invalid syntax`,
    );
  });
});

describe('a watch that sees no change', () => {
  it.each([
    [podPath, { watch: 'true', resourceVersion: '99999999999999999' }],
    ['/api/v1/namespaces', { watch: '1', resourceVersion: '99999999999999999' }],
    ['/api/v1/namespaces/default/events', { watch: 'true', resourceVersion: '99999999999999999' }],
  ])('GET %s %j ends after its hold with no events', async (path, query) => {
    const harness = await withPod();
    const response = await harness.call('GET', path, { query });
    expect(response.statusCode).toBe(200);
    // Nothing but the empty lines a quiet watch writes each minute to stay open.
    expect(response.body).toMatch(/^\n*$/);
    expect(harness.deps.now().getTime() - new Date('2026-03-01T12:00:00Z').getTime()).toBeGreaterThanOrEqual(
      2000,
    );
  });
});
