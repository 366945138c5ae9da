import { describe, expect, it } from 'vitest';
import type { Pod } from '../../functions/core/k8s';
import { podRequests } from '../../functions/core/pod/requests';
import {
  type NodeInfo,
  numFeasibleNodesToFind,
  type Profile,
  schedulePod,
  unschedulableMessage,
} from '../../functions/core/scheduler/framework';
import { createProfile, defaultProfile } from '../../functions/core/scheduler/profile';
import { Gi, node, pod } from './scheduler-nodes';

// The scheduling cycle as a whole: Kubernetes' FitError text ("0/N nodes are available: ..."
// with "<count> <reason>" entries sorted as strings, each node counted under the reasons of the
// first filter that rejected it), the default score weights, the NodeResourcesFit scoring
// strategies and percentageOfNodesToScore.

const schedule = (p: Pod, nodes: NodeInfo[], profile: Profile = defaultProfile) =>
  schedulePod(p, podRequests(p), nodes, profile);

const gpuTaint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };

describe('the unschedulable message', () => {
  it('counts each node under its reason: 1 untolerated taint, 2 Insufficient cpu', () => {
    const nodes = [
      node({ name: 'gpu', taints: [gpuTaint] }),
      node({ name: 'n2', usedCpu: 3800 }),
      node({ name: 'n3', usedCpu: 3900 }),
    ];
    expect(schedule(pod('500m'), nodes)).toEqual({
      kind: 'unschedulable',
      message: '0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu.',
    });
  });

  it('judges a node by the first filter that rejects it, in Kubernetes’ order', () => {
    // Cordoned and tainted and full: NodeUnschedulable runs first. Tainted and full: TaintToleration.
    const nodes = [
      node({ name: 'everything', unschedulable: true, taints: [gpuTaint], usedCpu: 4000 }),
      node({ name: 'tainted-full', taints: [gpuTaint], usedCpu: 4000 }),
      node({ name: 'wrong-zone-full', labels: { zone: 'b' }, usedCpu: 4000 }),
    ];
    expect(schedule(pod('500m', undefined, { nodeSelector: { zone: 'a' } }), nodes)).toEqual({
      kind: 'unschedulable',
      message:
        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint(s), 1 node(s) were unschedulable.",
    });
  });

  it('sorts "<count> <reason>" as strings, capitals before lower case and 10 before 2', () => {
    const nodes = [
      ...Array.from({ length: 10 }, (_, i) => node({ name: `busy-${i}`, usedCpu: 4000 })),
      node({ name: 'cordoned-1', unschedulable: true }),
      node({ name: 'cordoned-2', unschedulable: true }),
      node({ name: 'crowded', pods: 10, usedPods: 10 }),
    ];
    expect(schedule(pod('100m'), nodes)).toEqual({
      kind: 'unschedulable',
      message:
        '0/13 nodes are available: 1 Too many pods, 10 Insufficient cpu, 2 node(s) were unschedulable.',
    });
  });

  it('counts one node under every resource it lacks', () => {
    const nodes = [
      node({ name: 'n1', usedCpu: 4000, usedMemory: 8 * Gi, pods: 1, usedPods: 1 }),
      node({ name: 'n2', usedMemory: 8 * Gi }),
    ];
    expect(schedule(pod('1', '1Gi'), nodes)).toEqual({
      kind: 'unschedulable',
      message: '0/2 nodes are available: 1 Insufficient cpu, 1 Too many pods, 2 Insufficient memory.',
    });
  });

  it('reports topology spread with the other reasons', () => {
    const zone = 'topology.kubernetes.io/zone';
    const nodes = [
      {
        ...node({ name: 'a', labels: { [zone]: 'a' } }),
        pods: [{ namespace: 'default', labels: { app: 'web' } }],
      },
      node({ name: 'b', labels: { [zone]: 'b' }, usedCpu: 4000 }),
      node({ name: 'unzoned' }),
    ];
    const p: Pod = {
      ...pod('500m', undefined, {
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: zone,
            whenUnsatisfiable: 'DoNotSchedule',
            labelSelector: { matchLabels: { app: 'web' } },
          },
        ],
      }),
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    };
    // Zone a holds 1, zone b 0: a would be 2 - 0 > 1; b fits the spread but not the cpu.
    expect(schedule(p, nodes)).toEqual({
      kind: 'unschedulable',
      message:
        "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match pod topology spread constraints, 1 node(s) didn't match pod topology spread constraints (missing required label).",
    });
  });

  it('counts the nodes a PreFilter left out under the plugin that did so', () => {
    // matchFields metadata.name pins n2: n1 and n3 are never filtered.
    const nodes = [node({ name: 'n1' }), node({ name: 'n2', usedCpu: 4000 }), node({ name: 'n3' })];
    const pinned = pod('100m', undefined, {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }],
          },
        },
      },
    });
    expect(schedule(pinned, nodes)).toEqual({
      kind: 'unschedulable',
      message:
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity].",
    });
  });

  it('says a PreFilter rejection once, for all nodes', () => {
    const conflicting = pod('100m', undefined, {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchFields: [
                  { key: 'metadata.name', operator: 'In', values: ['n1'] },
                  { key: 'metadata.name', operator: 'In', values: ['n2'] },
                ],
              },
            ],
          },
        },
      },
    });
    expect(schedule(conflicting, [node({ name: 'n1' }), node({ name: 'n2' })])).toEqual({
      kind: 'unschedulable',
      message: '0/2 nodes are available: pod affinity terms conflict.',
    });
  });

  it('formats a histogram directly', () => {
    expect(
      unschedulableMessage(
        5,
        new Map([
          ['node(s) were unschedulable', 2],
          ['Insufficient memory', 3],
        ]),
      ),
    ).toBe('0/5 nodes are available: 2 node(s) were unschedulable, 3 Insufficient memory.');
  });
});

describe('scores with Kubernetes’ default weights', () => {
  it('TaintToleration (3) outweighs NodeResourcesFit (1): an idle node with a PreferNoSchedule taint loses', () => {
    const nodes = [
      node({ name: 'a-idle-spot', taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] }),
      node({ name: 'b-busy', usedCpu: 3000, usedMemory: 6 * Gi }),
    ];
    // a: 0×3 + fit 97 + balanced 99 = 196; b: 100×3 + fit 22 + balanced 99 = 421.
    expect(schedule(pod('100m', '128Mi'), nodes)).toEqual({ kind: 'bound', nodeName: 'b-busy' });
  });

  it('NodeAffinity preferences (2) can outweigh free room (1)', () => {
    const preferSsd = pod('100m', '128Mi', {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 1,
              preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
            },
          ],
        },
      },
    });
    const nodes = [
      node({ name: 'a-hdd-idle', labels: { disk: 'hdd' } }),
      node({ name: 'b-ssd-busy', labels: { disk: 'ssd' }, usedCpu: 2000, usedMemory: 4 * Gi }),
    ];
    // a: 0×2 + fit 97 + balanced 99 = 196; b: 100×2 + 47 + 99 = 346. A term's weight only matters
    // relative to the pod's other terms: the best match always scores 100.
    expect(schedule(preferSsd, nodes)).toEqual({ kind: 'bound', nodeName: 'b-ssd-busy' });
  });

  it('PodTopologySpread ScheduleAnyway (2) steers a pod to the zone with fewer matching pods', () => {
    const zone = 'topology.kubernetes.io/zone';
    const web = { namespace: 'default', labels: { app: 'web' } };
    const nodes = [
      { ...node({ name: 'a-crowded', labels: { [zone]: 'a' } }), pods: [web, web, web] },
      { ...node({ name: 'b-empty', labels: { [zone]: 'b' }, usedCpu: 1000, usedMemory: 2 * Gi }), pods: [] },
    ];
    const p: Pod = {
      ...pod('100m', '128Mi', {
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: zone,
            whenUnsatisfiable: 'ScheduleAnyway',
            labelSelector: { matchLabels: { app: 'web' } },
          },
        ],
      }),
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    };
    expect(schedule(p, nodes)).toEqual({ kind: 'bound', nodeName: 'b-empty' });
  });

  it('breaks ties by node name, whatever the order of the nodes', () => {
    const nodes = [node({ name: 'n2' }), node({ name: 'n1' }), node({ name: 'n3' })];
    expect(schedule(pod('100m'), nodes)).toEqual({ kind: 'bound', nodeName: 'n1' });
    expect(schedule(pod('100m'), [...nodes].reverse())).toEqual({ kind: 'bound', nodeName: 'n1' });
  });
});

describe('createProfile', () => {
  const nodes = [
    node({ name: 'a-half', usedCpu: 2000, usedMemory: 4 * Gi, usedPods: 5 }),
    node({ name: 'b-empty' }),
    node({ name: 'c-almost-full', usedCpu: 3500, usedMemory: 7 * Gi, usedPods: 20 }),
  ];

  it('spreads with LeastAllocated by default', () => {
    expect(schedule(pod('250m', '512Mi'), nodes, createProfile())).toEqual({
      kind: 'bound',
      nodeName: 'b-empty',
    });
  });

  it('bin-packs with MostAllocated: the fullest node the pod still fits', () => {
    const packing = createProfile({ scoringStrategy: 'MostAllocated' });
    expect(schedule(pod('250m', '512Mi'), nodes, packing)).toEqual({
      kind: 'bound',
      nodeName: 'c-almost-full',
    });
    expect(schedule(pod('1', '512Mi'), nodes, packing)).toEqual({ kind: 'bound', nodeName: 'a-half' });
  });

  it('refuses an unknown strategy or percentage', () => {
    expect(() => createProfile({ scoringStrategy: 'Random' as never })).toThrow(/unknown scoring strategy/);
    expect(() => createProfile({ percentageOfNodesToScore: 120 })).toThrow(/percentageOfNodesToScore/);
  });

  it('lists the filters in Kubernetes’ order and the scores with their default weights', () => {
    expect(defaultProfile.filters.map((f) => f.name)).toEqual([
      'NodeUnschedulable',
      'NodeName',
      'TaintToleration',
      'NodeAffinity',
      'NodePorts',
      'NodeResourcesFit',
      'PodTopologySpread',
    ]);
    expect(Object.fromEntries(defaultProfile.scores.map((s) => [s.name, s.weight]))).toEqual({
      TaintToleration: 3,
      NodeAffinity: 2,
      PodTopologySpread: 2,
      NodeResourcesFit: 1,
      NodeResourcesBalancedAllocation: 1,
    });
  });
});

describe('percentageOfNodesToScore', () => {
  it.each([
    [50, 0, 50], // fewer than 100 nodes: all of them
    [100, 0, 100],
    [1000, 0, 420], // 50 - 1000/125 = 42%
    [5000, 0, 500], // 10%
    [6000, 0, 300], // 50 - 48 = 2% → at least 5%
    [20000, 0, 1000],
    [5000, 100, 5000],
    [5000, 1, 100], // never fewer than 100
  ])('with %i nodes and percentage %i looks for %i feasible nodes', (nodes, percentage, expected) => {
    expect(numFeasibleNodesToFind(percentage, nodes)).toBe(expected);
  });

  // 200 nodes: the adaptive search stops at 100 feasible ones, so the single idle node is found
  // only by the pods whose search passes it; looking at every node always finds it.
  const many = [
    ...Array.from({ length: 199 }, (_, i) =>
      node({ name: `busy-${String(i).padStart(3, '0')}`, usedCpu: 2000, usedMemory: 4 * Gi }),
    ),
    node({ name: 'idle' }),
  ];
  const picks = (profile: Profile) =>
    Array.from({ length: 40 }, (_, i) => schedule(pod('100m', '128Mi', {}, `web-${i}`), many, profile)).map(
      (r) => (r.kind === 'bound' ? r.nodeName : r.message),
    );

  it('stops the search once enough nodes fit, as Kubernetes does for large clusters', () => {
    const adaptive = picks(defaultProfile);
    expect(adaptive).toContain('idle');
    expect(adaptive.some((name) => name !== 'idle')).toBe(true);
  });

  it('finds the best node every time when told to score all nodes', () => {
    expect(new Set(picks(createProfile({ percentageOfNodesToScore: 100 })))).toEqual(new Set(['idle']));
  });

  it('gives the same pod the same node every time', () => {
    expect(picks(defaultProfile)).toEqual(picks(defaultProfile));
  });

  it('still reports every node when none fits', () => {
    const full = many.map((n) => ({ ...n, requested: { ...n.requested, cpuMillis: 4000 } }));
    expect(schedule(pod('100m'), full)).toEqual({
      kind: 'unschedulable',
      message: '0/200 nodes are available: 200 Insufficient cpu.',
    });
  });
});
