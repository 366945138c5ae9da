import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../functions/core/k8s';
import { podRequests } from '../../functions/core/pod/requests';
import { type NodeInfo, schedulePod } from '../../functions/core/scheduler/framework';
import { defaultProfile } from '../../functions/core/scheduler/profile';
import { Gi, node, pod } from './scheduler-nodes';

// kube-scheduler's default profile on nodes without taints, labels or pods: the filters
// NodeUnschedulable, NodeName and NodeResourcesFit decide (pkg/scheduler/framework/plugins),
// LeastAllocated + BalancedAllocation rank, and the FitError text is
// `0/N nodes are available: <count> <reason>, ... .` with the "<count> <reason>" strings sorted
// (sort.Strings). Taints, node affinity and topology spread: scheduler-plugins.test.ts.

const schedule = (p: Pod, nodes: NodeInfo[]) => schedulePod(p, podRequests(p), nodes, defaultProfile);

describe('schedulePod with the default profile', () => {
  it('binds to the one node with room', () => {
    const nodes = [node({ name: 'full', usedCpu: 3900 }), node({ name: 'roomy' })];
    expect(schedule(pod('500m', '256Mi'), nodes)).toEqual({ kind: 'bound', nodeName: 'roomy' });
  });

  it('binds when the pod exactly fills what is left', () => {
    const nodes = [node({ name: 'n1', cpu: 1000, memory: Gi, usedCpu: 500, usedMemory: Gi / 2 })];
    expect(schedule(pod('500m', '512Mi'), nodes)).toEqual({ kind: 'bound', nodeName: 'n1' });
  });

  it('prefers the least allocated node', () => {
    const nodes = [
      node({ name: 'a-busy', usedCpu: 2000, usedMemory: 4 * Gi, usedPods: 5 }),
      node({ name: 'b-idle' }),
      node({ name: 'c-half', usedCpu: 1000, usedMemory: 2 * Gi, usedPods: 2 }),
    ];
    expect(schedule(pod('100m', '128Mi'), nodes)).toEqual({ kind: 'bound', nodeName: 'b-idle' });
  });

  it('breaks a LeastAllocated tie by BalancedAllocation: cpu and memory used evenly', () => {
    // After placing 1 cpu / 1 GiB: "even" is at 50% cpu, 50% memory; "skewed" at 25% cpu,
    // 75% memory. Both leave half the node free, but only "even" stays balanced.
    const nodes = [
      node({ name: 'a-skewed', cpu: 4000, memory: 4 * Gi, usedMemory: 2 * Gi }),
      node({ name: 'b-even', cpu: 4000, memory: 4 * Gi, usedCpu: 1000, usedMemory: Gi }),
    ];
    expect(schedule(pod('1', '1Gi'), nodes)).toEqual({ kind: 'bound', nodeName: 'b-even' });
  });

  it('picks one of the equally good nodes, and the same one every time', () => {
    const nodes = [node({ name: 'n2' }), node({ name: 'n1' }), node({ name: 'n3' })];
    const first = schedule(pod('100m'), nodes);
    expect(first.kind).toBe('bound');
    expect(schedule(pod('100m'), [...nodes].reverse())).toEqual(first);
  });

  it('says why when no node has enough cpu', () => {
    const nodes = ['n1', 'n2', 'n3'].map((name) => node({ name, usedCpu: 3800 }));
    expect(schedule(pod('500m'), nodes)).toEqual({
      kind: 'unschedulable',
      message: '0/3 nodes are available: 3 Insufficient cpu.',
    });
  });

  it('lists every resource a node lacks', () => {
    const nodes = [node({ name: 'n1', usedCpu: 4000, usedMemory: 8 * Gi })];
    expect(schedule(pod('1', '1Gi'), nodes)).toEqual({
      kind: 'unschedulable',
      message: '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.',
    });
  });

  it('sorts mixed reasons as Kubernetes does', () => {
    const nodes = [
      node({ name: 'cordoned', unschedulable: true }),
      node({ name: 'n2', usedMemory: 8 * Gi }),
      node({ name: 'n3', usedMemory: 7.5 * Gi }),
    ];
    expect(schedule(pod('100m', '1Gi'), nodes)).toEqual({
      kind: 'unschedulable',
      message: '0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient memory.',
    });
  });

  it('says so when there are no nodes at all', () => {
    expect(schedule(pod('100m'), [])).toEqual({
      kind: 'unschedulable',
      message: 'no nodes available to schedule pods',
    });
  });

  describe('NodeUnschedulable', () => {
    const cordoned = node({ name: 'cordoned', unschedulable: true });

    it('keeps pods off a cordoned node', () => {
      expect(schedule(pod('100m'), [cordoned])).toEqual({
        kind: 'unschedulable',
        message: '0/1 nodes are available: 1 node(s) were unschedulable.',
      });
    });

    it('lets a pod that tolerates node.kubernetes.io/unschedulable onto a cordoned node', () => {
      const tolerant = pod('100m', undefined, {
        tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
      });
      expect(schedule(tolerant, [cordoned])).toEqual({ kind: 'bound', nodeName: 'cordoned' });
    });

    it('honours a wildcard toleration (operator Exists, no key)', () => {
      const tolerant = pod('100m', undefined, { tolerations: [{ operator: 'Exists' }] });
      expect(schedule(tolerant, [cordoned])).toEqual({ kind: 'bound', nodeName: 'cordoned' });
    });

    it('ignores a toleration for another effect', () => {
      const other = pod('100m', undefined, {
        tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }],
      });
      expect(schedule(other, [cordoned]).kind).toBe('unschedulable');
    });

    // RunFilterPlugins returns at the first filter that rejects a node, so each node is counted
    // under one plugin's reasons: a cordoned node is "unschedulable", whatever else it lacks.
    it('counts a cordoned node once, under the first filter that rejected it', () => {
      const nodes = ['n1', 'n2', 'n3'].map((name) => node({ name, unschedulable: true, usedCpu: 4000 }));
      expect(schedule(pod('500m'), nodes)).toEqual({
        kind: 'unschedulable',
        message: '0/3 nodes are available: 3 node(s) were unschedulable.',
      });
    });
  });

  describe('NodeName', () => {
    it('binds a pod that names its node only to that node', () => {
      const nodes = [node({ name: 'n1' }), node({ name: 'n2', usedCpu: 3000 }), node({ name: 'n3' })];
      expect(schedule(pod('100m', undefined, { nodeName: 'n2' }), nodes)).toEqual({
        kind: 'bound',
        nodeName: 'n2',
      });
    });

    it('does not fall back to another node when the named one has no room', () => {
      const nodes = [node({ name: 'n1' }), node({ name: 'n2', usedCpu: 4000 }), node({ name: 'n3' })];
      const result = schedule(pod('100m', undefined, { nodeName: 'n2' }), nodes);
      expect(result.kind).toBe('unschedulable');
      expect(result.kind === 'unschedulable' && result.message).toMatch(
        /^0\/3 nodes are available: .*1 Insufficient cpu.*\.$/,
      );
    });
  });

  describe('NodeResourcesFit', () => {
    it('refuses a node that already runs its maximum number of pods', () => {
      const nodes = [node({ name: 'n1', pods: 110, usedPods: 110 })];
      expect(schedule(pod(), nodes)).toEqual({
        kind: 'unschedulable',
        message: '0/1 nodes are available: 1 Too many pods.',
      });
    });

    it('fits a pod that requests nothing on a node whose cpu and memory are all taken', () => {
      const nodes = [node({ name: 'n1', usedCpu: 4000, usedMemory: 8 * Gi })];
      expect(schedule(pod(), nodes)).toEqual({ kind: 'bound', nodeName: 'n1' });
    });
  });
});

describe('schedulePod property', () => {
  const nodeArb = fc.record({
    cpu: fc.integer({ min: 0, max: 16_000 }),
    memory: fc.integer({ min: 0, max: 64 * Gi }),
    pods: fc.integer({ min: 0, max: 110 }),
    usedCpu: fc.integer({ min: 0, max: 16_000 }),
    usedMemory: fc.integer({ min: 0, max: 64 * Gi }),
    usedPods: fc.integer({ min: 0, max: 110 }),
    unschedulable: fc.boolean(),
  });
  const nodesArb = fc
    .array(nodeArb, { maxLength: 8 })
    .map((shapes) => shapes.map((shape, i) => node({ ...shape, name: `node-${i}` })));
  const podArb = fc.record({
    cpu: fc.option(fc.integer({ min: 0, max: 8000 }), { nil: undefined }),
    memoryMi: fc.option(fc.integer({ min: 0, max: 32 * 1024 }), { nil: undefined }),
  });

  it('only ever binds to a schedulable node where requested + pod <= allocatable', () => {
    fc.assert(
      fc.property(nodesArb, podArb, (nodes, p) => {
        const candidate = pod(
          p.cpu === undefined ? undefined : `${p.cpu}m`,
          p.memoryMi === undefined ? undefined : `${p.memoryMi}Mi`,
        );
        const requests = podRequests(candidate);
        const result = schedulePod(candidate, requests, nodes, defaultProfile);
        if (result.kind === 'unschedulable') {
          expect(result.message).toMatch(
            nodes.length === 0
              ? /^no nodes available/
              : new RegExp(`^0/${nodes.length} nodes are available: .+\\.$`),
          );
          return;
        }
        const chosen = nodes.find((n) => n.node.metadata?.name === result.nodeName);
        expect(chosen).toBeDefined();
        if (!chosen) return;
        expect(chosen.node.spec?.unschedulable).not.toBe(true);
        expect(chosen.requested.pods + 1).toBeLessThanOrEqual(chosen.allocatable.pods);
        expect(chosen.requested.cpuMillis + requests.cpuMillis).toBeLessThanOrEqual(
          requests.cpuMillis > 0 ? chosen.allocatable.cpuMillis : Number.POSITIVE_INFINITY,
        );
        expect(chosen.requested.memoryBytes + requests.memoryBytes).toBeLessThanOrEqual(
          requests.memoryBytes > 0 ? chosen.allocatable.memoryBytes : Number.POSITIVE_INFINITY,
        );
      }),
    );
  });

  it('binds whenever some schedulable node has room', () => {
    fc.assert(
      fc.property(nodesArb, fc.integer({ min: 1, max: 4000 }), (nodes, cpu) => {
        const candidate = pod(`${cpu}m`);
        const fits = nodes.some(
          (n) =>
            !n.node.spec?.unschedulable &&
            n.requested.pods + 1 <= n.allocatable.pods &&
            n.requested.cpuMillis + cpu <= n.allocatable.cpuMillis,
        );
        expect(schedule(candidate, nodes).kind).toBe(fits ? 'bound' : 'unschedulable');
      }),
    );
  });
});
