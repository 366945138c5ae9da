import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../functions/core/k8s';
import { storedPod } from '../fixtures';
import { apiHarness } from './api-harness';

const budgets = '/apis/policy/v1/namespaces/default/poddisruptionbudgets';
const tableAccept = { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' };

/** A pod bound to a node and Ready, labelled `app`. */
function readyPod(name: string, app = 'a', namespace = 'default'): Pod {
  const pod = storedPod(name, { namespace });
  return {
    ...pod,
    metadata: { ...pod.metadata, labels: { app } },
    spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName: 'node-1' },
    status: {
      ...pod.status,
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

const budget = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name },
  spec: { selector: { matchLabels: { app: 'a' } }, ...spec },
});

const evict = (
  call: ReturnType<typeof apiHarness>['call'],
  pod: string,
  body: Record<string, unknown> = {},
) =>
  call('POST', `/api/v1/namespaces/default/pods/${pod}/eviction`, {
    body: {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: pod, namespace: 'default' },
      ...body,
    },
  });

describe('poddisruptionbudgets.policy', () => {
  it('are created, and read with the status the disruption controller computes from Ready pods', async () => {
    const { call, stores } = apiHarness();
    stores.pods.seed(readyPod('a1'));
    stores.pods.seed(readyPod('a2'));
    stores.pods.seed({
      ...readyPod('a3'),
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] },
    });
    stores.pods.seed(readyPod('b1', 'b'));
    const created = await call('POST', budgets, { body: budget('x', { minAvailable: 1 }) });
    expect(created.statusCode).toBe(201);
    expect(created.json.metadata).toMatchObject({ name: 'x', namespace: 'default', generation: 1 });
    const { json } = await call('GET', `${budgets}/x`);
    expect(json.status).toMatchObject({
      expectedPods: 3,
      currentHealthy: 2,
      desiredHealthy: 1,
      disruptionsAllowed: 1,
      observedGeneration: 1,
      conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' }],
    });
  });

  it('scale a percentage up, and allow nothing when no pod is selected', async () => {
    const { call, stores } = apiHarness();
    await call('POST', budgets, { body: budget('none', { minAvailable: 1 }) });
    expect((await call('GET', `${budgets}/none`)).json.status).toMatchObject({
      expectedPods: 0,
      disruptionsAllowed: 0,
      conditions: [{ reason: 'InsufficientPods', status: 'False' }],
    });
    stores.pods.seed(readyPod('a1'));
    await call('POST', budgets, { body: budget('pct', { maxUnavailable: '50%' }) });
    // maxUnavailable scales with the pods' controller, which a bare pod has not: the controller fails safe.
    expect((await call('GET', `${budgets}/pct`)).json.status).toMatchObject({
      disruptionsAllowed: 0,
      conditions: [{ reason: 'SyncFailed', message: 'found no controller ref for pod "a1"' }],
    });
  });

  it.each([
    [
      { minAvailable: 1, maxUnavailable: 1 },
      'spec.minAvailable: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: minAvailable and maxUnavailable cannot be both set',
    ],
    [
      { minAvailable: 'half' },
      `spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"half"}: must be an integer or percentage (e.g '5%')`,
    ],
    [
      { maxUnavailable: '150%' },
      'spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%',
    ],
    [{ minAvailable: -1 }, 'spec.minAvailable: Invalid value: -1: must be greater than or equal to 0'],
    [
      { selector: { matchExpressions: [{ key: 'app', operator: 'Has' }] } },
      'spec.selector.matchExpressions[0].operator: Invalid value: "Has": not a valid selector operator',
    ],
    [
      { selector: { matchExpressions: [{ key: 'app', operator: 'In' }] } },
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    ],
  ])('refuses %j as kube-apiserver validates it', async (spec, message) => {
    const { call, stores } = apiHarness();
    const response = await call('POST', budgets, { body: budget('x', spec) });
    expect(response.statusCode).toBe(422);
    expect(response.json.message).toBe(`PodDisruptionBudget "x" is invalid: ${message}`);
    expect(await stores.objects.listObjects('poddisruptionbudgets')).toEqual([]);
  });

  it('print the Table kubectl get pdb shows', async () => {
    const { call, stores } = apiHarness();
    stores.pods.seed(readyPod('a1'));
    stores.pods.seed(readyPod('a2'));
    await call('POST', budgets, { body: budget('x', { minAvailable: 1 }) });
    await call('POST', budgets, {
      body: budget('y', { maxUnavailable: 0, selector: { matchLabels: { app: 'z' } } }),
    });
    const { json } = await call('GET', budgets, { headers: tableAccept });
    expect(json.columnDefinitions.map((c: { name: string }) => c.name)).toEqual([
      'Name',
      'Min Available',
      'Max Unavailable',
      'Allowed Disruptions',
      'Age',
    ]);
    expect(json.rows.map((r: { cells: string[] }) => r.cells.slice(0, 4))).toEqual([
      ['x', '1', 'N/A', '1'],
      ['y', 'N/A', '0', '0'],
    ]);
    // kubectl get pdb -A: every namespace's, each with its own namespace's pods counted.
    await call('POST', '/api/v1/namespaces', { body: { metadata: { name: 'team' } } });
    await call('POST', '/apis/policy/v1/namespaces/team/poddisruptionbudgets', {
      body: budget('x', { minAvailable: 1 }),
    });
    const all = await call('GET', '/apis/policy/v1/poddisruptionbudgets');
    expect(all.json.kind).toBe('PodDisruptionBudgetList');
    expect(
      all.json.items.map(
        (b: PodDisruptionBudget) => `${b.metadata?.namespace}/${b.metadata?.name} ${b.status?.expectedPods}`,
      ),
    ).toEqual(['default/x 2', 'default/y 0', 'team/x 0']);
  });

  it('are patched, replaced and applied through the registry; a spec change bumps the generation', async () => {
    const { call } = apiHarness();
    await call('POST', budgets, { body: budget('x', { minAvailable: 1 }) });
    const patched = await call('PATCH', `${budgets}/x`, {
      headers: { 'content-type': 'application/merge-patch+json' },
      body: { spec: { minAvailable: 2 }, metadata: { labels: { team: 't' } } },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json.spec.minAvailable).toBe(2);
    expect(patched.json.metadata).toMatchObject({ generation: 2, labels: { team: 't' } });
    const refused = await call('PATCH', `${budgets}/x`, {
      headers: { 'content-type': 'application/merge-patch+json' },
      body: { spec: { maxUnavailable: 1 } },
    });
    expect(refused.statusCode).toBe(422);
    const applied = await call('PATCH', `${budgets}/y`, {
      headers: { 'content-type': 'application/apply-patch+yaml' },
      query: { fieldManager: 'me' },
      body: budget('y', { maxUnavailable: '25%' }),
    });
    expect(applied.statusCode).toBe(201);
    expect(applied.json.metadata.managedFields[0]).toMatchObject({
      manager: 'me',
      operation: 'Apply',
      apiVersion: 'policy/v1',
    });
    const dryRun = await call('DELETE', `${budgets}/y`, { query: { dryRun: 'All' } });
    expect(dryRun.statusCode).toBe(200);
    expect((await call('GET', `${budgets}/y`)).statusCode).toBe(200);
  });

  it('are deleted one at a time with a Success Status, or as a collection by selector', async () => {
    const { call } = apiHarness();
    await call('POST', budgets, {
      body: { ...budget('x', { minAvailable: 1 }), metadata: { name: 'x', labels: { t: '1' } } },
    });
    await call('POST', budgets, {
      body: { ...budget('y', { minAvailable: 1 }), metadata: { name: 'y', labels: { t: '1' } } },
    });
    await call('POST', budgets, { body: budget('z', { minAvailable: 1 }) });
    const one = await call('DELETE', `${budgets}/z`);
    expect(one.json).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'z', group: 'policy', kind: 'poddisruptionbudgets' },
    });
    const gone = await call('DELETE', `${budgets}/z`);
    expect(gone.statusCode).toBe(404);
    // Named with its group, as kube-apiserver names a resource outside the core group.
    expect(gone.json).toMatchObject({
      message: 'poddisruptionbudgets.policy "z" not found',
      details: { name: 'z', group: 'policy', kind: 'poddisruptionbudgets' },
    });
    expect((await call('GET', `${budgets}/z`)).json.message).toBe(
      'poddisruptionbudgets.policy "z" not found',
    );
    const collection = await call('DELETE', budgets, { query: { labelSelector: 't=1' } });
    expect(collection.json.kind).toBe('PodDisruptionBudgetList');
    expect(collection.json.items.map((b: Pod) => b.metadata?.name)).toEqual(['x', 'y']);
    expect((await call('GET', budgets)).json.items).toEqual([]);
  });

  it('go with their namespace, and none is created in a namespace being deleted', async () => {
    const { call, stores } = apiHarness();
    await call('POST', '/api/v1/namespaces', { body: { metadata: { name: 'team' } } });
    const teamBudgets = '/apis/policy/v1/namespaces/team/poddisruptionbudgets';
    expect((await call('POST', teamBudgets, { body: budget('x', { minAvailable: 1 }) })).statusCode).toBe(
      201,
    );
    stores.pods.seed(readyPod('runs', 'a', 'team'));
    await call('DELETE', '/api/v1/namespaces/team');
    expect(await stores.objects.listObjects('poddisruptionbudgets', 'team')).toEqual([]);
    const refused = await call('POST', teamBudgets, { body: budget('y', { minAvailable: 1 }) });
    expect(refused.statusCode).toBe(403);
    expect(refused.json.message).toBe(
      'poddisruptionbudgets "y" is forbidden: unable to create new content in namespace team because it is being terminated',
    );
  });

  it('are watched, each event a one-row Table for kubectl get pdb -w', async () => {
    const { call, stores } = apiHarness();
    stores.pods.seed(readyPod('a1'));
    stores.pods.seed(readyPod('a2'));
    await call('POST', budgets, { body: budget('x', { minAvailable: 1 }) });
    const watched = await call('GET', budgets, {
      query: { watch: '1', timeoutSeconds: '1' },
      headers: tableAccept,
    });
    const events = watched.body
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'ADDED', object: { kind: 'Table' } });
    expect(events[0].object.rows[0].cells.slice(0, 4)).toEqual(['x', '1', 'N/A', '1']);

    // An informer's watch: the objects, then a bookmark of their kind and group.
    const informer = await call('GET', budgets, {
      query: {
        watch: '1',
        timeoutSeconds: '1',
        sendInitialEvents: 'true',
        resourceVersionMatch: 'NotOlderThan',
        allowWatchBookmarks: 'true',
      },
    });
    const [added, bookmark] = informer.body
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line));
    expect(added.object).toMatchObject({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' });
    expect(bookmark).toMatchObject({
      type: 'BOOKMARK',
      object: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
    });
  });
});

describe('pods/eviction', () => {
  it('is refused with 429 while the budget allows no disruption, then allowed', async () => {
    const { call, stores } = apiHarness();
    stores.pods.seed(readyPod('a1'));
    stores.pods.seed(readyPod('a2'));
    await call('POST', budgets, { body: budget('x', { minAvailable: 2 }) });
    const refused = await evict(call, 'a1');
    expect(refused.statusCode).toBe(429);
    expect(refused.json).toMatchObject({
      reason: 'TooManyRequests',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: {
        causes: [
          {
            reason: 'DisruptionBudget',
            message: 'The disruption budget x needs 2 healthy pods and has 2 currently',
          },
        ],
      },
    });
    expect((await stores.pods.getPod('default', 'a1'))?.pod.metadata?.deletionTimestamp).toBeUndefined();

    await call('PATCH', `${budgets}/x`, {
      headers: { 'content-type': 'application/merge-patch+json' },
      body: { spec: { minAvailable: 1 } },
    });
    const allowed = await evict(call, 'a1', { deleteOptions: { gracePeriodSeconds: 3 } });
    expect(allowed.statusCode).toBe(201);
    expect(allowed.json).toMatchObject({ kind: 'Status', status: 'Success', code: 201 });
    expect((await stores.pods.getPod('default', 'a1'))?.pod.metadata?.deletionGracePeriodSeconds).toBe(3);
    // a1 is going: a2 is the one healthy pod the budget needs.
    const next = await evict(call, 'a2');
    expect(next.statusCode).toBe(429);
    expect(next.json.details.causes[0].message).toBe(
      'The disruption budget x needs 1 healthy pods and has 1 currently',
    );
  });

  it('counts an eviction in disruptedPods, so the next one sees the budget used before the pod goes', async () => {
    const { call, stores } = apiHarness();
    stores.pods.seed(readyPod('a1'));
    stores.pods.seed(readyPod('a2'));
    stores.pods.seed(readyPod('a3'));
    await call('POST', budgets, { body: budget('x', { minAvailable: 2 }) });
    // A dry run checks the budget but records nothing.
    expect((await evict(call, 'a1', { deleteOptions: { dryRun: ['All'] } })).statusCode).toBe(201);
    expect((await call('GET', `${budgets}/x`)).json.status.disruptionsAllowed).toBe(1);
    expect((await evict(call, 'a1')).statusCode).toBe(201);
    const stored = await stores.objects.getObject<PodDisruptionBudget>(
      'poddisruptionbudgets',
      'default',
      'x',
    );
    expect(stored?.status?.disruptedPods).toHaveProperty('a1');
    // Once the pod is being deleted it counts as unhealthy on its own, as the controller counts it.
    expect((await call('GET', `${budgets}/x`)).json.status.disruptionsAllowed).toBe(0);
  });

  it('evicts a pod that is not running without asking its budget, and 404s a missing pod', async () => {
    const { call, stores } = apiHarness();
    stores.pods.seed({ ...readyPod('pending'), spec: { containers: [] }, status: { phase: 'Pending' } });
    await call('POST', budgets, { body: budget('x', { minAvailable: 5 }) });
    expect((await evict(call, 'pending')).statusCode).toBe(201);
    expect(await stores.pods.getPod('default', 'pending')).toBeUndefined();
    expect((await evict(call, 'gone')).statusCode).toBe(404);
  });

  it('answers a pod under two budgets with a Conflict, not a 500', async () => {
    const { call, stores } = apiHarness();
    stores.pods.seed(readyPod('a1'));
    await call('POST', budgets, { body: budget('x', { minAvailable: 0 }) });
    await call('POST', budgets, { body: budget('y', { minAvailable: 0 }) });
    const response = await evict(call, 'a1');
    expect(response.statusCode).toBe(409);
    expect(response.json.message).toBe(
      'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    );
  });

  it('refuses an Eviction naming another pod', async () => {
    const { call, stores } = apiHarness();
    stores.pods.seed(readyPod('a1'));
    const response = await call('POST', '/api/v1/namespaces/default/pods/a1/eviction', {
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'other' } },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json.message).toBe('name in URL does not match name in Eviction object');
  });
});

describe('policy/v1 protobuf bodies, as kubectl sends them', () => {
  /** A length-delimited field (wire type 2) and a varint field (wire type 0). */
  const bytesField = (field: number, value: Buffer | string) => {
    const body = typeof value === 'string' ? Buffer.from(value) : value;
    return Buffer.concat([Buffer.from([(field << 3) | 2, body.length]), body]);
  };
  const varintField = (field: number, value: number) => Buffer.from([field << 3, value]);
  /** The `k8s\0` envelope around a runtime.Unknown of the kind. */
  const envelope = (kind: string, raw: Buffer) =>
    Buffer.concat([
      Buffer.from('k8s\0', 'latin1'),
      bytesField(1, Buffer.concat([bytesField(1, 'policy/v1'), bytesField(2, kind)])),
      bytesField(2, raw),
    ]);
  const protobuf = { 'content-type': 'application/vnd.kubernetes.protobuf' };

  it('creates a budget from kubectl create pdb, and evicts and deletes as kubectl drain does', async () => {
    const { call, stores } = apiHarness();
    stores.pods.seed(readyPod('a1'));
    stores.pods.seed(readyPod('a2'));
    const label = bytesField(1, Buffer.concat([bytesField(1, 'app'), bytesField(2, 'a')]));
    const spec = Buffer.concat([
      bytesField(1, Buffer.concat([varintField(1, 0), varintField(2, 1)])),
      bytesField(2, label),
    ]);
    const pdb = Buffer.concat([bytesField(1, bytesField(1, 'x')), bytesField(2, spec)]);
    const created = await call('POST', budgets, {
      bytes: envelope('PodDisruptionBudget', pdb),
      headers: protobuf,
    });
    expect(created.statusCode).toBe(201);
    expect(created.json.spec).toEqual({ minAvailable: 1, selector: { matchLabels: { app: 'a' } } });

    const options = Buffer.concat([varintField(1, 7), bytesField(5, 'All')]);
    const eviction = Buffer.concat([bytesField(1, bytesField(1, 'a1')), bytesField(2, options)]);
    const dryRun = await call('POST', '/api/v1/namespaces/default/pods/a1/eviction', {
      bytes: envelope('Eviction', eviction),
      headers: protobuf,
    });
    expect(dryRun.statusCode).toBe(201);
    expect((await stores.pods.getPod('default', 'a1'))?.pod.metadata?.deletionTimestamp).toBeUndefined();
    const real = await call('POST', '/api/v1/namespaces/default/pods/a1/eviction', {
      bytes: envelope(
        'Eviction',
        Buffer.concat([bytesField(1, bytesField(1, 'a1')), bytesField(2, varintField(1, 7))]),
      ),
      headers: protobuf,
    });
    expect(real.statusCode).toBe(201);
    expect((await stores.pods.getPod('default', 'a1'))?.pod.metadata?.deletionGracePeriodSeconds).toBe(7);

    const deleted = await call('DELETE', '/api/v1/namespaces/default/pods/a2', {
      bytes: Buffer.concat([
        Buffer.from('k8s\0', 'latin1'),
        bytesField(1, Buffer.concat([bytesField(1, 'v1'), bytesField(2, 'DeleteOptions')])),
        bytesField(2, varintField(1, 4)),
      ]),
      headers: protobuf,
    });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json.metadata.deletionGracePeriodSeconds).toBe(4);
  });
});
