import { describe, expect, it } from 'vitest';
import type { Pod, PodSpec } from '../../functions/core/k8s';
import { podRequests } from '../../functions/core/pod/requests';
import { newSchedulingCycle } from '../../functions/core/scheduler/cycle';
import {
  type FilterPlugin,
  type NodeInfo,
  type PodOnNode,
  runScorePlugin,
  type ScorePlugin,
} from '../../functions/core/scheduler/framework';
import { nodeAffinity, nodeAffinityScore } from '../../functions/core/scheduler/plugins/node-affinity';
import { nodeName } from '../../functions/core/scheduler/plugins/node-name';
import { balancedAllocation } from '../../functions/core/scheduler/plugins/node-resources-balanced-allocation';
import {
  leastAllocated,
  mostAllocated,
  nodeResourcesFit,
} from '../../functions/core/scheduler/plugins/node-resources-fit';
import { nodeUnschedulable } from '../../functions/core/scheduler/plugins/node-unschedulable';
import {
  podTopologySpread,
  podTopologySpreadScore,
} from '../../functions/core/scheduler/plugins/pod-topology-spread';
import {
  taintToleration,
  taintTolerationScore,
} from '../../functions/core/scheduler/plugins/taint-toleration';
import { Gi, Mi, node, pod as podRequesting } from './scheduler-nodes';

// Each plugin on its own, with the behaviour and reason strings of kube-scheduler's plugins
// (pkg/scheduler/framework/plugins/...). Score expectations are Kubernetes' formulas worked by
// hand, several taken from the cases of Kubernetes' own plugin tests.

interface PodShape extends Partial<PodSpec> {
  cpu?: string;
  memory?: string;
  labels?: Record<string, string>;
  namespace?: string;
}

/** The shared test pod, with labels and a namespace of its own when given. */
const pod = ({ cpu, memory, labels, namespace, ...spec }: PodShape = {}): Pod => {
  const built = podRequesting(cpu, memory, spec);
  return {
    ...built,
    metadata: { ...built.metadata, namespace: namespace ?? 'default', ...(labels ? { labels } : {}) },
  };
};

/** The plugin's verdict per node: its reasons, or 'fits'. */
function filterWith(plugin: FilterPlugin, p: Pod, nodes: NodeInfo[]) {
  const result = plugin.preFilter(newSchedulingCycle(p, podRequests(p), nodes));
  return Object.fromEntries(nodes.map((n) => [n.node.metadata?.name, result.filter?.(n) ?? 'fits']));
}

/** The plugin's normalized scores per node, or 'skipped' when its PreScore skips the pod. */
function scoreWith(plugin: ScorePlugin, p: Pod, feasible: NodeInfo[], all: NodeInfo[] = feasible) {
  const scores = new Float64Array(feasible.length);
  const ran = runScorePlugin(plugin, newSchedulingCycle(p, podRequests(p), all), feasible, scores);
  return ran ? Object.fromEntries(feasible.map((n, i) => [n.node.metadata?.name, scores[i]])) : 'skipped';
}

describe('NodeUnschedulable', () => {
  const cordoned = node({ name: 'cordoned', unschedulable: true });
  const open = node({ name: 'open' });

  it('rejects a cordoned node and admits the others', () => {
    expect(filterWith(nodeUnschedulable, pod(), [cordoned, open])).toEqual({
      cordoned: ['node(s) were unschedulable'],
      open: 'fits',
    });
  });

  it('admits a cordoned node for a pod tolerating node.kubernetes.io/unschedulable:NoSchedule', () => {
    const tolerant = pod({
      tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
    });
    expect(filterWith(nodeUnschedulable, tolerant, [cordoned])).toEqual({ cordoned: 'fits' });
  });

  it('compares values like any toleration: operator Equal needs the taint value, which is empty', () => {
    const wrongValue = pod({
      tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Equal', value: 'true' }],
    });
    expect(filterWith(nodeUnschedulable, wrongValue, [cordoned])).toEqual({
      cordoned: ['node(s) were unschedulable'],
    });
  });
});

describe('NodeName', () => {
  it('admits only the node the pod names', () => {
    const nodes = [node({ name: 'n1' }), node({ name: 'n2' })];
    expect(filterWith(nodeName, pod({ nodeName: 'n2' }), nodes)).toEqual({
      n1: ["node(s) didn't match the requested node name"],
      n2: 'fits',
    });
  });

  it('admits every node when the pod names none', () => {
    expect(filterWith(nodeName, pod(), [node({ name: 'n1' })])).toEqual({ n1: 'fits' });
  });
});

describe('TaintToleration', () => {
  const gpu = node({ name: 'gpu', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
  const evicting = node({ name: 'evicting', taints: [{ key: 'maintenance', effect: 'NoExecute' }] });
  const soft = node({ name: 'soft', taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] });
  const plain = node({ name: 'plain' });
  const untolerated = ['node(s) had untolerated taint(s)'];

  it('keeps a pod without tolerations off NoSchedule and NoExecute taints, not PreferNoSchedule', () => {
    expect(filterWith(taintToleration, pod(), [gpu, evicting, soft, plain])).toEqual({
      gpu: untolerated,
      evicting: untolerated,
      soft: 'fits',
      plain: 'fits',
    });
  });

  it.each([
    [
      'Equal with the same value and effect',
      { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
    ],
    ['Equal by default', { key: 'dedicated', value: 'gpu' }],
    ['Exists on the key, any value', { key: 'dedicated', operator: 'Exists' }],
    ['Exists without a key: every taint', { operator: 'Exists' }],
  ])('tolerates with %s', (_, toleration) => {
    expect(filterWith(taintToleration, pod({ tolerations: [toleration] }), [gpu])).toEqual({ gpu: 'fits' });
  });

  it.each([
    ['another value', { key: 'dedicated', operator: 'Equal', value: 'cpu' }],
    ['another effect', { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }],
    ['another key', { key: 'team', operator: 'Exists' }],
    ['an unknown operator', { key: 'dedicated', operator: 'Gt', value: 'gpu' }],
  ])('does not tolerate with %s', (_, toleration) => {
    expect(filterWith(taintToleration, pod({ tolerations: [toleration] }), [gpu])).toEqual({
      gpu: untolerated,
    });
  });

  it('needs every NoSchedule taint tolerated, not just one', () => {
    const twice = node({
      name: 'twice',
      taints: [
        { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
        { key: 'team', value: 'ml', effect: 'NoSchedule' },
      ],
    });
    const onlyGpu = pod({ tolerations: [{ key: 'dedicated', operator: 'Exists' }] });
    expect(filterWith(taintToleration, onlyGpu, [twice])).toEqual({ twice: untolerated });
  });

  describe('score', () => {
    const preferNo = (key: string) => ({ key, value: 'x', effect: 'PreferNoSchedule' });

    it('scores nodes with more intolerable PreferNoSchedule taints lower: 0, 1, 2 of them → 100, 50, 0', () => {
      const nodes = [
        node({ name: 'none' }),
        node({ name: 'one', taints: [preferNo('a')] }),
        node({ name: 'two', taints: [preferNo('a'), preferNo('b')] }),
      ];
      expect(scoreWith(taintTolerationScore, pod(), nodes)).toEqual({ none: 100, one: 50, two: 0 });
    });

    it('scores every node 100 when the pod tolerates all their PreferNoSchedule taints', () => {
      const nodes = [node({ name: 'none' }), node({ name: 'two', taints: [preferNo('a'), preferNo('b')] })];
      // A toleration without an effect tolerates PreferNoSchedule too.
      const tolerant = pod({
        tolerations: [
          { key: 'a', operator: 'Exists' },
          { key: 'b', operator: 'Exists' },
        ],
      });
      expect(scoreWith(taintTolerationScore, tolerant, nodes)).toEqual({ none: 100, two: 100 });
    });

    it('counts only PreferNoSchedule taints, and only tolerations that cover that effect', () => {
      const nodes = [
        node({ name: 'hard', taints: [{ key: 'a', effect: 'NoSchedule' }] }),
        node({ name: 'soft', taints: [preferNo('a')] }),
      ];
      const noScheduleOnly = pod({ tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoSchedule' }] });
      expect(scoreWith(taintTolerationScore, noScheduleOnly, nodes)).toEqual({ hard: 100, soft: 0 });
    });
  });
});

describe('NodeAffinity', () => {
  const ssdA = node({ name: 'ssd-a', labels: { disktype: 'ssd', zone: 'a', cores: '16' } });
  const hddB = node({ name: 'hdd-b', labels: { disktype: 'hdd', zone: 'b', cores: '4' } });
  const bare = node({ name: 'bare', labels: {} });
  const nodes = [ssdA, hddB, bare];
  const mismatch = ["node(s) didn't match Pod's node affinity/selector"];
  const required = (...nodeSelectorTerms: object[]): Partial<PodSpec> => ({
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } },
  });
  const expr = (key: string, operator: string, values?: string[]) => ({
    key,
    operator,
    ...(values ? { values } : {}),
  });

  it('admits every node when the pod has neither nodeSelector nor required affinity', () => {
    expect(filterWith(nodeAffinity, pod(), nodes)).toEqual({
      'ssd-a': 'fits',
      'hdd-b': 'fits',
      bare: 'fits',
    });
  });

  it('matches spec.nodeSelector label by label', () => {
    expect(filterWith(nodeAffinity, pod({ nodeSelector: { disktype: 'ssd', zone: 'a' } }), nodes)).toEqual({
      'ssd-a': 'fits',
      'hdd-b': mismatch,
      bare: mismatch,
    });
  });

  it.each([
    ['In', expr('disktype', 'In', ['ssd', 'nvme']), ['ssd-a']],
    ['NotIn (a missing label is not in)', expr('disktype', 'NotIn', ['ssd']), ['hdd-b', 'bare']],
    ['Exists', expr('zone', 'Exists'), ['ssd-a', 'hdd-b']],
    ['DoesNotExist', expr('zone', 'DoesNotExist'), ['bare']],
    ['Gt (integers)', expr('cores', 'Gt', ['8']), ['ssd-a']],
    ['Lt (integers)', expr('cores', 'Lt', ['8']), ['hdd-b']],
  ])('supports operator %s', (_, requirement, admitted) => {
    const result = filterWith(nodeAffinity, pod(required({ matchExpressions: [requirement] })), nodes);
    expect(Object.keys(result).filter((name) => result[name] === 'fits')).toEqual(admitted);
  });

  it('ANDs the expressions of one term and ORs the terms', () => {
    const both = required({ matchExpressions: [expr('disktype', 'In', ['ssd']), expr('zone', 'In', ['b'])] });
    expect(filterWith(nodeAffinity, pod(both), nodes)).toEqual({
      'ssd-a': mismatch,
      'hdd-b': mismatch,
      bare: mismatch,
    });
    const either = required(
      { matchExpressions: [expr('disktype', 'In', ['ssd'])] },
      { matchExpressions: [expr('zone', 'In', ['b'])] },
    );
    expect(filterWith(nodeAffinity, pod(either), nodes)).toEqual({
      'ssd-a': 'fits',
      'hdd-b': 'fits',
      bare: mismatch,
    });
  });

  it('requires nodeSelector and node affinity both', () => {
    const p = pod({
      nodeSelector: { disktype: 'hdd' },
      ...required({ matchExpressions: [expr('zone', 'Exists')] }),
    });
    expect(filterWith(nodeAffinity, p, nodes)).toEqual({
      'ssd-a': mismatch,
      'hdd-b': 'fits',
      bare: mismatch,
    });
  });

  it('matches nothing with an empty term, or with a term that does not parse', () => {
    const empty = pod(required({}));
    expect(filterWith(nodeAffinity, empty, [ssdA])).toEqual({ 'ssd-a': mismatch });
    const notAnInteger = pod(required({ matchExpressions: [expr('cores', 'Gt', ['many'])] }));
    expect(filterWith(nodeAffinity, notAnInteger, [ssdA])).toEqual({ 'ssd-a': mismatch });
    const inWithoutValues = pod(required({ matchExpressions: [expr('zone', 'In', [])] }));
    expect(filterWith(nodeAffinity, inWithoutValues, [ssdA])).toEqual({ 'ssd-a': mismatch });
  });

  it('selects nodes by name with matchFields metadata.name, and narrows the nodes to look at', () => {
    const p = pod(required({ matchFields: [expr('metadata.name', 'In', ['hdd-b'])] }));
    expect(filterWith(nodeAffinity, p, nodes)).toEqual({
      'ssd-a': mismatch,
      'hdd-b': 'fits',
      bare: mismatch,
    });
    const result = nodeAffinity.preFilter(newSchedulingCycle(p, podRequests(p), nodes));
    expect(result.nodeNames).toEqual(new Set(['hdd-b']));
  });

  it('rejects the pod outright when every term pins disjoint node names', () => {
    const p = pod(
      required({
        matchFields: [expr('metadata.name', 'In', ['ssd-a']), expr('metadata.name', 'In', ['hdd-b'])],
      }),
    );
    expect(nodeAffinity.preFilter(newSchedulingCycle(p, podRequests(p), nodes)).rejected).toBe(
      'pod affinity terms conflict',
    );
  });

  describe('score', () => {
    const preferred = (...terms: { weight: number; preference: object }[]): Partial<PodSpec> => ({
      affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: terms } },
    });

    it('sums the weights of the matching preferred terms, the best node scoring 100', () => {
      // As Kubernetes' test "all nodes matches the preferred scheduling requirements of pod but
      // with different priorities": weights 2, 4 and 5 → sums 2, 4, 11 → 18, 36, 100.
      const p = pod(
        preferred(
          { weight: 2, preference: { matchExpressions: [expr('foo', 'In', ['bar'])] } },
          { weight: 4, preference: { matchExpressions: [expr('key', 'In', ['value'])] } },
          {
            weight: 5,
            preference: {
              matchExpressions: [
                expr('foo', 'In', ['bar']),
                expr('key', 'In', ['value']),
                expr('az', 'In', ['az1']),
              ],
            },
          },
        ),
      );
      const scored = [
        node({ name: 'node1', labels: { foo: 'bar' } }),
        node({ name: 'node5', labels: { foo: 'bar', key: 'value', az: 'az1' } }),
        node({ name: 'node2', labels: { key: 'value' } }),
      ];
      expect(scoreWith(nodeAffinityScore, p, scored)).toEqual({ node1: 18, node5: 100, node2: 36 });
    });

    it('scores 0 everywhere when no node matches a preference, and skips pods without preferences', () => {
      const p = pod(preferred({ weight: 10, preference: { matchExpressions: [expr('gpu', 'Exists')] } }));
      expect(scoreWith(nodeAffinityScore, p, [ssdA, hddB])).toEqual({ 'ssd-a': 0, 'hdd-b': 0 });
      expect(scoreWith(nodeAffinityScore, pod(), [ssdA, hddB])).toBe('skipped');
    });
  });
});

describe('NodeResourcesFit', () => {
  it('admits a node with room and lists every shortfall of one without', () => {
    const nodes = [
      node({ name: 'roomy' }),
      node({ name: 'full', usedCpu: 3800, usedMemory: 8 * Gi, usedPods: 110 }),
      node({ name: 'exact', cpu: 1000, memory: Gi, usedCpu: 500, usedMemory: Gi / 2 }),
    ];
    expect(filterWith(nodeResourcesFit, pod({ cpu: '500m', memory: '512Mi' }), nodes)).toEqual({
      roomy: 'fits',
      full: ['Too many pods', 'Insufficient cpu', 'Insufficient memory'],
      exact: 'fits',
    });
  });

  it('only needs a pod slot for a pod that requests nothing', () => {
    const nodes = [node({ name: 'taken', usedCpu: 4000, usedMemory: 8 * Gi })];
    expect(filterWith(nodeResourcesFit, pod(), nodes)).toEqual({ taken: 'fits' });
  });

  describe('LeastAllocated (default)', () => {
    it('scores (free after placing the pod / allocatable) * 100 per resource, averaged', () => {
      // Kubernetes' "nothing scheduled, resources requested, differently sized nodes":
      // cpu (4000-3000)/4000 = 25, memory (10000-5000)/10000 = 50 → 37; on 6000: 50 and 50 → 50.
      const p = pod({ cpu: '3', memory: '5000' });
      const nodes = [
        node({ name: 'node1', cpu: 4000, memory: 10000 }),
        node({ name: 'node2', cpu: 6000, memory: 10000 }),
      ];
      expect(scoreWith(leastAllocated, p, nodes)).toEqual({ node1: 37, node2: 50 });
    });

    it('counts what bound pods request and scores an overcommitted resource 0', () => {
      const p = pod({ cpu: '1', memory: '1Gi' });
      const nodes = [
        node({ name: 'half', cpu: 4000, memory: 4 * Gi, usedCpu: 1000, usedMemory: Gi }),
        node({ name: 'over', cpu: 4000, memory: 4 * Gi, usedCpu: 3500, usedMemory: Gi }),
      ];
      // half: cpu 50, memory 50 → 50; over: cpu 0 (4500 > 4000), memory 50 → 25.
      expect(scoreWith(leastAllocated, p, nodes)).toEqual({ half: 50, over: 25 });
    });

    it('counts a container without requests as 100m cpu and 200Mi memory', () => {
      const nodes = [node({ name: 'small', cpu: 1000, memory: 2000 * Mi })];
      // (1000-100)/1000 = 90, (2000-200)/2000 = 90.
      expect(scoreWith(leastAllocated, pod(), nodes)).toEqual({ small: 90 });
      const twoContainers: Pod = {
        metadata: { name: 'two', namespace: 'default' },
        spec: {
          containers: [
            { name: 'a', image: 'x' },
            { name: 'b', image: 'x', resources: { requests: { cpu: '0' } } },
          ],
        },
      };
      // a: 100m + 200Mi; b states cpu 0 (kept) and no memory (200Mi): 100m, 400Mi → 90, 80 → 85.
      expect(scoreWith(leastAllocated, twoContainers, nodes)).toEqual({ small: 85 });
    });
  });

  describe('MostAllocated', () => {
    it('scores (requested after placing the pod / allocatable) * 100 per resource, averaged', () => {
      // Kubernetes' "nothing scheduled, resources requested, differently sized nodes": 75 and 50 → 62; 50 and 50 → 50.
      const p = pod({ cpu: '3', memory: '5000' });
      const nodes = [
        node({ name: 'node1', cpu: 4000, memory: 10000 }),
        node({ name: 'node2', cpu: 6000, memory: 10000 }),
      ];
      expect(scoreWith(mostAllocated, p, nodes)).toEqual({ node1: 62, node2: 50 });
    });

    it('caps a resource at full', () => {
      const nodes = [node({ name: 'tiny', cpu: 50, memory: 100 * Mi })];
      expect(scoreWith(mostAllocated, pod(), nodes)).toEqual({ tiny: 100 });
    });
  });
});

describe('NodeResourcesBalancedAllocation', () => {
  it('scores (1 - |cpu fraction - memory fraction| / 2) * 100 after placing the pod', () => {
    // Kubernetes' "nothing scheduled, resources requested, differently sized nodes":
    // 3000/4000 = .75 and 5000/10000 = .5 → std .125 → 87; .5 and .5 → 100.
    const p = pod({ cpu: '3', memory: '5000' });
    const nodes = [
      node({ name: 'node1', cpu: 4000, memory: 10000 }),
      node({ name: 'node2', cpu: 6000, memory: 10000 }),
    ];
    expect(scoreWith(balancedAllocation, p, nodes)).toEqual({ node1: 87, node2: 100 });
  });

  it('counts what pods request, caps fractions at 1, and skips pods that request nothing', () => {
    const nodes = [node({ name: 'busy', cpu: 1000, memory: 1000, usedCpu: 2000, usedMemory: 250 })];
    // cpu (2000+500)/1000 → 1, memory (250+250)/1000 = .5 → 75.
    expect(scoreWith(balancedAllocation, pod({ cpu: '500m', memory: '250' }), nodes)).toEqual({ busy: 75 });
    expect(scoreWith(balancedAllocation, pod(), nodes)).toBe('skipped');
  });
});

describe('PodTopologySpread', () => {
  const zone = 'topology.kubernetes.io/zone';
  const hostname = 'kubernetes.io/hostname';
  const web = (count: number, namespace = 'default'): PodOnNode[] =>
    Array.from({ length: count }, () => ({ namespace, labels: { app: 'web' } }));
  const zoned = (
    name: string,
    z: string,
    podsOnNode: PodOnNode[] = [],
    labels: Record<string, string> = {},
  ) => node({ name, labels: { [hostname]: name, [zone]: z, ...labels }, podsOnNode });
  const spread = (
    maxSkew: number,
    topologyKey: string,
    whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway',
    extra: object = {},
  ): Partial<PodSpec> => ({
    topologySpreadConstraints: [
      { maxSkew, topologyKey, whenUnsatisfiable, labelSelector: { matchLabels: { app: 'web' } }, ...extra },
    ],
  });
  const webPod = (spec: Partial<PodSpec>) => pod({ labels: { app: 'web' }, ...spec });
  const tooSkewed = ["node(s) didn't match pod topology spread constraints"];

  describe('DoNotSchedule', () => {
    // The API reference's example: pods spread 2/2/1 over three zones.
    const nodes = [
      zoned('a1', 'zone1', web(1)),
      zoned('a2', 'zone1', web(1)),
      zoned('b1', 'zone2', web(2)),
      zoned('c1', 'zone3', web(1)),
    ];

    it('with maxSkew 1 admits only the zone with the fewest matching pods', () => {
      expect(filterWith(podTopologySpread, webPod(spread(1, zone, 'DoNotSchedule')), nodes)).toEqual({
        a1: tooSkewed,
        a2: tooSkewed,
        b1: tooSkewed,
        c1: 'fits',
      });
    });

    it('with maxSkew 2 admits every zone', () => {
      const result = filterWith(podTopologySpread, webPod(spread(2, zone, 'DoNotSchedule')), nodes);
      expect(Object.values(result)).toEqual(['fits', 'fits', 'fits', 'fits']);
    });

    it('spreads over hostnames: only the emptiest nodes are admitted with maxSkew 1', () => {
      const hosts = [zoned('h1', 'zone1', web(1)), zoned('h2', 'zone1'), zoned('h3', 'zone2', web(1))];
      expect(filterWith(podTopologySpread, webPod(spread(1, hostname, 'DoNotSchedule')), hosts)).toEqual({
        h1: tooSkewed,
        h2: 'fits',
        h3: tooSkewed,
      });
    });

    it('rejects a node without the topology key', () => {
      const unlabeled = node({ name: 'unlabeled', labels: { [hostname]: 'unlabeled' } });
      expect(
        filterWith(podTopologySpread, webPod(spread(1, zone, 'DoNotSchedule')), [unlabeled, ...nodes]),
      ).toMatchObject({
        unlabeled: ["node(s) didn't match pod topology spread constraints (missing required label)"],
      });
    });

    it('treats the global minimum as 0 while there are fewer domains than minDomains', () => {
      const two = [zoned('a', 'zone1', web(1)), zoned('b', 'zone2', web(1))];
      // Without minDomains: 1 + 1 - 1 = 1 <= 1 everywhere; with minDomains 3: 1 + 1 - 0 = 2 > 1.
      expect(
        Object.values(filterWith(podTopologySpread, webPod(spread(1, zone, 'DoNotSchedule')), two)),
      ).toEqual(['fits', 'fits']);
      const withMinDomains = webPod(spread(1, zone, 'DoNotSchedule', { minDomains: 3 }));
      expect(Object.values(filterWith(podTopologySpread, withMinDomains, two))).toEqual([
        tooSkewed,
        tooSkewed,
      ]);
    });

    it('counts only pods of the same namespace that match the selector, plus the pod if it matches', () => {
      const hosts = [
        zoned('h1', 'zone1', web(3, 'other')),
        zoned('h2', 'zone2', [{ namespace: 'default', labels: { app: 'db' } }]),
      ];
      expect(
        Object.values(filterWith(podTopologySpread, webPod(spread(1, hostname, 'DoNotSchedule')), hosts)),
      ).toEqual(['fits', 'fits']);
      // A pod outside its own selector adds nothing to the skew.
      const busy = [zoned('h1', 'zone1', web(1)), zoned('h2', 'zone2')];
      const outsider = pod({ labels: { app: 'batch' }, ...spread(1, hostname, 'DoNotSchedule') });
      expect(Object.values(filterWith(podTopologySpread, outsider, busy))).toEqual(['fits', 'fits']);
    });

    it('leaves domains the pod cannot go to (node affinity) out of the minimum (nodeAffinityPolicy Honor)', () => {
      const hosts = [
        zoned('a', 'zone1', web(1), { pool: 'x' }),
        zoned('b', 'zone2', web(1), { pool: 'x' }),
        zoned('c', 'zone3', [], { pool: 'y' }),
      ];
      const honor = webPod({ nodeSelector: { pool: 'x' }, ...spread(1, zone, 'DoNotSchedule') });
      expect(filterWith(podTopologySpread, honor, hosts)).toMatchObject({ a: 'fits', b: 'fits' });
      const ignore = webPod({
        nodeSelector: { pool: 'x' },
        ...spread(1, zone, 'DoNotSchedule', { nodeAffinityPolicy: 'Ignore' }),
      });
      expect(filterWith(podTopologySpread, ignore, hosts)).toMatchObject({ a: tooSkewed, b: tooSkewed });
    });

    it('adds the pod’s own values for matchLabelKeys to the selector', () => {
      const v1 = { namespace: 'default', labels: { app: 'web', rev: 'v1' } };
      const hosts = [zoned('h1', 'zone1', [v1, v1]), zoned('h2', 'zone2')];
      const v2 = pod({
        labels: { app: 'web', rev: 'v2' },
        ...spread(1, zone, 'DoNotSchedule', { matchLabelKeys: ['rev'] }),
      });
      expect(Object.values(filterWith(podTopologySpread, v2, hosts))).toEqual(['fits', 'fits']);
    });

    it('counts no existing pods with an empty selector ({}), though the pod itself matches it', () => {
      // countPodsMatchSelector returns 0 for labels.Everything(); selfMatch is 1: skew 0 + 1 - 0.
      const hosts = [zoned('h1', 'zone1', web(3)), zoned('h2', 'zone2')];
      const everything = webPod({
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: hostname, whenUnsatisfiable: 'DoNotSchedule', labelSelector: {} },
        ],
      });
      expect(Object.values(filterWith(podTopologySpread, everything, hosts))).toEqual(['fits', 'fits']);
    });

    it('has nothing to check for pods without DoNotSchedule constraints', () => {
      const p = webPod(spread(1, zone, 'ScheduleAnyway'));
      expect(
        podTopologySpread.preFilter(newSchedulingCycle(p, podRequests(p), nodes)).filter,
      ).toBeUndefined();
    });
  });

  describe('ScheduleAnyway (score)', () => {
    // Cases and expected scores from Kubernetes' TestPodTopologySpreadScore.
    const foo = (count: number, namespace = 'default'): PodOnNode[] =>
      Array.from({ length: count }, () => ({ namespace, labels: { foo: '' } }));
    const host = (name: string, podsOnNode: PodOnNode[] = [], extra: Record<string, string> = {}) =>
      node({ name, labels: { [hostname]: name, ...extra }, podsOnNode });
    const fooPod = (...constraints: { maxSkew: number; topologyKey: string; selector?: object | null }[]) =>
      pod({
        labels: { foo: '', bar: '' },
        topologySpreadConstraints: constraints.map(({ maxSkew, topologyKey, selector }) => ({
          maxSkew,
          topologyKey,
          whenUnsatisfiable: 'ScheduleAnyway',
          ...(selector === null
            ? {}
            : { labelSelector: selector ?? { matchExpressions: [{ key: 'foo', operator: 'Exists' }] } }),
        })),
      });
    const barSelector = { matchExpressions: [{ key: 'bar', operator: 'Exists' }] };

    it('one constraint on node, matching pods 2/1/0/3 → 20, 60, 100, 0', () => {
      const nodes = [host('node-a', foo(2)), host('node-b', foo(1)), host('node-c'), host('node-d', foo(3))];
      expect(scoreWith(podTopologySpreadScore, fooPod({ maxSkew: 1, topologyKey: hostname }), nodes)).toEqual(
        {
          'node-a': 20,
          'node-b': 60,
          'node-c': 100,
          'node-d': 0,
        },
      );
    });

    it('a larger maxSkew waters differences down: maxSkew 2 → 33, 66, 100, 16', () => {
      const nodes = [host('node-a', foo(2)), host('node-b', foo(1)), host('node-c'), host('node-d', foo(3))];
      expect(scoreWith(podTopologySpreadScore, fooPod({ maxSkew: 2, topologyKey: hostname }), nodes)).toEqual(
        {
          'node-a': 33,
          'node-b': 66,
          'node-c': 100,
          'node-d': 16,
        },
      );
    });

    it('maxSkew 3 with pods 4/3/2/1 → 44, 66, 77, 100', () => {
      const nodes = [
        host('node-a', foo(4)),
        host('node-b', foo(3)),
        host('node-c', foo(2)),
        host('node-d', foo(1)),
      ];
      expect(scoreWith(podTopologySpreadScore, fooPod({ maxSkew: 3, topologyKey: hostname }), nodes)).toEqual(
        {
          'node-a': 44,
          'node-b': 66,
          'node-c': 77,
          'node-d': 100,
        },
      );
    });

    it('a nil selector counts no pods: every node scores 100', () => {
      const nodes = [host('node-a', foo(2)), host('node-b', foo(1)), host('node-c'), host('node-d', foo(3))];
      const scores = scoreWith(
        podTopologySpreadScore,
        fooPod({ maxSkew: 1, topologyKey: hostname, selector: null }),
        nodes,
      );
      expect(scores).toEqual({ 'node-a': 100, 'node-b': 100, 'node-c': 100, 'node-d': 100 });
    });

    it('counts zone domains over every node, scoring only the feasible ones: 4/2/1/~3~ → 75, 75, 100', () => {
      const zone1 = { zone: 'zone1' };
      const zone2 = { zone: 'zone2' };
      const feasible = [
        host('node-a', foo(4), zone1),
        host('node-b', foo(2), zone1),
        host('node-x', foo(1), zone2),
      ];
      const failed = host('node-y', foo(3), zone2);
      expect(
        scoreWith(podTopologySpreadScore, fooPod({ maxSkew: 1, topologyKey: 'zone' }), feasible, [
          ...feasible,
          failed,
        ]),
      ).toEqual({
        'node-a': 75,
        'node-b': 75,
        'node-x': 100,
      });
    });

    it('scores 0 a node without the topology key: 4/?2?/1/~3~ → 16, 0, 100', () => {
      const feasible = [
        host('node-a', foo(4)),
        node({ name: 'node-b', labels: { n: 'node-b' }, podsOnNode: foo(2) }),
        host('node-x', foo(1)),
      ];
      const all = [...feasible, host('node-y', foo(3))];
      expect(
        scoreWith(podTopologySpreadScore, fooPod({ maxSkew: 1, topologyKey: hostname }), feasible, all),
      ).toEqual({
        'node-a': 16,
        'node-b': 0,
        'node-x': 100,
      });
    });

    it('two constraints with different selectors (zone on foo, node on bar) → 60, 20, 100, 60', () => {
      const fooOnly = { namespace: 'default', labels: { foo: '' } };
      const fooBar = { namespace: 'default', labels: { foo: '', bar: '' } };
      const barOnly = { namespace: 'default', labels: { bar: '' } };
      const nodes = [
        host('node-a', [fooOnly], { zone: 'zone1' }),
        host('node-b', [fooBar], { zone: 'zone1' }),
        host('node-x', [], { zone: 'zone2' }),
        host('node-y', [fooOnly, barOnly], { zone: 'zone2' }),
      ];
      const p = fooPod(
        { maxSkew: 1, topologyKey: 'zone' },
        { maxSkew: 1, topologyKey: hostname, selector: barSelector },
      );
      expect(scoreWith(podTopologySpreadScore, p, nodes)).toEqual({
        'node-a': 60,
        'node-b': 20,
        'node-x': 100,
        'node-y': 60,
      });
    });

    it('does not count pods of another namespace → 100, 33', () => {
      const nodes = [host('node-a', [...foo(1, 'ns1'), ...foo(1)]), host('node-b', foo(2))];
      expect(scoreWith(podTopologySpreadScore, fooPod({ maxSkew: 1, topologyKey: hostname }), nodes)).toEqual(
        {
          'node-a': 100,
          'node-b': 33,
        },
      );
    });

    it('skips pods without ScheduleAnyway constraints', () => {
      expect(scoreWith(podTopologySpreadScore, pod(), [host('node-a')])).toBe('skipped');
    });
  });
});
