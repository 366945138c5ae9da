import { describe, expect, it } from 'vitest';
import type { Pod, PodSpec } from '../../functions/core/k8s';
import { withPodDefaults } from '../../functions/core/pod/defaults';
import { immutableSpecMessage, podSpecUpdateErrors } from '../../functions/core/pod/update-rules';
import { apiHarness } from './api-harness';

/** A stored (defaulted) spec, and the same spec changed by `change`. */
const spec = (extra: Partial<PodSpec> = {}): PodSpec =>
  withPodDefaults({
    spec: {
      containers: [{ name: 'app', image: 'nginx:1.27' }],
      initContainers: [{ name: 'setup', image: 'busybox:1.36' }],
      ...extra,
    },
  }).spec as PodSpec;
const changed = (from: PodSpec, change: (spec: PodSpec) => void): PodSpec => {
  const copy = structuredClone(from);
  change(copy);
  return copy;
};
const errorsOf = (from: PodSpec, change: (spec: PodSpec) => void) =>
  podSpecUpdateErrors(changed(from, change), from).map((e) => `${e.field}: ${e.message}`);

const forbiddenSpec = `spec: ${immutableSpecMessage}`;
const toleration = { key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoExecute' } as const;

describe('pod spec updates Kubernetes allows', () => {
  it('a container image and an init container image', () => {
    expect(
      errorsOf(spec(), (s) => {
        s.containers[0] = { ...s.containers[0], name: 'app', image: 'nginx:1.28' };
        s.initContainers = [{ ...s.initContainers?.[0], name: 'setup', image: 'busybox:1.37' }];
      }),
    ).toEqual([]);
  });

  it('activeDeadlineSeconds set where it was unset, or lowered', () => {
    expect(errorsOf(spec(), (s) => Object.assign(s, { activeDeadlineSeconds: 60 }))).toEqual([]);
    expect(
      errorsOf(spec({ activeDeadlineSeconds: 60 }), (s) => Object.assign(s, { activeDeadlineSeconds: 30 })),
    ).toEqual([]);
  });

  it('tolerations added, and an existing one changing only its tolerationSeconds', () => {
    expect(errorsOf(spec(), (s) => Object.assign(s, { tolerations: [toleration] }))).toEqual([]);
    expect(
      errorsOf(spec({ tolerations: [toleration] }), (s) =>
        Object.assign(s, {
          tolerations: [
            { ...toleration, tolerationSeconds: 30 },
            { key: 'gpu', operator: 'Exists' },
          ],
        }),
      ),
    ).toEqual([]);
  });

  it('a negative grace period set to 1', () => {
    expect(
      errorsOf(spec({ terminationGracePeriodSeconds: -1 }), (s) =>
        Object.assign(s, { terminationGracePeriodSeconds: 1 }),
      ),
    ).toEqual([]);
  });
});

describe('pod spec updates Kubernetes refuses, in its words', () => {
  it('an empty or padded image', () => {
    expect(errorsOf(spec(), (s) => Object.assign(s.containers[0] ?? {}, { image: '' }))).toEqual([
      'spec.containers[0].image: Required value',
    ]);
    expect(
      errorsOf(spec(), (s) => Object.assign(s.initContainers?.[0] ?? {}, { image: ' busybox' })),
    ).toEqual([
      'spec.initContainers[0].image: Invalid value: " busybox": must not have leading or trailing whitespace',
    ]);
  });

  it('a container added or removed', () => {
    expect(errorsOf(spec(), (s) => s.containers.push({ name: 'sidecar', image: 'busybox:1.36' }))).toEqual([
      'spec.containers: Forbidden: pod updates may not add or remove containers',
    ]);
    expect(errorsOf(spec(), (s) => s.initContainers?.pop())).toEqual([
      'spec.initContainers: Forbidden: pod updates may not add or remove containers',
    ]);
  });

  it('activeDeadlineSeconds raised, unset or out of range', () => {
    const withDeadline = spec({ activeDeadlineSeconds: 60 });
    expect(errorsOf(withDeadline, (s) => Object.assign(s, { activeDeadlineSeconds: 120 }))).toEqual([
      'spec.activeDeadlineSeconds: Invalid value: 120: must be less than or equal to previous value',
    ]);
    expect(errorsOf(withDeadline, (s) => delete s.activeDeadlineSeconds)).toEqual([
      'spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value',
    ]);
    expect(errorsOf(spec(), (s) => Object.assign(s, { activeDeadlineSeconds: 3_000_000_000 }))).toEqual([
      'spec.activeDeadlineSeconds: Invalid value: 3000000000: must be between 0 and 2147483647, inclusive',
    ]);
  });

  it('an existing toleration removed or changed beyond its tolerationSeconds', () => {
    const tolerating = spec({ tolerations: [toleration] });
    const message =
      'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds';
    expect(errorsOf(tolerating, (s) => Object.assign(s, { tolerations: [] }))).toEqual([message]);
    expect(
      errorsOf(tolerating, (s) => Object.assign(s, { tolerations: [{ ...toleration, value: 'api' }] })),
    ).toEqual([message]);
  });

  it('any other field, alone or next to an allowed change, with the one message it always had', () => {
    expect(errorsOf(spec(), (s) => Object.assign(s, { restartPolicy: 'Never' }))).toEqual([forbiddenSpec]);
    expect(
      errorsOf(spec(), (s) => {
        Object.assign(s.containers[0] ?? {}, { image: 'nginx:1.28', command: ['sleep', '1'] });
      }),
    ).toEqual([forbiddenSpec]);
    expect(
      errorsOf(spec({ terminationGracePeriodSeconds: 30 }), (s) =>
        Object.assign(s, { terminationGracePeriodSeconds: 1 }),
      ),
    ).toEqual([forbiddenSpec]);
    expect(podSpecUpdateErrors('not a spec', spec()).map((e) => e.message)).toEqual([immutableSpecMessage]);
  });
});

describe('updating a pod through the API', () => {
  const podPath = '/api/v1/namespaces/default/pods';
  const create = async () => {
    const harness = apiHarness();
    const created = await harness.call('POST', podPath, {
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web' },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
      },
    });
    expect(created.statusCode).toBe(201);
    return { harness, created: created.json as Pod };
  };
  const jsonPatch = (operations: unknown) => ({
    body: operations,
    headers: { 'content-type': 'application/json-patch+json' },
  });

  it('takes a JSON patch of an image and bumps metadata.generation', async () => {
    const { harness } = await create();
    const response = await harness.call(
      'PATCH',
      `${podPath}/web`,
      jsonPatch([{ op: 'replace', path: '/spec/containers/0/image', value: 'nginx:1.28' }]),
    );
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json.spec.containers[0].image).toBe('nginx:1.28');
    expect(response.json.metadata.generation).toBe(2);
    expect((await harness.stores.pods.getPod('default', 'web'))?.pod.spec?.containers[0]?.image).toBe(
      'nginx:1.28',
    );
  });

  it('keeps the generation when only labels change, or the spec is sent back unchanged', async () => {
    const { harness, created } = await create();
    const labelled = await harness.call('PATCH', `${podPath}/web`, {
      body: { metadata: { labels: { tier: 'web' } } },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(labelled.json.metadata.generation).toBe(1);
    const put = await harness.call('PUT', `${podPath}/web`, {
      body: { ...created, metadata: { ...created.metadata, resourceVersion: undefined } },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json.metadata.generation).toBe(1);
  });

  it('refuses an empty image with 422 and changes nothing', async () => {
    const { harness } = await create();
    const response = await harness.call(
      'PATCH',
      `${podPath}/web`,
      jsonPatch([{ op: 'replace', path: '/spec/containers/0/image', value: '' }]),
    );
    expect(response.statusCode).toBe(422);
    expect(response.json.message).toBe('Pod "web" is invalid: spec.containers[0].image: Required value');
    expect((await harness.stores.pods.getPod('default', 'web'))?.pod.metadata?.generation).toBe(1);
  });

  it('refuses an image change next to a restartPolicy change with the forbidden-fields message', async () => {
    const { harness } = await create();
    const response = await harness.call(
      'PATCH',
      `${podPath}/web`,
      jsonPatch([
        { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:1.28' },
        { op: 'replace', path: '/spec/restartPolicy', value: 'Never' },
      ]),
    );
    expect(response.statusCode).toBe(422);
    expect(response.json.message).toBe(`Pod "web" is invalid: ${forbiddenSpec}`);
    expect(response.json.details.causes).toEqual([
      { field: 'spec', reason: 'FieldValueForbidden', message: immutableSpecMessage },
    ]);
    expect((await harness.stores.pods.getPod('default', 'web'))?.pod.spec?.containers[0]?.image).toBe(
      'nginx:1.27',
    );
  });

  it('lowers activeDeadlineSeconds, refuses to raise it, and accepts an update of a finished pod', async () => {
    const { harness } = await create();
    const deadline = (value: number) =>
      harness.call('PATCH', `${podPath}/web`, {
        body: { spec: { activeDeadlineSeconds: value } },
        headers: { 'content-type': 'application/merge-patch+json' },
      });
    expect((await deadline(60)).statusCode).toBe(200);
    expect((await deadline(30)).json.metadata.generation).toBe(3);
    const raised = await deadline(90);
    expect(raised.statusCode).toBe(422);
    expect(raised.json.message).toBe(
      'Pod "web" is invalid: spec.activeDeadlineSeconds: Invalid value: 90: must be less than or equal to previous value',
    );
    const record = await harness.stores.pods.getPod('default', 'web');
    if (!record) throw new Error('pod gone');
    await harness.stores.pods.updatePod(record, {
      ...record.pod,
      status: { ...record.pod.status, phase: 'Succeeded' },
    });
    const finished = await harness.call(
      'PATCH',
      `${podPath}/web`,
      jsonPatch([{ op: 'replace', path: '/spec/containers/0/image', value: 'nginx:1.28' }]),
    );
    expect(finished.statusCode).toBe(200);
    expect((await harness.stores.pods.getPod('default', 'web'))?.stage).toBe('done');
  });

  it('refuses an image with surrounding whitespace', async () => {
    const { harness } = await create();
    const response = await harness.call(
      'PATCH',
      `${podPath}/web`,
      jsonPatch([{ op: 'replace', path: '/spec/containers/0/image', value: 'nginx:1.28 ' }]),
    );
    expect(response.statusCode).toBe(422);
    expect(response.json.message).toBe(
      'Pod "web" is invalid: spec.containers[0].image: Invalid value: "nginx:1.28 ": must not have leading or trailing whitespace',
    );
  });
});
