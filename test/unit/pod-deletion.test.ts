import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { syncPod } from '../../functions/core/controllers/kubelet';
import { applyTaskState } from '../../functions/core/controllers/pod-status';
import { reconcile } from '../../functions/core/controllers/reconcile';
import { taskGroup } from '../../functions/core/ecs/task-definition';
import type { TaskView } from '../../functions/core/ecs/types';
import type { Pod } from '../../functions/core/k8s';
import { withPodDefaults } from '../../functions/core/pod/defaults';
import { podStage } from '../../functions/core/pod/stage';
import type { PodRuntime } from '../../functions/core/ports';
import { apiHarness } from './api-harness';
import { fakeTimers } from './fakes';

// Finalizers hold a deleted pod (Terminating, readable and patchable) until the last one is
// removed; its task is stopped as on any deletion. gracePeriodSeconds 0 removes a pod without
// finalizers at once and still stops its task. Propagation policies act on the pods that name
// the deleted one as their owner. DeleteOptions arrive as JSON or as Kubernetes protobuf.

const path = '/api/v1/namespaces/default/pods';
const node = 'node-1';

function setup() {
  const harness = apiHarness();
  const stopped: string[] = [];
  const described: TaskView[] = [];
  const runtime: PodRuntime = {
    launchPod: async () => ({ kind: 'retry', reason: 'not in this test' }),
    stopPod: async (pod, taskArn) => {
      stopped.push(taskArn ?? pod.metadata?.uid ?? '');
      return 1;
    },
    describeTasks: async (arns) => described.filter((task) => arns.includes(task.taskArn)),
    listRunningTasks: async () => [],
    listContainerInstances: async () => [],
  };
  const controllers = {
    pods: harness.stores.pods,
    nodes: harness.stores.nodes,
    events: harness.stores.events,
    runtime,
    timers: fakeTimers(),
    now: () => '2026-03-01T12:00:10Z',
  };
  return { ...harness, stopped, described, controllers };
}

// Defaulted as stored, so that a patch of the metadata changes nothing in the spec.
const running = (name: string, metadata: Pod['metadata'] = {}): Pod => ({
  ...withPodDefaults({ spec: { containers: [{ name: 'app', image: 'nginx' }] } }),
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'default',
    uid: `uid-${name}`,
    creationTimestamp: '2026-03-01T11:00:00Z',
    ...metadata,
  },
  spec: {
    ...withPodDefaults({ spec: { containers: [{ name: 'app', image: 'nginx' }] } }).spec,
    containers:
      withPodDefaults({ spec: { containers: [{ name: 'app', image: 'nginx' }] } }).spec?.containers ?? [],
    nodeName: node,
  },
  status: {
    phase: 'Running',
    containerStatuses: [
      {
        name: 'app',
        image: 'nginx',
        imageID: '',
        ready: true,
        restartCount: 0,
        state: { running: { startedAt: '2026-03-01T11:00:01Z' } },
      },
    ],
  },
});

async function seedRunning(h: ReturnType<typeof setup>, pod: Pod) {
  await h.stores.nodes.putNode(
    { metadata: { name: node } },
    { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30, pods: 110 },
  );
  // Bound as the scheduler binds, so that the node counts what the pod takes there.
  const { nodeName: _unbound, ...spec } = pod.spec ?? { containers: [] };
  const pending = h.stores.pods.seed({ ...pod, spec: { ...spec, containers: spec.containers ?? [] } });
  const info = h.stores.nodes.nodeInfo(node);
  if (!info) throw new Error('no node');
  const requests = { cpuMillis: 100, memoryBytes: 2 ** 20 };
  expect(await h.stores.pods.bindPod(pending, pod, info, requests)).toBe('bound');
  const bound = await h.stores.pods.getPod('default', pod.metadata?.name ?? '');
  if (!bound) throw new Error('not bound');
  return h.stores.pods.updatePod(bound, bound.pod, { taskArn: `task-${pod.metadata?.name}`, taskVersion: 1 });
}

const stoppedTask = (pod: Pod): TaskView => ({
  taskArn: `task-${pod.metadata?.name}`,
  startedBy: pod.metadata?.uid ?? '',
  group: taskGroup(0),
  lastStatus: 'STOPPED',
  desiredStatus: 'STOPPED',
  version: 3,
  stopCode: 'UserInitiated',
  startedAt: '2026-03-01T11:00:01Z',
  stoppedAt: '2026-03-01T12:00:08Z',
  containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode: 0 }],
});

const removeFinalizers = {
  headers: { 'content-type': 'application/json-patch+json' },
  body: [{ op: 'remove', path: '/metadata/finalizers' }],
};

describe('finalizers hold a deleted pod', () => {
  it('keeps a running pod Terminating through its stop, and removes it with its last finalizer', async () => {
    const h = setup();
    const pod = running('web', { finalizers: ['example.com/cleanup'] });
    await seedRunning(h, pod);
    const deleted = await h.call('DELETE', `${path}/web`);
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json.metadata).toMatchObject({ deletionGracePeriodSeconds: 30 });

    // The kubelet stops the task as for any deletion.
    const deleting = await h.stores.pods.getPod('default', 'web');
    if (!deleting) throw new Error('pod gone');
    expect(deleting.stage).toBe('stop');
    await syncPod(deleting, h.controllers);
    expect(h.stopped).toEqual(['task-web']);

    // Its containers end: the pod stays, finished, with no grace left and its node's share back.
    expect(await applyTaskState(stoppedTask(pod), h.controllers)).toBe('finished');
    const held = await h.stores.pods.getPod('default', 'web');
    expect(held).toMatchObject({ stage: 'done', released: true });
    expect(held?.pod.metadata).toMatchObject({
      finalizers: ['example.com/cleanup'],
      deletionGracePeriodSeconds: 0,
      deletionTimestamp: '2026-03-01T12:00:10Z',
    });
    expect(held?.pod.status?.phase).toBe('Succeeded');
    expect(h.stores.nodes.nodeInfo(node)?.requested).toMatchObject({ cpuMillis: 0, pods: 0 });
    // The same STOPPED event again changes nothing.
    expect(await applyTaskState(stoppedTask(pod), h.controllers)).toBe('stale');
    expect((await h.call('GET', `${path}/web`)).json.metadata.finalizers).toEqual(['example.com/cleanup']);

    const patched = await h.call('PATCH', `${path}/web`, removeFinalizers);
    expect(patched.statusCode).toBe(200);
    expect(patched.json.metadata.finalizers).toBeUndefined();
    expect((await h.call('GET', `${path}/web`)).statusCode).toBe(404);
    // Its task had stopped: the tombstone asks the kubelet for nothing.
    expect((await h.stores.pods.listPodsOnNode(node))[0]?.stage).toBe('deleted');
  });

  it('removes a pod whose finalizers go before its task stops once the task stops', async () => {
    const h = setup();
    const pod = running('web', { finalizers: ['example.com/a', 'example.com/b'] });
    await seedRunning(h, pod);
    await h.call('DELETE', `${path}/web`);
    const one = await h.call('PATCH', `${path}/web`, {
      headers: { 'content-type': 'application/merge-patch+json' },
      body: { metadata: { finalizers: ['example.com/b'] } },
    });
    expect(one.json.metadata.finalizers).toEqual(['example.com/b']);
    await h.call('PATCH', `${path}/web`, removeFinalizers);
    // The grace period still runs: the pod waits for its containers, as kube-apiserver's does.
    expect((await h.call('GET', `${path}/web`)).json.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(await applyTaskState(stoppedTask(pod), h.controllers)).toBe('deleted');
    expect((await h.call('GET', `${path}/web`)).statusCode).toBe(404);
  });

  it('holds a pod that never ran, and removes it with the patch that takes its finalizer', async () => {
    const h = setup();
    const created = await h.call('POST', path, {
      body: {
        metadata: { name: 'idle', finalizers: ['example.com/cleanup'] },
        spec: { containers: [{ name: 'app', image: 'nginx' }] },
      },
    });
    expect(created.statusCode).toBe(201);
    const deleted = await h.call('DELETE', `${path}/idle`);
    expect(deleted.json.metadata.deletionGracePeriodSeconds).toBe(0);
    // Nothing runs and no controller has anything to do: neither the scheduler nor the kubelet.
    expect((await h.stores.pods.getPod('default', 'idle'))?.stage).toBe('done');
    const table = await h.call('GET', `${path}/idle`, {
      headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    });
    expect(table.json.rows[0].cells.slice(0, 3)).toEqual(['idle', '0/1', 'Terminating']);
    await h.call('PATCH', `${path}/idle`, removeFinalizers);
    expect((await h.call('GET', `${path}/idle`)).statusCode).toBe(404);
  });

  it('refuses a finalizer added to a pod being deleted, and keeps the pod as it was', async () => {
    const h = setup();
    await seedRunning(h, running('web', { finalizers: ['example.com/a'] }));
    await h.call('DELETE', `${path}/web`);
    const refused = await h.call('PATCH', `${path}/web`, {
      headers: { 'content-type': 'application/merge-patch+json' },
      body: { metadata: { finalizers: ['example.com/a', 'example.com/new', 'example.com/b'] } },
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json.message).toBe(
      'Pod "web" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/b", "example.com/new"}',
    );
    expect((await h.call('GET', `${path}/web`)).json.metadata.finalizers).toEqual(['example.com/a']);
  });

  it('validates finalizer names as kube-apiserver does', async () => {
    const h = setup();
    const create = (finalizers: string[]) =>
      h.call('POST', path, {
        body: {
          metadata: { name: 'web', finalizers },
          spec: { containers: [{ name: 'app', image: 'nginx' }] },
        },
      });
    const unqualified = await create(['cleanup']);
    expect(unqualified.statusCode).toBe(422);
    expect(unqualified.json.details.causes).toEqual([
      {
        field: 'metadata.finalizers[0]',
        reason: 'FieldValueInvalid',
        message:
          'Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified',
      },
    ]);
    const both = await create(['orphan', 'foregroundDeletion']);
    expect(both.json.details.causes[0].message).toBe(
      'Invalid value: []string{"orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set',
    );
    const badName = await create(['example.com/bad name']);
    expect(badName.json.details.causes[0]).toMatchObject({ field: 'metadata.finalizers' });
    expect((await create(['kubernetes', 'example.com/cleanup'])).statusCode).toBe(201);
  });

  it('creates no pod already being deleted: a deletion is only ever requested', async () => {
    const h = setup();
    const created = await h.call('POST', path, {
      body: {
        metadata: {
          name: 'web',
          finalizers: ['example.com/a'],
          deletionTimestamp: '2026-03-01T11:00:00Z',
          deletionGracePeriodSeconds: 0,
        },
        spec: { containers: [{ name: 'app', image: 'nginx' }] },
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json.metadata.deletionTimestamp).toBeUndefined();
    expect(created.json.metadata.deletionGracePeriodSeconds).toBeUndefined();
    const stored = await h.stores.pods.getPod('default', 'web');
    expect(stored && podStage(stored.pod, stored)).toBe('schedule');
  });
});

describe('force deletion', () => {
  it('removes a running pod at once and leaves its task to the kubelet to stop', async () => {
    const h = setup();
    const record = await seedRunning(h, running('web'));
    const deleted = await h.call('DELETE', `${path}/web`, { body: { gracePeriodSeconds: 0 } });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json.metadata.deletionGracePeriodSeconds).toBe(0);
    expect((await h.call('GET', `${path}/web`)).statusCode).toBe(404);
    const [tombstone] = await h.stores.pods.listPodsOnNode(node);
    expect(tombstone).toMatchObject({ stage: 'stop', taskArn: 'task-web' });
    // The tombstone's stream record reaches the kubelet, which stops the task and nothing more.
    const stopRecord = { ...record, pod: deleted.json as Pod, deleted: true, stage: 'stop' };
    expect(podStage(stopRecord.pod, stopRecord)).toBe('stop');
    await syncPod(stopRecord, h.controllers);
    expect(h.stopped).toEqual(['task-web']);
    // Its node's share was given back with the tombstone.
    expect(h.stores.nodes.nodeInfo(node)?.requested).toMatchObject({ cpuMillis: 0, pods: 0 });

    // That stop was lost: reconcile finds the tombstone's task still running and stops it; once
    // the task has stopped, the tombstone asks for nothing more.
    h.stopped.length = 0;
    const task = { ...stoppedTask(record.pod), lastStatus: 'RUNNING', desiredStatus: 'RUNNING' };
    h.described.push(task);
    expect((await reconcile(h.controllers)).pods).toEqual([
      { action: 'repaired', namespace: 'default', name: 'web', uid: 'uid-web' },
    ]);
    expect(h.stopped).toEqual(['task-web']);
    h.described[0] = stoppedTask(record.pod);
    expect((await reconcile(h.controllers)).pods).toEqual([]);
  });

  it('shortens a graceful deletion under way to none', async () => {
    const h = setup();
    await seedRunning(h, running('web'));
    await h.call('DELETE', `${path}/web`);
    await h.call('DELETE', `${path}/web`, { query: { gracePeriodSeconds: '0' } });
    expect((await h.call('GET', `${path}/web`)).statusCode).toBe(404);
  });

  it('holds a pod with finalizers like any deletion, and removes it (task to stop) with them', async () => {
    const h = setup();
    await seedRunning(h, running('web', { finalizers: ['example.com/a'] }));
    const deleted = await h.call('DELETE', `${path}/web`, { body: { gracePeriodSeconds: 0 } });
    expect(deleted.json.metadata).toMatchObject({
      deletionGracePeriodSeconds: 0,
      deletionTimestamp: '2026-03-01T12:00:00Z',
    });
    expect((await h.stores.pods.getPod('default', 'web'))?.stage).toBe('stop');
    await h.call('PATCH', `${path}/web`, removeFinalizers);
    expect((await h.call('GET', `${path}/web`)).statusCode).toBe(404);
    expect((await h.stores.pods.listPodsOnNode(node))[0]).toMatchObject({ stage: 'stop' });
  });
});

describe('propagationPolicy', () => {
  async function family(h: ReturnType<typeof setup>) {
    await seedRunning(h, running('owner'));
    const ownerReferences = [
      { apiVersion: 'v1', kind: 'Pod', name: 'owner', uid: 'uid-owner', blockOwnerDeletion: true },
    ];
    h.stores.pods.seed(running('child', { ownerReferences }));
    h.stores.pods.seed(running('stranger'));
  }

  it('Orphan takes the owner out of its dependents’ ownerReferences', async () => {
    const h = setup();
    await family(h);
    const deleted = await h.call('DELETE', `${path}/owner`, { body: { propagationPolicy: 'Orphan' } });
    expect(deleted.statusCode).toBe(200);
    const child = await h.call('GET', `${path}/child`);
    expect(child.json.metadata.ownerReferences).toBeUndefined();
    expect(child.json.metadata.deletionTimestamp).toBeUndefined();
  });

  it('Foreground deletes the dependents too, and no other pod', async () => {
    const h = setup();
    await family(h);
    await h.call('DELETE', `${path}/owner`, { query: { propagationPolicy: 'Foreground' } });
    expect((await h.call('GET', `${path}/child`)).json.metadata.deletionTimestamp).toBeDefined();
    expect((await h.call('GET', `${path}/stranger`)).json.metadata.deletionTimestamp).toBeUndefined();
  });

  it('Background leaves dependents alone while the owner is still there; an unknown policy is refused and changes nothing', async () => {
    const h = setup();
    await family(h);
    const refused = await h.call('DELETE', `${path}/owner`, { body: { propagationPolicy: 'Sideways' } });
    expect(refused.statusCode).toBe(422);
    expect((await h.call('GET', `${path}/owner`)).json.metadata.deletionTimestamp).toBeUndefined();
    await h.call('DELETE', `${path}/owner`, { body: { propagationPolicy: 'Background' } });
    expect((await h.call('GET', `${path}/child`)).json.metadata.ownerReferences).toHaveLength(1);
  });

  it('answers 202 for a deletion left pending when orphanDependents is false', async () => {
    const h = setup();
    await seedRunning(h, running('web'));
    const deleted = await h.call('DELETE', `${path}/web`, { body: { orphanDependents: false } });
    expect(deleted.statusCode).toBe(202);
  });
});

/** A DeleteOptions in Kubernetes' protobuf envelope, as client-go writes it. */
function protobufDeleteOptions(options: {
  grace?: number;
  uid?: string;
  resourceVersion?: string;
  orphan?: boolean;
  policy?: string;
  dryRun?: string[];
}): Buffer {
  const object = protobuf.Writer.create();
  if (options.grace !== undefined) object.uint32((1 << 3) | 0).int64(options.grace);
  if (options.uid !== undefined || options.resourceVersion !== undefined) {
    const preconditions = protobuf.Writer.create();
    if (options.uid !== undefined) preconditions.uint32((1 << 3) | 2).string(options.uid);
    if (options.resourceVersion !== undefined)
      preconditions.uint32((2 << 3) | 2).string(options.resourceVersion);
    object.uint32((2 << 3) | 2).bytes(preconditions.finish());
  }
  if (options.orphan !== undefined) object.uint32((3 << 3) | 0).bool(options.orphan);
  if (options.policy !== undefined) object.uint32((4 << 3) | 2).string(options.policy);
  for (const value of options.dryRun ?? []) object.uint32((5 << 3) | 2).string(value);
  const typeMeta = protobuf.Writer.create();
  typeMeta.uint32((1 << 3) | 2).string('v1');
  typeMeta.uint32((2 << 3) | 2).string('DeleteOptions');
  const unknown = protobuf.Writer.create();
  unknown.uint32((1 << 3) | 2).bytes(typeMeta.finish());
  unknown.uint32((2 << 3) | 2).bytes(object.finish());
  return Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), unknown.finish()]);
}

describe('DeleteOptions in protobuf', () => {
  const asProtobuf = (bytes: Buffer) => ({
    bytes,
    headers: { 'content-type': 'application/vnd.kubernetes.protobuf' },
  });

  it('reads the grace period kubectl delete --force sends', async () => {
    const h = setup();
    await seedRunning(h, running('web'));
    const deleted = await h.call('DELETE', `${path}/web`, asProtobuf(protobufDeleteOptions({ grace: 0 })));
    expect(deleted.statusCode).toBe(200);
    expect((await h.call('GET', `${path}/web`)).statusCode).toBe(404);
  });

  it('checks preconditions, dry run and the propagation policy as for JSON', async () => {
    const h = setup();
    await seedRunning(h, running('web'));
    const stale = await h.call('DELETE', `${path}/web`, asProtobuf(protobufDeleteOptions({ uid: 'other' })));
    expect(stale.statusCode).toBe(409);
    expect(stale.json.message).toBe(
      'Precondition failed: UID in precondition: other, UID in object meta: uid-web',
    );
    const dry = await h.call(
      'DELETE',
      `${path}/web`,
      asProtobuf(protobufDeleteOptions({ grace: 0, dryRun: ['All'] })),
    );
    expect(dry.statusCode).toBe(200);
    expect((await h.call('GET', `${path}/web`)).statusCode).toBe(200);
    const badPolicy = await h.call(
      'DELETE',
      `${path}/web`,
      asProtobuf(protobufDeleteOptions({ policy: 'Later' })),
    );
    expect(badPolicy.statusCode).toBe(422);
    const both = await h.call(
      'DELETE',
      `${path}/web`,
      asProtobuf(protobufDeleteOptions({ policy: 'Orphan', orphan: true })),
    );
    expect(both.statusCode).toBe(422);
    const graceful = await h.call(
      'DELETE',
      `${path}/web`,
      asProtobuf(protobufDeleteOptions({ grace: 7, uid: 'uid-web', policy: 'Background' })),
    );
    expect(graceful.json.metadata.deletionGracePeriodSeconds).toBe(7);
  });

  it('turns a negative grace period into one second, as apiserver does', async () => {
    const h = setup();
    await seedRunning(h, running('web'));
    const deleted = await h.call('DELETE', `${path}/web`, asProtobuf(protobufDeleteOptions({ grace: -5 })));
    expect(deleted.json.metadata.deletionGracePeriodSeconds).toBe(1);
  });
});
