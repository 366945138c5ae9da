import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoEventStore } from '../../functions/adapters/dynamodb/event-store';
import { dynamoNodeStore } from '../../functions/adapters/dynamodb/node-store';
import { dynamoPodStore } from '../../functions/adapters/dynamodb/pod-store';
import { RetryLater } from '../../functions/core/controllers/retry';
import { createScheduler } from '../../functions/core/controllers/scheduler';
import type { Container, Pod } from '../../functions/core/k8s';
import type { PodRequests } from '../../functions/core/pod/requests';
import type { BindOutcome, PodRecord } from '../../functions/core/ports';
import { defaultProfile } from '../../functions/core/scheduler/profile';
import { GiB, nodeObject, storedPod } from '../fixtures';
import { useFreshTable } from './support';

/**
 * Host ports in bridge networking on DynamoDB Local: binding adds the pod's ports to the node's
 * usedPorts set only if none is there, in the same transaction as the cpu and memory counters, so
 * two pods asking for one port never share a node whatever the concurrency; finishing, deleting
 * or unbinding the pod takes them out again.
 */
const pods = dynamoPodStore;
const nodes = dynamoNodeStore;

beforeAll(async () => {
  await useFreshTable();
});

async function nodeNamed(name: string) {
  const info = (await nodes.listNodes()).find((n) => n.node.metadata?.name === name);
  if (!info) throw new Error(`node ${name} not found`);
  return info;
}

/** A stored pod whose container publishes these ports. */
async function createPodWithPorts(name: string, ports: Container['ports']): Promise<PodRecord> {
  const pod = storedPod(name, { cpu: '100m', memory: '128Mi' });
  const [app] = pod.spec?.containers ?? [];
  await pods.createPod({ ...pod, spec: { ...pod.spec, containers: [{ ...app, name: 'app', ports }] } });
  const record = await pods.getPod('default', name, true);
  if (!record) throw new Error('missing');
  return record;
}

const onNode = (pod: Pod, nodeName: string): Pod => ({
  ...pod,
  spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName },
});

/** bindPod against a fresh read of the node; a transaction conflict (not a refusal) is tried again. */
async function bind(name: string, nodeName: string, requests: PodRequests): Promise<BindOutcome> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const record = await pods.getPod('default', name, true);
    if (!record) throw new Error('missing');
    const outcome = await pods.bindPod(
      record,
      onNode(record.pod, nodeName),
      await nodeNamed(nodeName),
      requests,
    );
    if (outcome !== 'conflict') return outcome;
  }
  return 'conflict';
}

const port8080: PodRequests = { cpuMillis: 100, memoryBytes: 128 * 2 ** 20, hostPorts: ['TCP/8080'] };

describe('host ports on DynamoDB Local', () => {
  it('binds exactly one of two pods asking for the same port at once, and the other once it is deleted', async () => {
    await nodes.putNode(nodeObject('bridge-1'), { cpuMillis: 4000, memoryBytes: 8 * GiB, pods: 110 });
    await createPodWithPorts('first', [{ containerPort: 80, hostPort: 8080 }]);
    await createPodWithPorts('second', [{ containerPort: 80, hostPort: 8080 }]);
    const view = await nodeNamed('bridge-1');
    expect(view.usedHostPorts).toEqual([]);

    const outcomes = await Promise.all(
      ['first', 'second'].map(async (name) => {
        const record = await pods.getPod('default', name, true);
        if (!record) throw new Error('missing');
        const outcome = await pods.bindPod(record, onNode(record.pod, 'bridge-1'), view, port8080);
        // DynamoDB may cancel one of two transactions on one item as a conflict: decide it again.
        return { name, outcome: outcome === 'conflict' ? await bind(name, 'bridge-1', port8080) : outcome };
      }),
    );
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['bound', 'node-full']);
    const winner = outcomes.find((o) => o.outcome === 'bound')?.name as string;
    const loser = outcomes.find((o) => o.outcome === 'node-full')?.name as string;
    const after = await nodeNamed('bridge-1');
    expect(after.usedHostPorts).toEqual(['TCP/8080']);
    expect(after.requested).toEqual({ cpuMillis: 100, memoryBytes: 128 * 2 ** 20, pods: 1 });
    expect((await pods.getPod('default', loser, true))?.pod.spec?.nodeName).toBeUndefined();

    // The binding is recorded on the pod, so that what gives the pod back gives the port back.
    const bound = await pods.getPod('default', winner, true);
    if (!bound) throw new Error('missing');
    expect(bound.boundRequests).toEqual(port8080);
    await pods.deletePod(bound);
    expect((await nodeNamed('bridge-1')).usedHostPorts).toEqual([]);
    expect(await bind(loser, 'bridge-1', port8080)).toBe('bound');
    expect((await nodeNamed('bridge-1')).usedHostPorts).toEqual(['TCP/8080']);
  });

  it('frees the port when the pod finishes, and only once', async () => {
    await nodes.putNode(nodeObject('bridge-2'), { cpuMillis: 4000, memoryBytes: 8 * GiB, pods: 110 });
    await createPodWithPorts('job', [{ containerPort: 80, hostPort: 8080 }]);
    await createPodWithPorts('next-job', [{ containerPort: 80, hostPort: 8080 }]);
    expect(await bind('job', 'bridge-2', port8080)).toBe('bound');
    expect(await bind('next-job', 'bridge-2', port8080)).toBe('node-full');

    const running = await pods.getPod('default', 'job', true);
    if (!running) throw new Error('missing');
    const finished = await pods.finishPod(running, {
      ...running.pod,
      status: { ...running.pod.status, phase: 'Succeeded' },
    });
    expect((await nodeNamed('bridge-2')).usedHostPorts).toEqual([]);
    expect(await bind('next-job', 'bridge-2', port8080)).toBe('bound');
    // Deleting the finished pod gives nothing back again: next-job keeps its port.
    await pods.deletePod(finished);
    expect((await nodeNamed('bridge-2')).usedHostPorts).toEqual(['TCP/8080']);
    expect((await nodeNamed('bridge-2')).requested.pods).toBe(1);
  });

  it('frees the port when ECS had no room and the pod is taken off its node', async () => {
    await nodes.putNode(nodeObject('bridge-3'), { cpuMillis: 4000, memoryBytes: 8 * GiB, pods: 110 });
    await createPodWithPorts('refused', [{ containerPort: 80, hostPort: 8080 }]);
    expect(await bind('refused', 'bridge-3', port8080)).toBe('bound');
    const bound = await pods.getPod('default', 'refused', true);
    if (!bound) throw new Error('missing');
    const { nodeName: _node, ...spec } = bound.pod.spec ?? { containers: [] };
    const unbound = await pods.unbindPod(bound, {
      ...bound.pod,
      spec: { ...spec, containers: spec.containers },
    });
    expect(unbound.boundRequests).toBeUndefined();
    expect((await nodeNamed('bridge-3')).usedHostPorts).toEqual([]);
    expect((await nodeNamed('bridge-3')).requested.pods).toBe(0);
  });

  it('lets other ports and other protocols share the node', async () => {
    await nodes.putNode(nodeObject('bridge-4'), { cpuMillis: 4000, memoryBytes: 8 * GiB, pods: 110 });
    await createPodWithPorts('tcp', [{ containerPort: 80, hostPort: 8080 }]);
    await createPodWithPorts('udp', [{ containerPort: 80, hostPort: 8080, protocol: 'UDP' }]);
    await createPodWithPorts('two', [
      { containerPort: 80, hostPort: 9090 },
      { containerPort: 81, hostPort: 9091 },
    ]);
    await createPodWithPorts('plain', [{ containerPort: 80 }]);
    const outcomes = await Promise.all([
      bind('tcp', 'bridge-4', port8080),
      bind('udp', 'bridge-4', { ...port8080, hostPorts: ['UDP/8080'] }),
      bind('two', 'bridge-4', { ...port8080, hostPorts: ['TCP/9090', 'TCP/9091'] }),
      bind('plain', 'bridge-4', { cpuMillis: 100, memoryBytes: 0 }),
    ]);
    expect(outcomes).toEqual(['bound', 'bound', 'bound', 'bound']);
    expect((await nodeNamed('bridge-4')).usedHostPorts).toEqual([
      'TCP/8080',
      'TCP/9090',
      'TCP/9091',
      'UDP/8080',
    ]);
    // One port of two taken is enough to refuse.
    await createPodWithPorts('clash', [{ containerPort: 80, hostPort: 9091 }]);
    expect(await bind('clash', 'bridge-4', { ...port8080, hostPorts: ['TCP/9000', 'TCP/9091'] })).toBe(
      'node-full',
    );
    expect((await nodeNamed('bridge-4')).usedHostPorts).toEqual([
      'TCP/8080',
      'TCP/9090',
      'TCP/9091',
      'UDP/8080',
    ]);
  });

  it('schedules one pod per node when several schedulers place pods asking for one port', async () => {
    const names = ['ds-a', 'ds-b'];
    for (const name of names)
      await nodes.putNode(nodeObject(name), { cpuMillis: 4000, memoryBytes: 8 * GiB, pods: 110 });
    const records = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        createPodWithPorts(`daemon-${i}`, [{ containerPort: 80, hostPort: 7070, protocol: 'UDP' }]),
      ),
    );
    // Three schedulers at once, each with its own view and two of the pods, as stream batches.
    await Promise.all(
      [0, 1, 2].map(async (b) => {
        const scheduler = createScheduler({
          pods,
          nodes: {
            ...nodes,
            // Only the two nodes of this test: the table holds the others' nodes too.
            listNodes: async () =>
              (await nodes.listNodes()).filter((n) => names.includes(n.node.metadata?.name ?? '')),
          },
          events: dynamoEventStore,
          profile: defaultProfile,
          now: () => new Date().toISOString(),
          networking: 'bridge',
        });
        const pending = records.slice(b * 2, b * 2 + 2);
        for (let tries = 0; pending.length > 0 && tries < 50; tries++) {
          const record = pending.shift() as PodRecord;
          try {
            await scheduler.schedule(record);
          } catch (error) {
            if (!(error instanceof RetryLater)) throw error;
            pending.push((await pods.getPod('default', record.pod.metadata?.name ?? '', true)) ?? record);
          }
        }
        expect(pending).toEqual([]);
      }),
    );
    const after = await Promise.all(
      records.map((r) => pods.getPod('default', r.pod.metadata?.name ?? '', true)),
    );
    const placed = after.map((r) => r?.pod.spec?.nodeName).filter((n): n is string => n !== undefined);
    expect(placed.sort()).toEqual(names);
    for (const record of after.filter((r) => !r?.pod.spec?.nodeName))
      expect(record?.pod.status?.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({
        reason: 'Unschedulable',
        message: "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports.",
      });
    for (const name of names) expect((await nodeNamed(name)).usedHostPorts).toEqual(['UDP/7070']);
  });
});
