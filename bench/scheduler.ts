import { parseArgs } from 'node:util';
import type { Pod } from '../functions/core/k8s';
import { podRequests } from '../functions/core/pod/requests';
import { type NodeInfo, type Profile, schedulePod } from '../functions/core/scheduler/framework';
import { createProfile, type ScoringStrategy } from '../functions/core/scheduler/profile';

/**
 * The pure scheduling algorithm in the shape of Kubernetes' scheduler_perf SchedulingBasic
 * 5000Nodes_10000Pods: 5,000 nodes over 3 zones (4 cpu, 16 GiB, 110 pods each), 10,000 pods with
 * small mixed requests, scheduled one after another, the node view updated after each binding as
 * the scheduler controller does. Prints one JSON summary line last.
 *
 *   node --import tsx bench/scheduler.ts [--nodes 5000] [--pods 10000] [--strategy MostAllocated]
 *                                        [--percentage 0]
 */
const log = (line: string) => process.stderr.write(`${line}\n`);

const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const Gi = 2 ** 30;

function makeNodes(count: number): NodeInfo[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `node-${String(i).padStart(5, '0')}`;
    return {
      node: {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          labels: {
            'kubernetes.io/hostname': name,
            'topology.kubernetes.io/zone': zones[i % zones.length] as string,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
            'node.kubernetes.io/instance-type': 'm5.xlarge',
          },
        },
        spec: {},
      },
      allocatable: { cpuMillis: 4000, memoryBytes: 16 * Gi, pods: 110 },
      requested: { cpuMillis: 0, memoryBytes: 0, pods: 0 },
      pods: [],
    };
  });
}

// Small mixed requests, including a pod that states none (scored with the non-zero defaults).
const shapes: readonly { cpu?: string; memory?: string }[] = [
  { cpu: '100m', memory: '128Mi' },
  { cpu: '250m', memory: '256Mi' },
  { cpu: '50m', memory: '64Mi' },
  { cpu: '500m', memory: '512Mi' },
  {},
  { cpu: '200m', memory: '1Gi' },
];

function makePod(i: number): Pod {
  const shape = shapes[i % shapes.length] ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${i}`, namespace: 'default', uid: `uid-${i}`, labels: { app: `app-${i % 50}` } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'registry.k8s.io/pause:3.10',
          resources: {
            requests: {
              ...(shape.cpu ? { cpu: shape.cpu } : {}),
              ...(shape.memory ? { memory: shape.memory } : {}),
            },
          },
        },
      ],
    },
  };
}

function run(nodes: readonly NodeInfo[], pods: readonly Pod[], profile: Profile) {
  const indexOf = new Map(nodes.map((n, i) => [n.node.metadata?.name ?? '', i]));
  let view = nodes;
  let bound = 0;
  let unschedulable = 0;
  const started = performance.now();
  for (const pod of pods) {
    const requests = podRequests(pod);
    const result = schedulePod(pod, requests, view, profile);
    if (result.kind === 'unschedulable') {
      unschedulable++;
      continue;
    }
    bound++;
    // As the controller does: a new view in which the chosen node holds the pod.
    const index = indexOf.get(result.nodeName) as number;
    const chosen = view[index] as NodeInfo;
    const next = view.slice();
    next[index] = {
      ...chosen,
      requested: {
        cpuMillis: chosen.requested.cpuMillis + requests.cpuMillis,
        memoryBytes: chosen.requested.memoryBytes + requests.memoryBytes,
        pods: chosen.requested.pods + 1,
      },
      pods: [...(chosen.pods ?? []), { namespace: 'default', labels: pod.metadata?.labels ?? {} }],
    };
    view = next;
  }
  const seconds = (performance.now() - started) / 1000;
  return { bound, unschedulable, seconds, view };
}

export interface SchedulerBenchmarkOptions {
  readonly nodes: number;
  readonly pods: number;
  readonly strategy?: ScoringStrategy;
  readonly percentageOfNodesToScore?: number;
}

export function runSchedulerBenchmark(options: SchedulerBenchmarkOptions) {
  const profile = createProfile({
    scoringStrategy: options.strategy ?? 'LeastAllocated',
    percentageOfNodesToScore: options.percentageOfNodesToScore ?? 0,
  });
  const nodes = makeNodes(options.nodes);
  const pods = Array.from({ length: options.pods }, (_, i) => makePod(i));
  log(
    `scheduling ${options.pods} pods onto ${options.nodes} nodes (${options.strategy ?? 'LeastAllocated'}, percentageOfNodesToScore ${options.percentageOfNodesToScore ?? 0})`,
  );
  const { bound, unschedulable, seconds, view } = run(nodes, pods, profile);
  const used = view.filter((n) => n.requested.pods > 0).length;
  const busiest = Math.max(...view.map((n) => n.requested.pods));
  log(
    `${bound} bound, ${unschedulable} unschedulable in ${seconds.toFixed(2)} s; ${used} nodes used, at most ${busiest} pods on one`,
  );
  return {
    schedulerPodsPerSecond: Math.round(options.pods / seconds),
    nodes: options.nodes,
    pods: options.pods,
  };
}

if (process.argv[1]?.endsWith('scheduler.ts')) {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '5000' },
      pods: { type: 'string', default: '10000' },
      strategy: { type: 'string', default: 'LeastAllocated' },
      percentage: { type: 'string', default: '0' },
    },
  });
  console.log(
    JSON.stringify(
      runSchedulerBenchmark({
        nodes: Number(values.nodes),
        pods: Number(values.pods),
        strategy: values.strategy as ScoringStrategy,
        percentageOfNodesToScore: Number(values.percentage),
      }),
    ),
  );
}
