import { describe, expect, it } from 'vitest';
import { nodeStatusReportSeconds, syncNodes } from '../../functions/core/controllers/node-sync';
import type { Node } from '../../functions/core/k8s';
import type { ContainerInstanceView } from '../../functions/core/nodes/from-container-instance';
import { ConflictError, type PodRuntime } from '../../functions/core/ports';
import { fakeStores } from './fakes';

// Node sync writes a node only when it is new, when what it shows changed, or when its status
// report is due (the kubelet's nodeStatusReportFrequency, five minutes): every write is a write
// unit, and it runs once a minute over every node.

const instance = (overrides: Partial<ContainerInstanceView> = {}): ContainerInstanceView => ({
  containerInstanceArn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/podplane/0123',
  ec2InstanceId: 'i-0000000000000001',
  status: 'ACTIVE',
  agentConnected: true,
  registeredCpuUnits: 4096,
  registeredMemoryMiB: 8192,
  attributes: { 'ecs.availability-zone': 'us-east-1a', 'ecs.instance-type': 'c5.xlarge' },
  ...overrides,
});

function setup() {
  const stores = fakeStores();
  let instances = [instance()];
  const writes: string[] = [];
  const nodes = {
    ...stores.nodes,
    async putNode(...args: Parameters<typeof stores.nodes.putNode>) {
      writes.push(args[0].metadata?.name ?? '');
      return stores.nodes.putNode(...args);
    },
  };
  const runtime = { listContainerInstances: async () => instances } as unknown as PodRuntime;
  let clock = Date.parse('2026-11-30T08:00:00Z');
  const sync = (advanceSeconds = 60) => {
    clock += advanceSeconds * 1000;
    return syncNodes({ runtime, nodes, now: () => new Date(clock).toISOString() });
  };
  const ready = async () =>
    (await stores.nodes.listNodes())[0]?.node.status?.conditions?.find((c) => c.type === 'Ready');
  const node = async () => (await stores.nodes.listNodes())[0]?.node as Node;
  return {
    stores,
    sync,
    writes,
    ready,
    node,
    setInstances: (next: ContainerInstanceView[]) => (instances = next),
  };
}

describe('node sync', () => {
  it('writes a new node, then leaves it alone while nothing about it changes', async () => {
    const { sync, writes } = setup();
    expect(await sync()).toBe(1);
    expect(writes).toEqual(['i-0000000000000001']);
    await sync();
    await sync();
    expect(writes).toHaveLength(1);
  });

  it('writes a node whose instance changed, keeping the time its condition last changed', async () => {
    const { sync, writes, ready, setInstances } = setup();
    await sync();
    const since = (await ready())?.lastTransitionTime;
    setInstances([instance({ status: 'DRAINING' })]);
    await sync();
    expect(writes).toHaveLength(2);
    // Draining cordons the node without making it NotReady: Ready did not transition.
    expect((await ready())?.lastTransitionTime).toBe(since);
    setInstances([instance({ agentConnected: false })]);
    await sync();
    expect(writes).toHaveLength(3);
    expect(await ready()).toMatchObject({ status: 'False' });
    expect((await ready())?.lastTransitionTime).not.toBe(since);
  });

  it('reports an unchanged node every five minutes, so its heartbeat stays recent', async () => {
    const { sync, writes, ready } = setup();
    await sync();
    const first = (await ready())?.lastHeartbeatTime;
    await sync(nodeStatusReportSeconds - 60);
    expect(writes).toHaveLength(1);
    await sync(60);
    expect(writes).toHaveLength(2);
    expect((await ready())?.lastHeartbeatTime).not.toBe(first);
    expect((await ready())?.lastTransitionTime).toBe(first);
  });

  it('keeps what users set (cordon, taints, labels, annotations) and rewrites what ECS owns', async () => {
    const { sync, stores, node, setInstances } = setup();
    await sync();
    const before = await node();
    await stores.nodes.updateNode({
      ...before,
      metadata: {
        ...before.metadata,
        labels: { ...before.metadata?.labels, disk: 'ssd', 'node.kubernetes.io/instance-type': 'forged' },
        annotations: { ...before.metadata?.annotations, note: 'rack 4' },
      },
      spec: {
        ...before.spec,
        unschedulable: true,
        taints: [
          { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
          { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
        ],
      },
    });
    setInstances([
      instance({ attributes: { 'ecs.availability-zone': 'us-east-1b', 'ecs.instance-type': 'c5.xlarge' } }),
    ]);
    await sync();
    const after = await node();
    expect(after.metadata?.labels).toMatchObject({
      disk: 'ssd',
      'node.kubernetes.io/instance-type': 'c5.xlarge',
      'topology.kubernetes.io/zone': 'us-east-1b',
    });
    expect(after.metadata?.annotations).toMatchObject({ note: 'rack 4', 'podplane.dev/capacity': 'ec2' });
    expect(after.spec?.unschedulable).toBe(true);
    expect(after.spec?.taints).toEqual([
      { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
    ]);
  });

  it('merges again when a user writes the node between its read and its write', async () => {
    const { stores, node } = setup();
    let clock = Date.parse('2026-11-30T08:00:00Z');
    const now = () => {
      clock += 60_000;
      return new Date(clock).toISOString();
    };
    const runtimeOf = (view: ContainerInstanceView) =>
      ({ listContainerInstances: async () => [view] }) as unknown as PodRuntime;
    await syncNodes({ runtime: runtimeOf(instance()), nodes: stores.nodes, now });
    let raced = false;
    const nodes = {
      ...stores.nodes,
      // Sync reads the node, then `kubectl label` lands before sync writes.
      async listNodes() {
        const listed = await stores.nodes.listNodes();
        raced = true;
        const current = await node();
        await stores.nodes.updateNode({
          ...current,
          metadata: { ...current.metadata, labels: { ...current.metadata?.labels, disk: 'ssd' } },
        });
        return listed;
      },
    };
    await syncNodes({ runtime: runtimeOf(instance({ agentConnected: false })), nodes, now });
    expect(raced).toBe(true);
    const after = await node();
    expect(after.metadata?.labels?.disk).toBe('ssd');
    expect(after.status?.conditions?.[0]?.status).toBe('False');
  });

  it('writes a node conditioned on the version it read: a stale write is a conflict', async () => {
    const { sync, stores, node } = setup();
    await sync();
    const read = await node();
    await stores.nodes.updateNode({ ...read, metadata: { ...read.metadata, labels: { a: 'b' } } });
    await expect(
      stores.nodes.putNode(read, { cpuMillis: 1, memoryBytes: 1, pods: 1 }, read.metadata?.resourceVersion),
    ).rejects.toBeInstanceOf(ConflictError);
  });
});
