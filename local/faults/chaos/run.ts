import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ObjectItem } from '../../../functions/adapters/dynamodb/items';
import { podRecordFromItem } from '../../../functions/adapters/dynamodb/pod-store';
import type { Event } from '../../../functions/core/events';
import type { Pod } from '../../../functions/core/k8s';
import { callApi } from '../../api-client';
import { type ControlPlane, startControlPlane } from '../../control-plane';
import { sleep } from '../../processes';
import { SeededRandom } from '../random';
import type { FaultRates } from '../spec';
import {
  checkCapacity,
  checkEvents,
  checkTasks,
  mismatch,
  refusalMismatch,
  type StoredNode,
  type StoredPod,
  type TrackedPod,
} from './checks';
import { EcsView, podsWithSeveralTasks } from './ecs-view';
import { StreamObserver } from './observer';
import { chaosGuardBudget, chaosGuardLabel, planPod } from './plan';

export interface ChaosOptions {
  readonly seed: number;
  /** How long the churn runs with faults on. */
  readonly seconds: number;
  /** Default: the default mix (`--faults default`). */
  readonly faults?: string | FaultRates;
  /** Pods created per second. Default 3. */
  readonly podsPerSecond?: number;
  /** Long-running pods kept to the end (the rest are deleted after a few seconds). Default 20. */
  readonly keep?: number;
  readonly nodes?: number;
  /** The control plane's time scale. Default 0.05: a 300 s back-off lasts 15 s. */
  readonly timeScale?: number;
  /** How long after the faults stop every pod must reach its state. Default 120 s. */
  readonly settleSeconds?: number;
  /** The handlers' log level. Default SILENT: the last line printed is the report. */
  readonly logLevel?: string;
  readonly log?: (line: string) => void;
}

export interface ChaosReport {
  readonly violations: string[];
  readonly faults: Record<string, number>;
  readonly pods: number;
  readonly seed: number;
  readonly seconds: number;
  readonly spec: string;
  readonly deleted: number;
  /** Evictions answered 201 (the pod deleted) and 429 (refused by the guard budget). */
  readonly evictions: { readonly allowed: number; readonly refused: number };
  /** Milliseconds from the faults stopping until every pod was in its state (or the bound). */
  readonly settledMs: number;
  readonly settleBoundMs: number;
  readonly tasksLaunched: number;
  readonly vanishedTasks: number;
  readonly invocations: number;
  readonly faultSites: Record<string, number>;
}

const namespace = 'default';
const namePrefix = 'chaos-';
/** Violations listed in full; beyond this many only their number. */
const maxListed = 60;

/**
 * The churn under faults: a local control plane with faults armed, pods created (and deleted) at
 * a steady rate for `seconds`, then the faults stopped, a wait for quiet, one reconcile, and the
 * checks (checks.ts). Invariants that must hold at every moment are checked throughout: nodes
 * within their allocatable and restart counts moving forward (from the table's stream), at most
 * one live task per pod (from ECS, every second).
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const stateDir = mkdtempSync(join(tmpdir(), 'podplane-chaos-'));
  const settleBoundMs = (options.settleSeconds ?? 120) * 1000;
  const plane = await startControlPlane({
    port: 0,
    stateDir,
    nodes: options.nodes ?? 3,
    timeScale: options.timeScale ?? 0.05,
    logLevel: options.logLevel ?? 'SILENT',
    faults: { spec: options.faults ?? 'default', seed: options.seed },
    // What the runner says of each injected crash and timeout is counted in the report instead.
    log: (line) => {
      if (!/injected crash after the handler returned|Task timed out after/.test(line)) log(line.trim());
    },
  });
  const faults = plane.faults;
  if (!faults) throw new Error('the control plane started without faults');
  faults.disarm();
  const dynamodb = new DynamoDBClient({ endpoint: plane.dynamoEndpoint, region: 'us-east-1' });
  const documents = DynamoDBDocumentClient.from(dynamodb);
  const streams = new DynamoDBStreamsClient({ endpoint: plane.dynamoEndpoint, region: 'us-east-1' });
  const table = process.env.PODPLANE_TABLE ?? 'podplane-objects';
  const streamArn = (await dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table
    ?.LatestStreamArn;
  const observer = await StreamObserver.start(streams, streamArn ?? '', namePrefix);
  const ecs = new EcsView(plane.ecs.endpoint, 'podplane');
  const agent = new Agent({ keepAlive: true, ca: readFileSync(plane.caCertPath), maxSockets: 16 });
  const api = { url: plane.url, agent, token: plane.token };
  const continuous: string[] = [];
  try {
    const watching = watchTasks(ecs, continuous);
    const budget = await retried(
      api,
      'POST',
      `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets`,
      JSON.stringify(chaosGuardBudget),
    );
    if (budget.status !== 201)
      throw new Error(`the guard budget was not created: HTTP ${budget.status} ${budget.body}`);
    faults.arm();
    log(`chaos: seed ${options.seed}, ${options.seconds} s of churn with faults ${faults.spec}`);
    const pods = await churn(api, options, log);
    faults.disarm();
    const faultsStoppedAt = Date.now();
    log(`chaos: churn over (${pods.length} pods), faults off: ${JSON.stringify(faults.injected())}`);
    await quiet(plane, options.timeScale ?? 0.05, log);
    log('chaos: quiet; running the reconcile once');
    await plane.invoke('reconcile', { source: 'aws.events', 'detail-type': 'Scheduled Event' });
    const remaining = await settle(api, pods, faults.vanishedTasks(), faultsStoppedAt + settleBoundMs, log);
    const settledMs = Date.now() - faultsStoppedAt;
    watching.stop();
    await watching.done;
    const query = (pk: string) => queryAll(documents, table, pk);
    const readPods = async (): Promise<StoredPod[]> =>
      (await query(`pods/${namespace}`)).map((item) => ({
        record: podRecordFromItem(item),
        deleted: item.deleted === true,
      }));
    const readNodes = async (): Promise<StoredNode[]> =>
      (await query('nodes')).map((item) => ({
        name: item.sk,
        used: {
          cpu: Number(item.usedCpu ?? 0),
          mem: Number(item.usedMem ?? 0),
          pods: Number(item.usedPods ?? 0),
        },
      }));
    const chaosPods = (stored: StoredPod[]) =>
      stored.filter((p) => p.record.pod.metadata?.name?.startsWith(namePrefix));
    // ECS first, then the items: a task launched in between is then already named by its pod
    // (crash loops keep launching while the checks run).
    const taskViolations = await confirmed(async () => {
      const tasks = await ecs.liveTasks();
      return checkTasks(tasks, chaosPods(await readPods()));
    });
    const capacityViolations = await confirmed(async () => {
      const [nodes, stored] = await Promise.all([readNodes(), readPods()]);
      return checkCapacity(nodes, stored);
    });
    const eventList = await retried(api, 'GET', `/api/v1/namespaces/${namespace}/events`);
    const events = (JSON.parse(eventList.body) as { items?: Event[] }).items ?? [];
    const violations = [
      ...remaining.map(
        (m) => `not in its state ${Math.round(settleBoundMs / 1000)} s after the faults stopped: ${m}`,
      ),
      ...pods.flatMap((p) => (p.createFailed ? [`${p.plan.name}: never created: ${p.createFailed}`] : [])),
      ...pods.flatMap((p) => (p.refusalChanged ? [p.refusalChanged] : [])),
      ...observer.violations,
      ...continuous,
      ...taskViolations,
      ...capacityViolations,
      ...checkEvents(events, observer.pods),
    ];
    const invocations = Object.values(plane.invocations()).reduce((a, b) => a + b, 0);
    return {
      violations:
        violations.length > maxListed
          ? [...violations.slice(0, maxListed), `... and ${violations.length - maxListed} more`]
          : violations,
      faults: faults.injected(),
      pods: pods.length,
      seed: options.seed,
      seconds: options.seconds,
      spec: faults.spec,
      deleted: pods.filter((p) => p.deleted).length,
      evictions: {
        allowed: pods.filter((p) => p.eviction === 'allowed').length,
        refused: pods.filter((p) => p.eviction === 'refused').length,
      },
      settledMs,
      settleBoundMs,
      tasksLaunched: plane.ecs.stats().tasks,
      vanishedTasks: faults.vanishedTasks().size,
      invocations,
      faultSites: faults.injectedBySite(),
    };
  } finally {
    await observer.stop();
    ecs.destroy();
    streams.destroy();
    dynamodb.destroy();
    agent.destroy();
    await plane.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

type Api = Parameters<typeof callApi>[0];

/** Creates pods at the planned rate for the run's seconds, and deletes the ones planned for it. */
async function churn(api: Api, options: ChaosOptions, log: (line: string) => void): Promise<TrackedPod[]> {
  const random = new SeededRandom(options.seed).derive('churn');
  const rate = options.podsPerSecond ?? 3;
  const keep = options.keep ?? 20;
  const pods: TrackedPod[] = [];
  const inFlight = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  const track = (work: Promise<void>) => {
    inFlight.add(work);
    work.finally(() => inFlight.delete(work));
  };
  const started = Date.now();
  const end = started + options.seconds * 1000;
  let kept = 0;
  let lastReport = started;
  for (let index = 0; Date.now() < end; index++) {
    const plan = planPod(index, random, kept < keep);
    if (plan.deleteAfterMs === undefined && (plan.expect === 'running' || plan.expect === 'restarting'))
      kept++;
    const pod: TrackedPod = { plan, createdAt: Date.now() };
    pods.push(pod);
    const later = (afterMs: number | undefined, work: () => Promise<void>) => {
      if (afterMs === undefined) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        track(work());
      }, afterMs);
      timers.add(timer);
    };
    track(
      create(api, pod).then(() => {
        if (pod.createFailed) return;
        later(plan.deleteAfterMs, () => remove(api, pod));
        later(plan.evictAfterMs, () => evict(api, pod));
      }),
    );
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      log(`chaos: ${pods.length} pods created, ${pods.filter((p) => p.deleted).length} deleted`);
    }
    // Pace by the plan, not by how fast the API answers; a slow API only makes more in flight.
    const next = started + ((index + 1) * 1000) / rate;
    await sleep(Math.max(0, next - Date.now()));
    while (inFlight.size > 64) await Promise.race(inFlight);
  }
  // Deletions (and evictions) not yet due are not made: those pods stay, and must be in their state.
  for (const timer of timers) clearTimeout(timer);
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  return pods;
}

/**
 * A call retried as a client retries: on 5xx, 429 and broken connections, with back-off. With
 * `budgetRefusals`, a 429 that names a disruption budget is an answer, as `kubectl drain` takes it.
 */
async function retried(
  api: Api,
  method: string,
  path: string,
  body?: string,
  contentType?: string,
  budgetRefusals = false,
): Promise<{ status: number; body: string; attempts: number }> {
  let last = '';
  for (let attempt = 1; attempt <= 12; attempt++) {
    try {
      const reply = await callApi(
        api,
        method,
        path,
        body ? { text: body, ...(contentType ? { contentType } : {}) } : undefined,
      );
      const refused = budgetRefusals && reply.status === 429 && reply.body.includes('DisruptionBudget');
      if ((reply.status < 500 && reply.status !== 429) || refused) return { ...reply, attempts: attempt };
      last = `HTTP ${reply.status} ${reply.body.slice(0, 200)}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(Math.min(2000, 50 * 2 ** attempt));
  }
  throw new Error(`${method} ${path}: ${last}`);
}

async function create(api: Api, pod: TrackedPod): Promise<void> {
  const path = `/api/v1/namespaces/${namespace}/pods`;
  try {
    const reply = await retried(api, 'POST', path, JSON.stringify(pod.plan.manifest));
    if (reply.status === 201) {
      pod.uid = (JSON.parse(reply.body) as Pod).metadata?.uid;
      return;
    }
    // An answer lost to a fault after the pod was stored: the retry finds it there.
    if (reply.status === 409 && reply.attempts > 1) {
      const got = await retried(api, 'GET', `${path}/${pod.plan.name}`);
      if (got.status === 200) {
        pod.uid = (JSON.parse(got.body) as Pod).metadata?.uid;
        return;
      }
    }
    pod.createFailed = `HTTP ${reply.status} ${reply.body.slice(0, 200)}`;
  } catch (error) {
    pod.createFailed = error instanceof Error ? error.message : String(error);
  }
}

/**
 * POST pods/NAME/eviction. Allowed, it is the pod's delete. Refused (429), the pod is read at
 * once: the refusal must have changed nothing (a pod no budget selects must not be refused).
 */
async function evict(api: Api, pod: TrackedPod): Promise<void> {
  const path = `/api/v1/namespaces/${namespace}/pods/${pod.plan.name}`;
  const eviction = {
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { name: pod.plan.name, namespace },
  };
  try {
    const reply = await retried(api, 'POST', `${path}/eviction`, JSON.stringify(eviction), undefined, true);
    if (reply.status === 201 || (reply.status === 404 && reply.attempts > 1)) {
      pod.eviction = 'allowed';
      pod.deleted = true;
    } else if (reply.status === 429) {
      pod.eviction = 'refused';
      const got = await retried(api, 'GET', path);
      pod.refusalChanged =
        pod.plan.manifest.metadata?.labels?.[chaosGuardLabel] === 'true'
          ? refusalMismatch(pod, got.status === 200 ? (JSON.parse(got.body) as Pod) : undefined)
          : `${pod.plan.name}: its eviction was refused (429), though no budget selects it: ${reply.body.slice(0, 200)}`;
    }
  } catch {
    // Not evicted; a guarded pod is still deleted below, an evicted one stays and is checked as kept.
  }
}

async function remove(api: Api, pod: TrackedPod): Promise<void> {
  const path = `/api/v1/namespaces/${namespace}/pods/${pod.plan.name}`;
  if (pod.plan.deletion === 'evicted' || pod.plan.deletion === 'guarded') {
    await evict(api, pod);
    // A pod whose eviction was refused goes as most do, so that the nodes do not fill up.
    if (pod.deleted || pod.plan.deletion === 'evicted') return;
  }
  try {
    const options = pod.plan.deletion === 'force' ? JSON.stringify({ gracePeriodSeconds: 0 }) : undefined;
    const reply = await retried(api, 'DELETE', path, options);
    if (reply.status === 200 || reply.status === 202 || (reply.status === 404 && reply.attempts > 1))
      pod.deleted = true;
  } catch {
    // The pod stays; its state is checked as if it had never been deleted.
  }
  if (!pod.deleted || pod.plan.releaseAfterMs === undefined) return;
  await sleep(pod.plan.releaseAfterMs);
  try {
    const patch = JSON.stringify([{ op: 'remove', path: '/metadata/finalizers' }]);
    const reply = await retried(api, 'PATCH', path, patch, 'application/json-patch+json');
    // A retry whose first try was answered finds the finalizer gone (422) or the pod gone (404).
    if (reply.status === 200 || (reply.attempts > 1 && (reply.status === 404 || reply.status === 422)))
      pod.released = true;
  } catch {
    // The pod stays held; its state is checked as such.
  }
}

/**
 * Waits for the work the faults left behind: at least the longest retry delay (an SQS message
 * whose handler failed comes back after its visibility timeout, 180 s times the time scale), and
 * then until the scheduler has had nothing to do for three seconds. Crash-looping pods keep the
 * kubelet and the status handler busy for ever, so they do not count.
 */
async function quiet(plane: ControlPlane, timeScale: number, log: (line: string) => void) {
  const started = Date.now();
  const deadline = started + 60_000;
  const scheduled = () => plane.invocations().scheduler ?? 0;
  let last = { invocations: scheduled(), at: Date.now() };
  const minimumMs = Math.max(5000, 180_000 * timeScale + 1000);
  while (Date.now() < deadline) {
    await sleep(500);
    const now = { invocations: scheduled(), at: Date.now() };
    if (now.invocations !== last.invocations) last = now;
    else if (now.at - last.at >= 3000 && now.at - started >= minimumMs) return;
  }
  log('chaos: the scheduler did not go quiet within 60 s; checking anyway');
}

/** Polls the API until every pod is in its state or the bound passes; what is still not, is returned. */
async function settle(
  api: Api,
  pods: readonly TrackedPod[],
  vanished: ReadonlyMap<string, string>,
  deadline: number,
  log: (line: string) => void,
): Promise<string[]> {
  const vanishedUids = new Set(vanished.values());
  let mismatches: string[] = [];
  for (;;) {
    const reply = await retried(api, 'GET', `/api/v1/namespaces/${namespace}/pods`);
    const listed = new Map(
      ((JSON.parse(reply.body) as { items?: Pod[] }).items ?? []).map((p) => [p.metadata?.name ?? '', p]),
    );
    mismatches = pods.flatMap((tracked) => {
      if (tracked.createFailed) return [];
      const pod = listed.get(tracked.plan.name);
      const found = mismatch(tracked, pod, vanishedUids.has(tracked.uid ?? ''));
      return found ? [found] : [];
    });
    if (mismatches.length === 0) return mismatches;
    if (Date.now() > deadline) return withEventTrails(api, mismatches);
    log(`chaos: ${mismatches.length} pod(s) not yet in their state, e.g. ${mismatches[0]}`);
    await sleep(2000);
  }
}

/** Each mismatch (`<name>: ...`) with the reasons of its pod's events, oldest first: what happened. */
async function withEventTrails(api: Api, mismatches: readonly string[]): Promise<string[]> {
  const reply = await retried(api, 'GET', `/api/v1/namespaces/${namespace}/events`);
  const events = (JSON.parse(reply.body) as { items?: Event[] }).items ?? [];
  return mismatches.map((m) => {
    const name = m.slice(0, m.indexOf(':'));
    const trail = events
      .filter((e) => e.involvedObject?.name === name)
      .sort((a, b) => String(a.eventTime ?? '').localeCompare(String(b.eventTime ?? '')))
      .map((e) => e.reason)
      .join(' ');
    return `${m} [events: ${trail}]`;
  });
}

/** Every second: no pod has two live tasks. Runs until stopped. */
function watchTasks(ecs: EcsView, violations: string[]) {
  let running = true;
  const reported = new Set<string>();
  const done = (async () => {
    while (running) {
      try {
        for (const [uid, arns] of podsWithSeveralTasks(await ecs.liveTasks())) {
          const violation = `pod uid ${uid} had ${arns.length} live tasks at once: ${arns.sort().join(' ')}`;
          if (!reported.has(violation)) violations.push(violation);
          reported.add(violation);
        }
      } catch {
        // The simulator is stopping.
      }
      await sleep(1000);
    }
  })();
  return {
    done,
    stop: () => {
      running = false;
    },
  };
}

/**
 * A check of a system that keeps moving (crash loops restart while it runs): what it finds counts
 * only if a second look five seconds later finds exactly the same.
 */
async function confirmed(check: () => Promise<string[]>): Promise<string[]> {
  const first = await check();
  if (first.length === 0) return first;
  await sleep(5000);
  const again = new Set(await check());
  return first.filter((violation) => again.has(violation));
}

async function queryAll(client: DynamoDBDocumentClient, table: string, pk: string): Promise<ObjectItem[]> {
  const items: ObjectItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...((out.Items ?? []) as ObjectItem[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}
