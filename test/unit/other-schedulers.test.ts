import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { createScheduler } from '../../functions/core/controllers/scheduler';
import type { Pod } from '../../functions/core/k8s';
import { kubeletAdmission } from '../../functions/core/pod/kubelet-admission';
import { defaultProfile } from '../../functions/core/scheduler/profile';
import { schedulerNamesFrom } from '../../functions/core/scheduler/scheduler-names';
import { functionDefinitions, schedulerFilters, streamFiltersOf } from '../../functions/wiring';
import { matchesPattern, type Pattern } from '../../local/event-pattern';
import { GiB, nodeObject, storedPod } from '../fixtures';
import { apiHarness } from './api-harness';
import { fakeStores } from './fakes';
import { node } from './scheduler-nodes';

// Issue 24: podplane's scheduler binds only the pods that ask for a name it answers to; any other
// scheduler binds through pods/binding, and the node's capacity decides as the kubelet's admission.

const now = () => '2026-03-01T12:00:00Z';
const forScheduler = (pod: Pod, schedulerName: string): Pod => ({
  ...pod,
  spec: { ...pod.spec, containers: pod.spec?.containers ?? [], schedulerName },
});

async function oneNode(cpu = 4000) {
  const stores = fakeStores();
  await stores.nodes.putNode(nodeObject('node-1'), { cpuMillis: cpu, memoryBytes: 8 * GiB, pods: 110 });
  return stores;
}

describe('which pods podplane schedules', () => {
  it('leaves a pod for another scheduler Pending, unbound, without an Unschedulable condition', async () => {
    const stores = await oneNode();
    const record = stores.pods.seed(forScheduler(storedPod('mine'), 'my-scheduler'));
    const scheduler = createScheduler({ ...stores, profile: defaultProfile, now });
    expect(await scheduler.scheduleBatch([record])).toEqual([{ status: 'fulfilled', value: undefined }]);
    const after = await stores.pods.getPod('default', 'mine');
    expect(after?.pod.spec?.nodeName).toBeUndefined();
    expect(after?.pod.status?.phase).toBe('Pending');
    expect(after?.pod.status?.conditions ?? []).toEqual([]);
    expect(stores.nodes.nodeInfo('node-1')?.requested.pods).toBe(0);
  });

  it('binds pods for default-scheduler and for the configured profile names', async () => {
    const stores = await oneNode();
    const defaulted = stores.pods.seed(storedPod('plain'));
    const profiled = stores.pods.seed(forScheduler(storedPod('profiled'), 'batch-scheduler'));
    const scheduler = createScheduler({
      ...stores,
      profile: defaultProfile,
      now,
      schedulerNames: schedulerNamesFrom(' batch-scheduler, '),
    });
    await scheduler.scheduleBatch([defaulted, profiled]);
    expect((await stores.pods.getPod('default', 'plain'))?.pod.spec?.nodeName).toBe('node-1');
    expect((await stores.pods.getPod('default', 'profiled'))?.pod.spec?.nodeName).toBe('node-1');
    const events = await stores.events.listEvents('default');
    expect(events.find((e) => e.involvedObject.name === 'profiled')?.source?.component).toBe(
      'batch-scheduler',
    );
  });

  it('parses the configured names: default-scheduler always, no blanks, no repeats', () => {
    expect(schedulerNamesFrom(undefined)).toEqual(['default-scheduler']);
    expect(schedulerNamesFrom('a, b,,a,default-scheduler')).toEqual(['default-scheduler', 'a', 'b']);
  });

  it("drops other schedulers' pods in the stream filter, before any invocation", () => {
    const record = (schedulerName: string, stage = 'schedule') => ({
      eventName: 'MODIFY',
      dynamodb: { NewImage: { stage: { S: stage }, schedulerName: { S: schedulerName } } },
    });
    const passes = (filters: readonly unknown[], r: object) =>
      filters.some((f) => matchesPattern(r, f as Pattern));
    const configured = functionDefinitions.scheduler.trigger.filters;
    expect(passes(configured, record('default-scheduler'))).toBe(true);
    expect(passes(configured, record('my-scheduler'))).toBe(false);
    expect(passes(configured, record('default-scheduler', 'launch'))).toBe(false);
    const withProfile = streamFiltersOf('scheduler', functionDefinitions.scheduler.trigger, ['my-scheduler']);
    expect(passes(withProfile, record('my-scheduler'))).toBe(true);
    expect(passes(withProfile, record('default-scheduler'))).toBe(true);
    expect(withProfile).toEqual(schedulerFilters(['my-scheduler']));
    // Only the scheduler's filters depend on the names.
    const kubelet = functionDefinitions.kubelet.trigger;
    expect(streamFiltersOf('kubelet', kubelet, ['my-scheduler'])).toBe(kubelet.filters);
  });
});

describe('POST pods/{name}/binding', () => {
  async function withPendingPod(cpu = '1') {
    const harness = apiHarness();
    await harness.stores.nodes.putNode(nodeObject('node-1'), {
      cpuMillis: 4000,
      memoryBytes: 8 * GiB,
      pods: 110,
    });
    const created = await harness.call('POST', '/api/v1/namespaces/default/pods', {
      body: {
        metadata: { name: 'web', annotations: { kept: 'yes' } },
        spec: {
          schedulerName: 'my-scheduler',
          containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu, memory: '128Mi' } } }],
        },
      },
    });
    expect(created.statusCode).toBe(201);
    return harness;
  }
  const binding = (target: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'web' }) => ({
    apiVersion: 'v1',
    kind: 'Binding',
    metadata,
    target,
  });

  it('binds once: nodeName, PodScheduled, annotations, the node charged; 201 Success', async () => {
    const { call, stores } = await withPendingPod();
    const response = await call('POST', '/api/v1/namespaces/default/pods/web/binding', {
      body: binding(
        { kind: 'Node', name: 'node-1' },
        { name: 'web', annotations: { 'by/scheduler': 'mine' } },
      ),
    });
    expect(response.statusCode).toBe(201);
    expect(response.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      code: 201,
    });
    const record = await stores.pods.getPod('default', 'web');
    expect(record?.pod.spec?.nodeName).toBe('node-1');
    expect(record?.pod.metadata?.annotations).toEqual({ kept: 'yes', 'by/scheduler': 'mine' });
    expect(record?.pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    // The scheduler's own binding write: the kubelet's stage next, the node's counters taken.
    expect(record?.stage).toBe('launch');
    expect(stores.nodes.nodeInfo('node-1')?.requested).toMatchObject({ cpuMillis: 1000, pods: 1 });

    const again = await call('POST', '/api/v1/namespaces/default/pods/web/binding', {
      body: binding({ kind: 'Node', name: 'node-1' }),
    });
    expect(again.statusCode).toBe(409);
    expect(again.json).toMatchObject({
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled on pods "web": pod web is already assigned to node "node-1"',
    });
    expect(stores.nodes.nodeInfo('node-1')?.requested.pods).toBe(1);
  });

  it('serves the older POST bindings form, naming the pod in the Binding', async () => {
    const { call, stores } = await withPendingPod();
    const response = await call('POST', '/api/v1/namespaces/default/bindings', {
      body: binding({ name: 'node-1' }),
    });
    expect(response.statusCode).toBe(201);
    expect((await stores.pods.getPod('default', 'web'))?.pod.spec?.nodeName).toBe('node-1');
  });

  it('answers 404 for a pod that is gone, and changes nothing on a dry run', async () => {
    const { call, stores } = await withPendingPod();
    const missing = await call('POST', '/api/v1/namespaces/default/pods/gone/binding', {
      body: binding({ kind: 'Node', name: 'node-1' }, { name: 'gone' }),
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json).toMatchObject({ reason: 'NotFound', message: 'pods "gone" not found' });
    const before = await stores.pods.getPod('default', 'web');
    const dry = await call('POST', '/api/v1/namespaces/default/pods/web/binding', {
      query: { dryRun: 'All' },
      body: binding({ kind: 'Node', name: 'node-1' }),
    });
    expect(dry.statusCode).toBe(201);
    expect(await stores.pods.getPod('default', 'web')).toEqual(before);
    expect(stores.nodes.nodeInfo('node-1')?.requested.pods).toBe(0);
  });

  it('refuses a bad Binding as kube-apiserver does, changing nothing', async () => {
    const { call, stores } = await withPendingPod();
    const wrongKind = await call('POST', '/api/v1/namespaces/default/pods/web/binding', {
      body: binding({ kind: 'Pod', name: '' }),
    });
    expect(wrongKind.statusCode).toBe(422);
    expect(wrongKind.json.message).toBe(
      'Binding "web" is invalid: [target.kind: Unsupported value: "Pod": supported values: "Node", target.name: Required value]',
    );
    const otherName = await call('POST', '/api/v1/namespaces/default/pods/web/binding', {
      body: binding({ name: 'node-1' }, { name: 'other' }),
    });
    expect(otherName.statusCode).toBe(400);
    expect(otherName.json.message).toBe('name in URL does not match name in Binding object');
    const uid = await call('POST', '/api/v1/namespaces/default/pods/web/binding', {
      body: binding({ name: 'node-1' }, { name: 'web', uid: 'not-its-uid' }),
    });
    expect(uid.statusCode).toBe(409);
    expect((await stores.pods.getPod('default', 'web'))?.pod.spec?.nodeName).toBeUndefined();
  });

  it('fails the pod as kubelet admission does when the node cannot hold it, never overcommitting', async () => {
    const { call, stores } = await withPendingPod('1');
    expect(
      (
        await call('POST', '/api/v1/namespaces/default/pods/web/binding', {
          body: binding({ name: 'node-1' }),
        })
      ).statusCode,
    ).toBe(201);
    await call('POST', '/api/v1/namespaces/default/pods', {
      body: {
        metadata: { name: 'big' },
        spec: {
          schedulerName: 'my-scheduler',
          containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '3500m' } } }],
        },
      },
    });
    const response = await call('POST', '/api/v1/namespaces/default/pods/big/binding', {
      body: binding({ name: 'node-1' }, { name: 'big' }),
    });
    expect(response.statusCode).toBe(201);
    const big = (await stores.pods.getPod('default', 'big'))?.pod;
    expect(big?.spec?.nodeName).toBe('node-1');
    expect(big?.status).toMatchObject({
      phase: 'Failed',
      reason: 'OutOfcpu',
      message:
        "Pod was rejected: Node didn't have enough resource: cpu, requested: 3500, used: 1000, capacity: 4000",
    });
    expect(stores.nodes.nodeInfo('node-1')?.requested).toMatchObject({ cpuMillis: 1000, pods: 1 });
    const events = await stores.events.listEvents('default');
    expect(events.find((e) => e.reason === 'OutOfcpu')?.source?.component).toBe('kubelet');
  });
});

/** A protobuf message of string and message fields, by number (what client-go writes). */
function encoded(fields: [number, string | Uint8Array][]): Uint8Array {
  const writer = protobuf.Writer.create();
  for (const [field, value] of fields) {
    writer.uint32((field << 3) | 2);
    if (typeof value === 'string') writer.string(value);
    else writer.bytes(value);
  }
  return writer.finish();
}

describe('a Binding sent as protobuf (client-go Bind)', () => {
  it('is read as its JSON twin: the same binding, the uid precondition held', async () => {
    const harness = apiHarness();
    await harness.stores.nodes.putNode(nodeObject('node-1'), {
      cpuMillis: 4000,
      memoryBytes: 8 * GiB,
      pods: 110,
    });
    const created = await harness.call('POST', '/api/v1/namespaces/default/pods', {
      body: {
        metadata: { name: 'web' },
        spec: { schedulerName: 'my-scheduler', containers: [{ name: 'a', image: 'nginx' }] },
      },
    });
    const body = (uid: string) => {
      const binding = encoded([
        [
          1,
          encoded([
            [1, 'web'],
            [3, 'default'],
            [5, uid],
          ]),
        ],
        [
          2,
          encoded([
            [1, 'Node'],
            [3, 'node-1'],
          ]),
        ],
      ]);
      const unknown = encoded([
        [
          1,
          encoded([
            [1, 'v1'],
            [2, 'Binding'],
          ]),
        ],
        [2, binding],
      ]);
      return Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), unknown]);
    };
    const headers = { 'content-type': 'application/vnd.kubernetes.protobuf' };
    const path = '/api/v1/namespaces/default/pods/web/binding';
    const stale = await harness.call('POST', path, { headers, bytes: body('another-uid') });
    expect(stale.statusCode).toBe(409);
    expect(stale.json.message).toContain('Precondition failed: UID in precondition: another-uid');
    const bound = await harness.call('POST', path, { headers, bytes: body(created.json.metadata.uid) });
    expect(bound.statusCode).toBe(201);
    expect((await harness.stores.pods.getPod('default', 'web'))?.pod.spec?.nodeName).toBe('node-1');
  });
});

describe('kubeletAdmission', () => {
  const full = node({
    name: 'n',
    cpu: 4000,
    memory: 8 * GiB,
    usedCpu: 1000,
    usedMemory: 7 * GiB,
    usedPods: 3,
  });
  it('checks pods, then cpu, then memory, in the kubelet words', () => {
    expect(kubeletAdmission({ cpuMillis: 3000, memoryBytes: 0 }, full)).toBeUndefined();
    expect(kubeletAdmission({ cpuMillis: 3001, memoryBytes: 2 * GiB }, full)).toEqual({
      reason: 'OutOfcpu',
      message:
        "Pod was rejected: Node didn't have enough resource: cpu, requested: 3001, used: 1000, capacity: 4000",
    });
    expect(kubeletAdmission({ cpuMillis: 100, memoryBytes: 2 * GiB }, full)?.reason).toBe('OutOfmemory');
    const crowded = { ...full, allocatable: { ...full.allocatable, pods: 3 } };
    expect(kubeletAdmission({ cpuMillis: 100, memoryBytes: 0 }, crowded)).toEqual({
      reason: 'OutOfpods',
      message: "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 3, capacity: 3",
    });
  });
});
