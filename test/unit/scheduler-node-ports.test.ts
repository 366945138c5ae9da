import { describe, expect, it } from 'vitest';
import { createScheduler } from '../../functions/core/controllers/scheduler';
import type { PodNetworking } from '../../functions/core/ecs/task-definition';
import type { Container, Pod, PodSpec } from '../../functions/core/k8s';
import { fargateLaunchAnnotation } from '../../functions/core/nodes/fargate-pool';
import { podRequests } from '../../functions/core/pod/requests';
import { newSchedulingCycle } from '../../functions/core/scheduler/cycle';
import { type NodeInfo, schedulePod } from '../../functions/core/scheduler/framework';
import {
  nodePorts,
  nodePortsReason,
  podHostPorts,
  requestsOnNode,
} from '../../functions/core/scheduler/plugins/node-ports';
import { defaultProfile } from '../../functions/core/scheduler/profile';
import { GiB, nodeObject, storedPod } from '../fixtures';
import { fakeStores } from './fakes';
import { node } from './scheduler-nodes';

// Kubernetes' NodePorts (pkg/scheduler/framework/plugins/nodeports): a pod whose containers ask
// for a hostPort fits only a node where no bound pod already publishes that protocol/port. In
// podplane that holds in bridge networking only; awsvpc gives every pod an ENI of its own.

const container = (name: string, ports: Container['ports']): Container => ({ name, image: 'nginx', ports });

/** A pod in `default` whose app container asks for these ports. */
const podWithPorts = (ports: Container['ports'], spec: Partial<PodSpec> = {}, name = 'web'): Pod => ({
  metadata: { name, namespace: 'default' },
  spec: { containers: [container('app', ports)], ...spec },
});

const withUsedPorts = (info: NodeInfo, usedHostPorts: string[]): NodeInfo => ({ ...info, usedHostPorts });

/** The plugin's verdict per node, with the pod's host ports as the scheduler works them out. */
function filterWith(p: Pod, nodes: NodeInfo[], networking: PodNetworking = 'bridge') {
  const hostPorts = podHostPorts(p, networking);
  const result = nodePorts.preFilter(newSchedulingCycle(p, { ...podRequests(p), hostPorts }, nodes));
  return Object.fromEntries(nodes.map((n) => [n.node.metadata?.name, result.filter?.(n) ?? 'fits']));
}

describe('podHostPorts', () => {
  it('keys each hostPort by protocol and port, sorted and once, leaving out ports without one', () => {
    const p = podWithPorts([
      { containerPort: 80, hostPort: 8080 },
      { containerPort: 53, hostPort: 53, protocol: 'UDP' },
      { containerPort: 81, hostPort: 8080, protocol: 'TCP' },
      { containerPort: 9090 },
      { containerPort: 9091, hostPort: 0 },
    ]);
    expect(podHostPorts(p, 'bridge')).toEqual(['TCP/8080', 'UDP/53']);
  });

  it('counts init containers too, sidecar or not: they are containers of the same ECS task', () => {
    const p = podWithPorts([{ containerPort: 80, hostPort: 8080 }], {
      initContainers: [
        container('migrate', [{ containerPort: 5432, hostPort: 5432 }]),
        { ...container('proxy', [{ containerPort: 15001, hostPort: 15001 }]), restartPolicy: 'Always' },
      ],
    });
    expect(podHostPorts(p, 'bridge')).toEqual(['TCP/15001', 'TCP/5432', 'TCP/8080']);
  });

  it('publishes SCTP as TCP, as the task definition does', () => {
    expect(
      podHostPorts(podWithPorts([{ containerPort: 9, hostPort: 9, protocol: 'SCTP' }]), 'bridge'),
    ).toEqual(['TCP/9']);
  });

  it('is empty in awsvpc networking, the default, where a hostPort takes no port of the node', () => {
    const p = podWithPorts([{ containerPort: 80, hostPort: 8080 }]);
    expect(podHostPorts(p, 'awsvpc')).toEqual([]);
    expect(podHostPorts(p)).toEqual([]);
  });
});

describe('NodePorts', () => {
  const web = podWithPorts([{ containerPort: 80, hostPort: 8080 }]);

  it('rejects a node where the port is taken and admits the others', () => {
    const nodes = [withUsedPorts(node({ name: 'taken' }), ['TCP/8080']), node({ name: 'free' })];
    expect(filterWith(web, nodes)).toEqual({ taken: [nodePortsReason], free: 'fits' });
  });

  it('admits a node where the same port is taken for another protocol', () => {
    const nodes = [withUsedPorts(node({ name: 'udp' }), ['UDP/8080', 'TCP/9090'])];
    expect(filterWith(web, nodes)).toEqual({ udp: 'fits' });
  });

  it('ignores host ports in awsvpc networking', () => {
    const nodes = [withUsedPorts(node({ name: 'taken' }), ['TCP/8080'])];
    expect(filterWith(web, nodes, 'awsvpc')).toEqual({ taken: 'fits' });
  });

  it("counts an init container's host port", () => {
    const migrate = podWithPorts([], {
      initContainers: [container('migrate', [{ containerPort: 5432, hostPort: 5432 }])],
    });
    const nodes = [withUsedPorts(node({ name: 'taken' }), ['TCP/5432']), node({ name: 'free' })];
    expect(filterWith(migrate, nodes)).toEqual({ taken: [nodePortsReason], free: 'fits' });
  });

  it('skips a pod that asks for no host port', () => {
    const p = podWithPorts([{ containerPort: 80 }]);
    expect(nodePorts.preFilter(newSchedulingCycle(p, podRequests(p), [node({ name: 'n1' })]))).toEqual({});
  });

  it('says why in the FitError, between NodeAffinity and NodeResourcesFit', () => {
    const nodes = [
      withUsedPorts(node({ name: 'n1' }), ['TCP/8080']),
      withUsedPorts(node({ name: 'n2', usedCpu: 4000 }), ['TCP/8080']),
    ];
    const requests = { ...podRequests(web), cpuMillis: 100, hostPorts: podHostPorts(web, 'bridge') };
    // n2 lacks cpu too, but a node is judged by the first filter that rejects it.
    expect(schedulePod(web, requests, nodes, defaultProfile)).toEqual({
      kind: 'unschedulable',
      message: `0/2 nodes are available: 2 ${nodePortsReason}.`,
    });
  });
});

describe('requestsOnNode', () => {
  const requests = { cpuMillis: 100, memoryBytes: 0, hostPorts: ['TCP/8080'] };

  it('keeps the host ports on an EC2 node', () => {
    expect(requestsOnNode(nodeObject('i-1'), requests)).toBe(requests);
  });

  it('drops them on a Fargate node, whose tasks each have their own ENI', () => {
    const fargate = { metadata: { name: 'fargate', annotations: { [fargateLaunchAnnotation]: '{}' } } };
    expect(requestsOnNode(fargate, requests)).toEqual({ cpuMillis: 100, memoryBytes: 0 });
  });
});

describe('the scheduler with host ports', () => {
  const now = '2026-11-30T09:00:00Z';
  const hostPortPod = (name: string) => {
    const pod = storedPod(name);
    const [app] = pod.spec?.containers ?? [];
    return {
      ...pod,
      spec: {
        ...pod.spec,
        containers: [{ ...app, name: 'app', ports: [{ containerPort: 80, hostPort: 8080 }] }],
      },
    } as Pod;
  };

  async function cluster(
    nodeNames: string[],
    networking: PodNetworking,
    annotations?: Record<string, string>,
  ) {
    const stores = fakeStores();
    for (const name of nodeNames)
      await stores.nodes.putNode(
        {
          ...nodeObject(name),
          metadata: { ...nodeObject(name).metadata, ...(annotations ? { annotations } : {}) },
        },
        { cpuMillis: 4000, memoryBytes: 8 * GiB, pods: 110 },
      );
    const scheduler = () =>
      createScheduler({ ...stores, profile: defaultProfile, now: () => now, networking });
    return { stores, scheduler };
  }

  const nodeOf = async (stores: ReturnType<typeof fakeStores>, name: string) =>
    (await stores.pods.getPod('default', name))?.pod.spec?.nodeName;

  it('puts two pods asking for hostPort 8080 on different nodes in bridge networking', async () => {
    const { stores, scheduler } = await cluster(['n1', 'n2'], 'bridge');
    const first = stores.pods.seed(hostPortPod('a'));
    const second = stores.pods.seed(hostPortPod('b'));
    // One batch, both decided against the same view: the first one's port is reserved in it.
    const batch = scheduler();
    await Promise.all([batch.schedule(first), batch.schedule(second)]);
    const placed = [await nodeOf(stores, 'a'), await nodeOf(stores, 'b')];
    expect(placed.sort()).toEqual(['n1', 'n2']);
    expect(stores.nodes.nodeInfo('n1')?.usedHostPorts).toEqual(['TCP/8080']);
    expect(stores.nodes.nodeInfo('n2')?.usedHostPorts).toEqual(['TCP/8080']);
  });

  it('leaves the second pod Unschedulable on a single node, and binds it once the first is deleted', async () => {
    const { stores, scheduler } = await cluster(['n1'], 'bridge');
    await scheduler().schedule(stores.pods.seed(hostPortPod('a')));
    await scheduler().schedule(stores.pods.seed(hostPortPod('b')));
    expect(await nodeOf(stores, 'a')).toBe('n1');
    const waiting = await stores.pods.getPod('default', 'b');
    expect(waiting?.pod.spec?.nodeName).toBeUndefined();
    expect(waiting?.pod.status?.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message: "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports.",
    });

    const winner = await stores.pods.getPod('default', 'a');
    if (!winner || !waiting) throw new Error('missing');
    await stores.pods.deletePod(winner);
    expect(stores.nodes.nodeInfo('n1')?.usedHostPorts).toEqual([]);
    await stores.pods.requeuePod(waiting);
    const requeued = await stores.pods.getPod('default', 'b');
    if (!requeued) throw new Error('missing');
    await scheduler().schedule(requeued);
    expect(await nodeOf(stores, 'b')).toBe('n1');
  });

  it('reads the nodes again when another scheduler took the port since it last looked', async () => {
    const { stores, scheduler } = await cluster(['n1', 'n2'], 'bridge');
    const stale = scheduler();
    // `stale` reads the nodes while both are free; a pod without host ports makes n1 the busier.
    await stale.schedule(stores.pods.seed(storedPod('warm-up')));
    const busy = (await nodeOf(stores, 'warm-up')) as string;
    // Another scheduler binds a pod with hostPort 8080 to the emptier node.
    await scheduler().schedule(stores.pods.seed(hostPortPod('a')));
    const taken = (await nodeOf(stores, 'a')) as string;
    expect(taken).not.toBe(busy);
    // `stale` still sees that node as the emptier and free: its binding there must be refused.
    const outcomes: string[] = [];
    const bindPod = stores.pods.bindPod.bind(stores.pods);
    stores.pods.bindPod = async (...args) => {
      const outcome = await bindPod(...args);
      outcomes.push(`${args[2].node.metadata?.name} ${outcome}`);
      return outcome;
    };
    await stale.schedule(stores.pods.seed(hostPortPod('b')));
    expect(outcomes).toEqual([`${taken} node-full`, `${busy} bound`]);
  });

  it('puts both pods on one node in awsvpc networking', async () => {
    const { stores, scheduler } = await cluster(['n1'], 'awsvpc');
    await scheduler().schedule(stores.pods.seed(hostPortPod('a')));
    await scheduler().schedule(stores.pods.seed(hostPortPod('b')));
    expect([await nodeOf(stores, 'a'), await nodeOf(stores, 'b')]).toEqual(['n1', 'n1']);
    expect(stores.nodes.nodeInfo('n1')?.usedHostPorts).toEqual([]);
  });

  it('holds no host port on a Fargate node in bridge networking', async () => {
    const { stores, scheduler } = await cluster(['pool'], 'bridge', { [fargateLaunchAnnotation]: '{}' });
    await scheduler().schedule(stores.pods.seed(hostPortPod('a')));
    await scheduler().schedule(stores.pods.seed(hostPortPod('b')));
    expect([await nodeOf(stores, 'a'), await nodeOf(stores, 'b')]).toEqual(['pool', 'pool']);
    expect(stores.nodes.nodeInfo('pool')?.usedHostPorts).toEqual([]);
  });

  it('gives the port back when the pod finishes', async () => {
    const { stores, scheduler } = await cluster(['n1'], 'bridge');
    await scheduler().schedule(stores.pods.seed(hostPortPod('job')));
    const bound = await stores.pods.getPod('default', 'job');
    if (!bound) throw new Error('missing');
    expect(bound.boundRequests?.hostPorts).toEqual(['TCP/8080']);
    await stores.pods.finishPod(bound, { ...bound.pod, status: { ...bound.pod.status, phase: 'Succeeded' } });
    expect(stores.nodes.nodeInfo('n1')?.usedHostPorts).toEqual([]);
  });
});
