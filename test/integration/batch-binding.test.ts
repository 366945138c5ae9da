import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoEventStore } from '../../functions/adapters/dynamodb/event-store';
import { dynamoNodeStore } from '../../functions/adapters/dynamodb/node-store';
import { dynamoPodStore } from '../../functions/adapters/dynamodb/pod-store';
import { podEvent } from '../../functions/core/events';
import type { Container, Pod } from '../../functions/core/k8s';
import type { Binding, PodRecord } from '../../functions/core/ports';
import { GiB, nodeObject, storedPod } from '../fixtures';
import { useFreshTable } from './support';

/**
 * Issue 13 on DynamoDB Local: bindPods writes many bindings in as few transactions as DynamoDB
 * allows (100 items), each node's counters once per transaction, all of a transaction or none;
 * the waiting set is read strongly consistently; Scheduled events go in batches of 25.
 */
const pods = dynamoPodStore;
const nodes = dynamoNodeStore;

beforeAll(async () => {
  await useFreshTable();
});

async function nodeNamed(name: string) {
  const info = (await nodes.listNodes({ consistent: true })).find((n) => n.node.metadata?.name === name);
  if (!info) throw new Error(`node ${name} not found`);
  return info;
}

async function created(name: string, ports?: Container['ports']): Promise<PodRecord> {
  const pod = storedPod(name, { cpu: '100m', memory: '128Mi' });
  const [app] = pod.spec?.containers ?? [];
  await pods.createPod(
    ports ? { ...pod, spec: { ...pod.spec, containers: [{ ...app, name: 'app', ports }] } } : pod,
  );
  const record = await pods.getPod('default', name, true);
  if (!record) throw new Error('missing');
  return record;
}

const onNode = (pod: Pod, nodeName: string): Pod => ({
  ...pod,
  spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName },
});

const bindingOf = async (record: PodRecord, nodeName: string, hostPorts?: string[]): Promise<Binding> => ({
  record,
  bound: onNode(record.pod, nodeName),
  node: await nodeNamed(nodeName),
  requests: { cpuMillis: 100, memoryBytes: 128 * 2 ** 20, ...(hostPorts ? { hostPorts } : {}) },
});

describe('bindPods on DynamoDB Local', () => {
  it('binds 150 pods onto three nodes, more than one transaction holds, and counts each once', async () => {
    for (const name of ['big-a', 'big-b', 'big-c'])
      await nodes.putNode(nodeObject(name), { cpuMillis: 64_000, memoryBytes: 64 * GiB, pods: 200 });
    const records = await Promise.all(Array.from({ length: 150 }, (_, i) => created(`many-${i}`)));
    // 120 on one node: more than one transaction can hold with the node's item.
    const bindings = await Promise.all(
      records.map((r, i) => bindingOf(r, i < 120 ? 'big-a' : i < 135 ? 'big-b' : 'big-c')),
    );
    expect(await pods.bindPods(bindings)).toEqual(bindings.map(() => 'bound'));
    expect((await nodeNamed('big-a')).requested).toEqual({
      cpuMillis: 12_000,
      memoryBytes: 120 * 128 * 2 ** 20,
      pods: 120,
    });
    expect((await nodeNamed('big-b')).requested.pods).toBe(15);
    expect((await nodeNamed('big-c')).requested.pods).toBe(15);
    const bound = await Promise.all(
      records.map((r) => pods.getPod('default', r.pod.metadata?.name ?? '', true)),
    );
    expect(bound.every((r) => r?.pod.spec?.nodeName && r.boundRequests?.cpuMillis === 100)).toBe(true);
  });

  it('writes nothing of a transaction in which one pod changed, and says which', async () => {
    await nodes.putNode(nodeObject('all-or-none'), { cpuMillis: 4000, memoryBytes: 8 * GiB, pods: 110 });
    const [a, b, c] = await Promise.all(['aon-a', 'aon-b', 'aon-c'].map((n) => created(n)));
    if (!a || !b || !c) throw new Error('missing');
    await pods.updatePod(b, { ...b.pod, metadata: { ...b.pod.metadata, labels: { moved: 'yes' } } });
    const outcomes = await pods.bindPods(
      await Promise.all([a, b, c].map((r) => bindingOf(r, 'all-or-none'))),
    );
    expect(outcomes).toEqual(['cancelled', 'pod-changed', 'cancelled']);
    expect((await nodeNamed('all-or-none')).requested.pods).toBe(0);
    expect((await pods.getPod('default', 'aon-a', true))?.pod.spec?.nodeName).toBeUndefined();
  });

  it('refuses a node whose room the sum of its pods would pass', async () => {
    await nodes.putNode(nodeObject('small'), { cpuMillis: 250, memoryBytes: 8 * GiB, pods: 110 });
    await nodes.putNode(nodeObject('roomy'), { cpuMillis: 4000, memoryBytes: 8 * GiB, pods: 110 });
    const records = await Promise.all(['sum-1', 'sum-2', 'sum-3', 'sum-4'].map((n) => created(n)));
    const bindings = await Promise.all(records.map((r, i) => bindingOf(r, i < 3 ? 'small' : 'roomy')));
    // 3 × 100m on 250m: each alone would fit, together they do not.
    expect(await pods.bindPods(bindings)).toEqual(['node-full', 'node-full', 'node-full', 'cancelled']);
    expect((await pods.bindPods(bindings.slice(0, 2))).every((o) => o === 'bound')).toBe(true);
    expect((await nodeNamed('small')).requested.cpuMillis).toBe(200);
  });

  it('never lets two pods of one call take the same host port on a node', async () => {
    await nodes.putNode(nodeObject('ports'), { cpuMillis: 4000, memoryBytes: 8 * GiB, pods: 110 });
    const port = [{ containerPort: 80, hostPort: 8080 }];
    const records = await Promise.all(['port-1', 'port-2'].map((n) => created(n, port)));
    const outcomes = await pods.bindPods(
      await Promise.all(records.map((r) => bindingOf(r, 'ports', ['TCP/8080']))),
    );
    expect([...outcomes].sort()).toEqual(['bound', 'node-full']);
    expect((await nodeNamed('ports')).usedHostPorts).toEqual(['TCP/8080']);
  });
});

describe('the waiting set on DynamoDB Local', () => {
  const unschedulable = (pod: Pod): Pod => ({
    ...pod,
    status: {
      ...pod.status,
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'no room' }],
    },
  });
  const names = async () => (await pods.listUnschedulable(100)).map((r) => r.pod.metadata?.name).sort();

  it('lists a pod as soon as it is marked, longest waiting first, and not once it is requeued or deleted', async () => {
    const first = await created('wait-1');
    const second = await created('wait-2');
    const marked = await pods.updatePod(first, unschedulable(first.pod));
    expect(marked.stage).toBe('unschedulable');
    await pods.updatePod(second, unschedulable(second.pod));
    expect((await pods.listUnschedulable(100)).map((r) => r.pod.metadata?.name)).toEqual([
      'wait-1',
      'wait-2',
    ]);
    expect((await pods.listUnschedulable(1)).map((r) => r.pod.metadata?.name)).toEqual(['wait-1']);

    // A label edited while it waits: still waiting, still first in line.
    const edited = await pods.updatePod(marked, {
      ...marked.pod,
      metadata: { ...marked.pod.metadata, labels: { edited: 'yes' } },
    });
    expect((await pods.listUnschedulable(100)).map((r) => r.pod.metadata?.name)).toEqual([
      'wait-1',
      'wait-2',
    ]);

    await pods.requeuePod(edited);
    expect(await names()).toEqual(['wait-2']);
    const waiting = await pods.getPod('default', 'wait-2', true);
    if (!waiting) throw new Error('missing');
    await pods.deletePod(waiting);
    expect(await names()).toEqual([]);
  });

  it('grows the move-request cycle with every request, read strongly consistently', async () => {
    const before = await pods.moveCycle();
    await Promise.all([pods.requestMove(), pods.requestMove(), pods.requestMove()]);
    expect(await pods.moveCycle()).toBe(before + 3);
  });
});

describe('recordMany on DynamoDB Local', () => {
  it('writes 60 events in batches of 25, and one occurrence twice only once', async () => {
    const pod = storedPod('noisy');
    const events = Array.from({ length: 60 }, (_, i) =>
      podEvent(
        pod,
        { type: 'Normal', reason: 'Scheduled', message: `m${i}`, component: 'default-scheduler' },
        new Date(),
      ),
    );
    await dynamoEventStore.recordMany([...events, events[0] as (typeof events)[number]]);
    const stored = (await dynamoEventStore.listEvents('default')).filter(
      (e) => e.involvedObject.name === 'noisy',
    );
    expect(stored).toHaveLength(60);
  });
});
