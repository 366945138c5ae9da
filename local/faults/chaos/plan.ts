import type { Pod } from '../../../functions/core/k8s';
import type { SeededRandom } from '../random';

/** The state a pod's spec implies once the faults have stopped and the control plane is quiet. */
export type Expectation =
  /** Running, every container running and ready. */
  | 'running'
  /** A crash loop (or a liveness probe that keeps failing): Running, restarted at least once. */
  | 'restarting'
  /** Succeeded: every container terminated Completed, exit 0. */
  | 'succeeded'
  /** Failed: its container terminated with reason Error and the exit code it was given. */
  | 'failed'
  /** Pending, PodScheduled False with reason Unschedulable and "Insufficient cpu". */
  | 'unschedulable'
  /** Deleted: the API no longer has it. */
  | 'gone'
  /**
   * Deleted, and held by its finalizer: still there, Terminating, with nothing running (finished
   * with grace period 0 once bound, Pending if it never was).
   */
  | 'held';

/** One kind of pod the churn creates: its manifest and the state it must reach. */
interface PodKind {
  readonly name: string;
  readonly weight: number;
  readonly expect: Exclude<Expectation, 'gone' | 'held'>;
  /** Runs until deleted; otherwise it finishes (or never starts) on its own. */
  readonly longRunning: boolean;
  readonly restartPolicy: 'Always' | 'OnFailure' | 'Never';
  readonly exitCode?: number;
  readonly annotations: Readonly<Record<string, string>>;
  readonly probes?: boolean;
  readonly cpu?: string;
}

/**
 * Durations are simulated time: the chaos run's time scale (0.05 by default) makes `5s` last a
 * quarter of a real second and the 300 s back-off ceiling fifteen.
 */
const kinds: readonly PodKind[] = [
  { name: 'run', weight: 30, expect: 'running', longRunning: true, restartPolicy: 'Always', annotations: {} },
  {
    name: 'probed',
    weight: 10,
    expect: 'running',
    longRunning: true,
    restartPolicy: 'Always',
    annotations: {},
    probes: true,
  },
  {
    name: 'crashloop',
    weight: 10,
    expect: 'restarting',
    longRunning: true,
    restartPolicy: 'Always',
    exitCode: 1,
    annotations: { 'sim.podplane.dev/exit-after': '5s', 'sim.podplane.dev/exit-code': '1' },
  },
  {
    name: 'unhealthy',
    weight: 5,
    expect: 'restarting',
    longRunning: true,
    restartPolicy: 'Always',
    annotations: { 'sim.podplane.dev/unhealthy-after': '10s' },
    probes: true,
  },
  {
    name: 'retry',
    weight: 5,
    expect: 'restarting',
    longRunning: true,
    restartPolicy: 'OnFailure',
    exitCode: 3,
    annotations: { 'sim.podplane.dev/exit-after': '5s', 'sim.podplane.dev/exit-code': '3' },
  },
  {
    name: 'complete',
    weight: 12,
    expect: 'succeeded',
    longRunning: false,
    restartPolicy: 'Never',
    exitCode: 0,
    annotations: { 'sim.podplane.dev/exit-after': '10s' },
  },
  {
    name: 'fail',
    weight: 8,
    expect: 'failed',
    longRunning: false,
    restartPolicy: 'Never',
    exitCode: 2,
    annotations: { 'sim.podplane.dev/exit-after': '10s', 'sim.podplane.dev/exit-code': '2' },
  },
  {
    name: 'job',
    weight: 8,
    expect: 'succeeded',
    longRunning: false,
    restartPolicy: 'OnFailure',
    exitCode: 0,
    annotations: { 'sim.podplane.dev/exit-after': '10s' },
  },
  {
    name: 'toobig',
    weight: 4,
    expect: 'unschedulable',
    longRunning: false,
    restartPolicy: 'Always',
    annotations: {},
    cpu: '64',
  },
];

/** The finalizer the churn puts on the pods it deletes as `held` or `released`. */
export const chaosFinalizer = 'podplane.dev/chaos-hold';

/**
 * The label of the pods the churn evicts against a budget that allows no disruption: evictions
 * of those that run are refused (429), and change nothing.
 */
export const chaosGuardLabel = 'podplane.dev/chaos-guard';

/** The budget that refuses every eviction of a running guarded pod (maxUnavailable 0). */
export const chaosGuardBudget = {
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name: 'chaos-guard' },
  spec: { maxUnavailable: 0, selector: { matchLabels: { [chaosGuardLabel]: 'true' } } },
};

/**
 * How the churn deletes a pod: gracefully; forced (gracePeriodSeconds 0); with a finalizer that
 * holds it to the end; with one the churn removes a while after the delete; evicted
 * (pods/eviction); or evicted against the guard budget, then (if the eviction was refused)
 * deleted gracefully.
 */
export type DeletionKind = 'graceful' | 'force' | 'held' | 'released' | 'evicted' | 'guarded';

export interface PlannedPod {
  readonly name: string;
  readonly kind: string;
  readonly expect: Exclude<Expectation, 'gone' | 'held'>;
  readonly restartPolicy: 'Always' | 'OnFailure' | 'Never';
  readonly exitCode?: number;
  readonly manifest: Pod;
  /** Milliseconds after its creation at which the churn deletes it; absent: it is kept. */
  readonly deleteAfterMs?: number;
  /** How it is deleted, when it is. */
  readonly deletion?: DeletionKind;
  /** For `released`: milliseconds after the delete at which its finalizer is removed. */
  readonly releaseAfterMs?: number;
  /**
   * For some kept pods: milliseconds after its creation at which the churn tries to evict it
   * against the guard budget, which refuses while it runs; it stays, and must be as if never asked.
   */
  readonly evictAfterMs?: number;
}

/**
 * The churn's script, drawn from its own generator so that the same seed creates the same pods
 * in the same order whatever the faults do. `keep` says whether a long-running pod may stay to
 * the end (the driver keeps only a few, so the nodes do not fill up).
 */
export function planPod(index: number, random: SeededRandom, keep: boolean): PlannedPod {
  const total = kinds.reduce((sum, k) => sum + k.weight, 0);
  const draw = random.next() * total;
  let below = 0;
  const kind =
    kinds.find((k) => {
      below += k.weight;
      return draw < below;
    }) ?? (kinds[0] as PodKind);
  const name = `chaos-${kind.name}-${index}`;
  // Long-running pods are deleted after a while unless kept; finishing pods sometimes (before or
  // after they finish); too-big pods mostly, so that few wait at once.
  const deleteChance = kind.longRunning ? (keep ? 0 : 1) : kind.expect === 'unschedulable' ? 0.8 : 0.3;
  const deleteAfterMs = random.chance(deleteChance) ? Math.round(random.between(500, 15_000)) : undefined;
  // Drawn for every pod, so that the pods a seed plans do not depend on which are deleted.
  const mode = random.next();
  const deletion: DeletionKind | undefined =
    deleteAfterMs === undefined
      ? undefined
      : mode < 0.4
        ? 'graceful'
        : mode < 0.5
          ? 'evicted'
          : mode < 0.6
            ? 'guarded'
            : mode < 0.75
              ? 'force'
              : mode < 0.85
                ? 'held'
                : 'released';
  const releaseAfterMs = Math.round(random.between(200, 5_000));
  const evicts = random.chance(0.4);
  const evictAt = Math.round(random.between(4_000, 12_000));
  const evictAfterMs = evicts && deleteAfterMs === undefined && kind.longRunning ? evictAt : undefined;
  const guarded = deletion === 'guarded' || evictAfterMs !== undefined;
  const holds = deletion === 'held' || deletion === 'released';
  const container = {
    name: 'app',
    image: 'busybox:1.36',
    command: ['sh', '-c', 'sleep 3600'],
    resources: { requests: { cpu: kind.cpu ?? '10m', memory: '32Mi' } },
    ...(kind.probes
      ? {
          livenessProbe: { exec: { command: ['true'] }, periodSeconds: 20 },
          readinessProbe: { exec: { command: ['true'] }, periodSeconds: 20 },
        }
      : {}),
  };
  return {
    name,
    kind: kind.name,
    expect: kind.expect,
    restartPolicy: kind.restartPolicy,
    ...(kind.exitCode !== undefined ? { exitCode: kind.exitCode } : {}),
    manifest: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        labels: {
          'podplane.dev/chaos': kind.name,
          ...(guarded ? { [chaosGuardLabel]: 'true' } : {}),
        },
        annotations: { ...kind.annotations },
        ...(holds ? { finalizers: [chaosFinalizer] } : {}),
      },
      spec: { restartPolicy: kind.restartPolicy, containers: [container] },
    },
    ...(deleteAfterMs !== undefined ? { deleteAfterMs } : {}),
    ...(deletion ? { deletion } : {}),
    ...(deletion === 'released' ? { releaseAfterMs } : {}),
    ...(evictAfterMs !== undefined ? { evictAfterMs } : {}),
  };
}
