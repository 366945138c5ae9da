import fc from 'fast-check';
import type { Taint, Toleration } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../functions/core/k8s';
import { podRequests } from '../../functions/core/pod/requests';
import { type NodeInfo, type PodOnNode, schedulePod } from '../../functions/core/scheduler/framework';
import { createProfile, defaultProfile } from '../../functions/core/scheduler/profile';

// Whatever the cluster and the pod, a pod bound by the default profile never lands on a node that
// breaks one of its hard rules, and a pod is left unschedulable only when no node keeps them all.
// The rules are written out here from Kubernetes' documentation (taints and tolerations, node
// affinity, resource requests, topology spread constraints), independently of the plugins.

const Gi = 2 ** 30;
const zoneKey = 'topology.kubernetes.io/zone';
const hostKey = 'kubernetes.io/hostname';

const taintChoices: Taint[] = [
  { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
  { key: 'maintenance', effect: 'NoExecute' },
  { key: 'spot', value: 'true', effect: 'PreferNoSchedule' },
];
const tolerationChoices: Toleration[] = [
  { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
  { key: 'dedicated', operator: 'Equal', value: 'cpu' },
  { key: 'maintenance', operator: 'Exists' },
  { key: 'maintenance', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

const podOnNodeArb: fc.Arbitrary<PodOnNode> = fc.record({
  namespace: fc.constantFrom('default', 'other'),
  labels: fc.constantFrom<Record<string, string>>({ app: 'web' }, { app: 'db' }, {}),
});

const nodeArb = fc.record({
  zone: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }),
  disk: fc.option(fc.constantFrom('ssd', 'hdd'), { nil: undefined }),
  taints: fc.subarray(taintChoices),
  unschedulable: fc.boolean(),
  cpu: fc.integer({ min: 0, max: 8000 }),
  memoryGi: fc.integer({ min: 0, max: 32 }),
  pods: fc.integer({ min: 0, max: 20 }),
  usedCpu: fc.integer({ min: 0, max: 8000 }),
  usedMemoryGi: fc.integer({ min: 0, max: 32 }),
  podsOnNode: fc.array(podOnNodeArb, { maxLength: 4 }),
});

const nodesArb = fc.array(nodeArb, { maxLength: 8 }).map((shapes) =>
  shapes.map((s, i): NodeInfo => {
    const name = `node-${i}`;
    return {
      node: {
        metadata: {
          name,
          labels: {
            [hostKey]: name,
            ...(s.zone ? { [zoneKey]: s.zone } : {}),
            ...(s.disk ? { disk: s.disk } : {}),
          },
        },
        spec: { ...(s.unschedulable ? { unschedulable: true } : {}), taints: s.taints },
      },
      allocatable: { cpuMillis: s.cpu, memoryBytes: s.memoryGi * Gi, pods: s.pods },
      requested: { cpuMillis: s.usedCpu, memoryBytes: s.usedMemoryGi * Gi, pods: s.podsOnNode.length },
      pods: s.podsOnNode,
    };
  }),
);

const podArb = fc.record({
  cpu: fc.option(fc.integer({ min: 0, max: 4000 }), { nil: undefined }),
  memoryGi: fc.option(fc.integer({ min: 0, max: 16 }), { nil: undefined }),
  app: fc.constantFrom('web', 'db'),
  tolerations: fc.subarray(tolerationChoices),
  disk: fc.option(fc.constantFrom('ssd', 'hdd'), { nil: undefined }),
  zones: fc.option(fc.subarray(['a', 'b', 'c'], { minLength: 1 }), { nil: undefined }),
  spread: fc.option(
    fc.record({ maxSkew: fc.integer({ min: 1, max: 2 }), topologyKey: fc.constantFrom(zoneKey, hostKey) }),
    { nil: undefined },
  ),
});
type PodShape = typeof podArb extends fc.Arbitrary<infer T> ? T : never;

const toPod = (p: PodShape): Pod => ({
  metadata: { name: 'candidate', namespace: 'default', labels: { app: p.app } },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'nginx',
        resources: {
          requests: {
            ...(p.cpu === undefined ? {} : { cpu: `${p.cpu}m` }),
            ...(p.memoryGi === undefined ? {} : { memory: `${p.memoryGi}Gi` }),
          },
        },
      },
    ],
    tolerations: p.tolerations,
    ...(p.disk ? { nodeSelector: { disk: p.disk } } : {}),
    ...(p.zones
      ? {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchExpressions: [{ key: zoneKey, operator: 'In', values: p.zones }] },
                ],
              },
            },
          },
        }
      : {}),
    ...(p.spread
      ? {
          topologySpreadConstraints: [
            {
              ...p.spread,
              whenUnsatisfiable: 'DoNotSchedule',
              labelSelector: { matchLabels: { app: 'web' } },
            },
          ],
        }
      : {}),
  },
});

// --- The rules, from the documentation ---------------------------------------------------------

/** A toleration matches a taint when key, effect and value agree; an empty key with Exists matches all. */
const tolerated = (taint: Taint, tolerations: readonly Toleration[]) =>
  tolerations.some(
    (t) =>
      (t.key === undefined || t.key === taint.key) &&
      (t.effect === undefined || t.effect === taint.effect) &&
      (t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '')),
  );

const labelsOf = (n: NodeInfo) => n.node.metadata?.labels ?? {};

/** nodeSelector and required node affinity. */
const affinityHolds = (n: NodeInfo, p: PodShape) =>
  (p.disk === undefined || labelsOf(n).disk === p.disk) &&
  (p.zones === undefined || p.zones.includes(labelsOf(n)[zoneKey] ?? '\0'));

function keepsHardRules(
  n: NodeInfo,
  p: PodShape,
  nodes: readonly NodeInfo[],
  requests: ReturnType<typeof podRequests>,
) {
  const cordonTaint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
  if (n.node.spec?.unschedulable && !tolerated(cordonTaint, p.tolerations)) return false;
  for (const taint of n.node.spec?.taints ?? [])
    if (taint.effect !== 'PreferNoSchedule' && !tolerated(taint, p.tolerations)) return false;
  if (!affinityHolds(n, p)) return false;
  if (n.requested.pods + 1 > n.allocatable.pods) return false;
  if (requests.cpuMillis > 0 && n.requested.cpuMillis + requests.cpuMillis > n.allocatable.cpuMillis)
    return false;
  if (requests.memoryBytes > 0 && n.requested.memoryBytes + requests.memoryBytes > n.allocatable.memoryBytes)
    return false;
  if (p.spread) {
    // Skew = matching pods in the node's domain + the pod itself - the fewest in any domain,
    // domains being those of the nodes the pod's node affinity admits (nodeAffinityPolicy Honor).
    const key = p.spread.topologyKey;
    const domain = labelsOf(n)[key];
    if (domain === undefined) return false;
    const counts = new Map<string, number>();
    for (const other of nodes) {
      const d = labelsOf(other)[key];
      if (d === undefined || !affinityHolds(other, p)) continue;
      const matching = (other.pods ?? []).filter(
        (q) => q.namespace === 'default' && q.labels.app === 'web',
      ).length;
      counts.set(d, (counts.get(d) ?? 0) + matching);
    }
    const min = counts.size === 0 ? 0 : Math.min(...counts.values());
    if ((counts.get(domain) ?? 0) + (p.app === 'web' ? 1 : 0) - min > p.spread.maxSkew) return false;
  }
  return true;
}

describe('schedulePod property', () => {
  it('binds only to a node that keeps taints, node affinity, resources and DoNotSchedule spread', () => {
    fc.assert(
      fc.property(nodesArb, podArb, fc.boolean(), (nodes, shape, packing) => {
        const pod = toPod(shape);
        const requests = podRequests(pod);
        const profile = packing ? createProfile({ scoringStrategy: 'MostAllocated' }) : defaultProfile;
        const result = schedulePod(pod, requests, nodes, profile);
        const feasible = nodes.filter((n) => keepsHardRules(n, shape, nodes, requests));
        if (result.kind === 'bound') {
          const chosen = nodes.find((n) => n.node.metadata?.name === result.nodeName);
          expect(chosen && keepsHardRules(chosen, shape, nodes, requests)).toBe(true);
        } else {
          expect(feasible).toEqual([]);
        }
        expect(result.kind).toBe(feasible.length > 0 ? 'bound' : 'unschedulable');
      }),
      { numRuns: 500 },
    );
  });

  it('explains an unschedulable pod with at least one reason per node', () => {
    fc.assert(
      fc.property(nodesArb, podArb, (nodes, shape) => {
        const result = schedulePod(toPod(shape), podRequests(toPod(shape)), nodes, defaultProfile);
        if (result.kind === 'bound') return;
        if (nodes.length === 0) {
          expect(result.message).toBe('no nodes available to schedule pods');
          return;
        }
        const match = new RegExp(`^0/${nodes.length} nodes are available: (.+)\\.$`).exec(result.message);
        expect(match).not.toBeNull();
        const entries = (match?.[1] ?? '').split(', ');
        expect([...entries].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(entries);
        const counted = entries.reduce((sum, entry) => sum + Number(entry.split(' ')[0]), 0);
        expect(counted).toBeGreaterThanOrEqual(nodes.length);
      }),
      { numRuns: 300 },
    );
  });
});
