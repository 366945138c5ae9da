import { describe, expect, it } from 'vitest';
import type { Node } from '../../functions/core/k8s';
import { nodeFromContainerInstance } from '../../functions/core/nodes/from-container-instance';
import { storedPod } from '../fixtures';
import { apiHarness, now } from './api-harness';

// PATCH and PUT on nodes: users own spec.unschedulable, spec.taints, labels and annotations; ECS
// owns the status, providerID and what podplane derives from the container instance.

const nodeName = 'i-0000000000000001';
const path = `/api/v1/nodes/${nodeName}`;

async function withNode() {
  const api = apiHarness();
  const node = nodeFromContainerInstance(
    {
      containerInstanceArn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/podplane/0123',
      ec2InstanceId: nodeName,
      status: 'ACTIVE',
      agentConnected: true,
      registeredCpuUnits: 4096,
      registeredMemoryMiB: 8192,
      attributes: { 'ecs.availability-zone': 'us-east-1a', 'ecs.instance-type': 'c5.xlarge' },
    },
    now.toISOString(),
  );
  await api.stores.nodes.putNode(node, { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30, pods: 110 });
  return api;
}

const strategic = { 'content-type': 'application/strategic-merge-patch+json' };
const merge = { 'content-type': 'application/merge-patch+json' };

describe('node updates', () => {
  it('cordons with spec.unschedulable, adding the unschedulable taint, and uncordons', async () => {
    const { call } = await withNode();
    const cordoned = await call('PATCH', path, {
      headers: strategic,
      body: { spec: { unschedulable: true } },
    });
    expect(cordoned.statusCode).toBe(200);
    expect(cordoned.json.spec.unschedulable).toBe(true);
    expect(cordoned.json.spec.taints).toEqual([
      { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: '2026-03-01T12:00:00Z' },
    ]);
    const table = await call('GET', path, {
      headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    });
    expect(table.json.rows[0].cells[1]).toBe('Ready,SchedulingDisabled');
    const uncordoned = await call('PATCH', path, {
      headers: strategic,
      body: { spec: { unschedulable: null } },
    });
    expect(uncordoned.json.spec.unschedulable).toBeUndefined();
    expect(uncordoned.json.spec.taints).toBeUndefined();
  });

  it('lists cordoned nodes by field selector, as kubectl get nodes --field-selector does', async () => {
    const { call } = await withNode();
    const selected = (selector: string) =>
      call('GET', '/api/v1/nodes', { query: { fieldSelector: selector } }).then((r) =>
        r.json.items.map((n: Node) => n.metadata?.name),
      );
    expect(await selected('spec.unschedulable=true')).toEqual([]);
    await call('PATCH', path, { headers: strategic, body: { spec: { unschedulable: true } } });
    expect(await selected('spec.unschedulable=true')).toEqual([nodeName]);
    expect(await selected(`metadata.name=${nodeName}`)).toEqual([nodeName]);
    const refused = await call('GET', '/api/v1/nodes', { query: { fieldSelector: 'status.phase=Ready' } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json.message).toBe('field label not supported: status.phase');
    const missing = await call('GET', '/api/v1/nodes/i-missing');
    expect(missing.json).toMatchObject({ code: 404, message: 'nodes "i-missing" not found' });
  });

  it('keeps the unschedulable taint while the node is cordoned, even when a patch drops it', async () => {
    const { call } = await withNode();
    await call('PATCH', path, { headers: strategic, body: { spec: { unschedulable: true } } });
    const patched = await call('PATCH', path, { headers: merge, body: { spec: { taints: null } } });
    expect(patched.json.spec.taints).toMatchObject([{ key: 'node.kubernetes.io/unschedulable' }]);
  });

  it('labels and annotates a node, and the label is what selectors see', async () => {
    const { call } = await withNode();
    const labelled = await call('PATCH', path, {
      headers: merge,
      body: { metadata: { labels: { disk: 'ssd' }, annotations: { note: 'rack 4' } } },
    });
    expect(labelled.statusCode).toBe(200);
    expect(labelled.json.metadata.labels).toMatchObject({ disk: 'ssd', 'kubernetes.io/hostname': nodeName });
    const listed = await call('GET', '/api/v1/nodes', { query: { labelSelector: 'disk=ssd' } });
    expect(listed.json.items.map((n: Node) => n.metadata?.name)).toEqual([nodeName]);
  });

  it('adds taints, stamping NoExecute ones with the time they were added', async () => {
    const { call } = await withNode();
    const tainted = await call('PATCH', path, {
      headers: strategic,
      body: {
        spec: {
          taints: [
            { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
            { key: 'maintenance', effect: 'NoExecute' },
          ],
        },
      },
    });
    expect(tainted.statusCode).toBe(200);
    expect(tainted.json.spec.taints).toEqual([
      { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
      { key: 'maintenance', effect: 'NoExecute', timeAdded: '2026-03-01T12:00:00Z' },
    ]);
  });

  it('refuses invalid taints as kube-apiserver words it, under metadata.taints', async () => {
    const { call, stores } = await withNode();
    const before = await stores.nodes.getNode(nodeName);
    const refused = await call('PATCH', path, {
      headers: merge,
      body: {
        spec: {
          taints: [
            { key: 'bad key', value: 'v', effect: 'NoSchedule' },
            { key: 'k', value: 'v', effect: 'Sometimes' },
            { key: 'k', value: 'x', effect: 'NoExecute' },
            { key: 'k', value: 'y', effect: 'NoExecute' },
            { key: 'e' },
          ],
        },
      },
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json.details.causes.map((c: { field: string }) => c.field)).toEqual([
      'metadata.taints[0].key',
      'metadata.taints[1].effect',
      'metadata.taints[3]',
      'metadata.taints[4].effect',
    ]);
    expect(refused.json.details.causes[1].message).toBe(
      'Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    );
    expect(refused.json.details.causes[2].message).toBe(
      'Duplicate value: core.Taint{Key:"k", Value:"y", Effect:"NoExecute", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair',
    );
    expect(await stores.nodes.getNode(nodeName)).toEqual(before);
  });

  it('refuses invalid labels', async () => {
    const { call } = await withNode();
    const refused = await call('PATCH', path, {
      headers: merge,
      body: { metadata: { labels: { disk: 'a b' } } },
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json.details.causes[0]).toMatchObject({
      field: 'metadata.labels',
      reason: 'FieldValueInvalid',
    });
  });

  it('refuses changes to what ECS owns: instance labels, podplane annotations, providerID', async () => {
    const { call } = await withNode();
    const refused = await call('PATCH', path, {
      headers: merge,
      body: {
        metadata: {
          labels: { 'node.kubernetes.io/instance-type': 'm5.large' },
          annotations: { 'podplane.dev/capacity': null },
        },
        spec: { providerID: 'aws:///elsewhere' },
      },
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json.details.causes.map((c: { field: string }) => c.field)).toEqual([
      'spec.providerID',
      'metadata.labels[node.kubernetes.io/instance-type]',
      'metadata.annotations[podplane.dev/capacity]',
    ]);
    expect(refused.json.details.causes[0].message).toBe(
      'Forbidden: node updates may not change providerID except from "" to valid',
    );
  });

  it('ignores the status on an update of the node, as the node strategy does', async () => {
    const { call } = await withNode();
    const read = (await call('GET', path)).json as Node;
    const put = await call('PUT', path, {
      body: {
        ...read,
        metadata: { ...read.metadata, labels: { ...read.metadata?.labels, a: 'b' } },
        status: {},
      },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json.metadata.labels.a).toBe('b');
    expect(put.json.status).toEqual(read.status);
  });

  it('answers 409 to a PUT from a resourceVersion that is not the current one', async () => {
    const { call } = await withNode();
    const read = (await call('GET', path)).json as Node;
    await call('PATCH', path, { headers: merge, body: { metadata: { labels: { a: 'b' } } } });
    const put = await call('PUT', path, { body: read });
    expect(put.statusCode).toBe(409);
  });

  it('changes nothing on a dry run', async () => {
    const { call, stores } = await withNode();
    const before = await stores.nodes.getNode(nodeName);
    const dry = await call('PATCH', path, {
      headers: strategic,
      query: { dryRun: 'All' },
      body: { spec: { unschedulable: true } },
    });
    expect(dry.statusCode).toBe(200);
    expect(dry.json.spec.unschedulable).toBe(true);
    expect(await stores.nodes.getNode(nodeName)).toEqual(before);
  });

  it('applies server-side, and answers 404 for a node that does not exist', async () => {
    const { call } = await withNode();
    const applied = await call('PATCH', path, {
      headers: { 'content-type': 'application/apply-patch+yaml' },
      query: { fieldManager: 'ops' },
      body: { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName, labels: { team: 'a' } } },
    });
    expect(applied.statusCode).toBe(200);
    expect(applied.json.metadata.labels.team).toBe('a');
    expect(applied.json.metadata.managedFields.map((m: { manager: string }) => m.manager)).toContain('ops');
    const missing = await call('PATCH', '/api/v1/nodes/nowhere', { headers: merge, body: { metadata: {} } });
    expect(missing.statusCode).toBe(404);
  });

  it('hands waiting pods back to the scheduler when an update may let them fit, but not on a dry run', async () => {
    const { call, stores } = await withNode();
    stores.pods.seed(storedPod('waiting'), { stage: 'unschedulable' });
    const stage = async () => (await stores.pods.getPod('default', 'waiting', true))?.stage;
    await call('PATCH', path, { headers: strategic, body: { spec: { unschedulable: true } } });
    expect(await stage()).toBe('unschedulable');
    await call('PATCH', path, {
      headers: strategic,
      query: { dryRun: 'All' },
      body: { spec: { unschedulable: null } },
    });
    expect(await stage()).toBe('unschedulable');
    await call('PATCH', path, { headers: strategic, body: { spec: { unschedulable: null } } });
    expect(await stage()).toBe('schedule');
  });
});
