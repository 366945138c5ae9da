import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { consumedCapacity } from '../functions/adapters/dynamodb/client';
import { type ObjectItem, objectFromItem } from '../functions/adapters/dynamodb/items';
import { itemFromStreamImage } from '../functions/adapters/dynamodb/stream';
import type { Pod } from '../functions/core/k8s';
import { callApi } from '../local/api-client';
import { startControlPlane } from '../local/control-plane';
import { StreamPoller } from '../local/stream-poller';
import { measureConditionalPuts } from './dynamo-put';
import { runSchedulerBenchmark } from './scheduler';
import { percentile, round } from './stats';
import {
  describePolls,
  listResourceVersionOf,
  measureIdleWatch,
  meterWatchReads,
  minus,
  openWatch,
  PodEventTimes,
} from './watch';
import { meterWritesByKind, writeBreakdown } from './write-units';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * The pod lifecycle benchmark: N pods created through the HTTPS API of a local control plane,
 * each timed from POST to Running (seen on the table's stream, so the measurement reads nothing
 * through the metered adapters), then deleted. Prints one JSON summary line last.
 */
const { values } = parseArgs({
  options: {
    pods: { type: 'string', default: '200' },
    // Nodes of 4 CPU hold at most 20 awsvpc pods (the simulated c5.xlarge's trunked ENIs).
    nodes: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '50' },
    'start-delay-ms': { type: 'string', default: '0' },
    // The pod path under injected faults (as `npm start -- --faults SPEC --seed N`).
    faults: { type: 'string' },
    seed: { type: 'string' },
    // Skips the watches: the latency watch held during the run and the idle watch's read units.
    'no-watch': { type: 'boolean', default: false },
    // How long the idle watch's reads are counted, with 10 and then with 1,000 pods.
    'watch-window-seconds': { type: 'string', default: '20' },
  },
});
const watching = !values['no-watch'];
const podCount = Number(values.pods);
const concurrency = Number(values.concurrency);
const log = (line: string) => process.stderr.write(`${line}\n`);

const stateDir = mkdtempSync(join(tmpdir(), 'podplane-bench-'));
const plane = await startControlPlane({
  port: 0,
  stateDir,
  nodes: Number(values.nodes),
  defaultStartDelayMs: Number(values['start-delay-ms']),
  ...(values.faults
    ? { faults: { spec: values.faults, seed: Number(values.seed ?? Math.floor(Math.random() * 2 ** 31)) } }
    : {}),
  log,
});
if (plane.faults) log(`faults: ${plane.faults.spec} (seed ${plane.faults.seed})`);

const writesByKind = meterWritesByKind();
const watchReads = meterWatchReads();
const streams = new DynamoDBStreamsClient({ endpoint: plane.dynamoEndpoint, region: 'us-east-1' });
const dynamodb = new DynamoDBClient({
  endpoint: plane.dynamoEndpoint,
  region: 'us-east-1',
  // One connection per client of the put measurement (the SDK's default pool holds 50).
  requestHandler: { httpAgent: new HttpAgent({ keepAlive: true, maxSockets: concurrency }) },
});
const table = await dynamodb.send(new DescribeTableCommand({ TableName: process.env.PODPLANE_TABLE }));

/** The phase of the pod a stream image holds, read the way the controllers read it. */
const podPhase = (image: Parameters<typeof itemFromStreamImage>[0]) =>
  objectFromItem<Pod>(itemFromStreamImage(image) as ObjectItem).status?.phase;

const postedAt = new Map<string, number>();
const runningAt = new Map<string, number>();
const goneAt = new Map<string, number>();
const stageAt = new Map<string, number>();
/** Pods each node holds by its counters, as the stream last showed them. */
const nodePods = new Map<string, number>();
const observer = new StreamPoller({
  client: streams,
  streamArn: table.Table?.LatestStreamArn ?? '',
  // A third reader, for measuring only: it sees every record of the stream.
  trigger: {
    ...(await import('../functions/wiring')).functionDefinitions.scheduler.trigger,
    filters: [{ dynamodb: { NewImage: {} } }],
  },
  pollIntervalMs: 20,
  onDiscard: () => undefined,
  invoke: async (event) => {
    const seen = Date.now();
    for (const record of event.Records) {
      const image = record.dynamodb?.NewImage;
      const name = image?.sk?.S ?? '';
      if (image?.pk?.S === 'nodes') nodePods.set(name, Number(image.usedPods?.N ?? 0));
      if (!name.startsWith('bench-')) continue;
      // When each stage was first seen: where a pod's time to Running goes.
      const stage = image?.stage?.S ?? '';
      if (!stageAt.has(`${name}/${stage}`)) stageAt.set(`${name}/${stage}`, seen);
      if (image?.deleted?.BOOL) goneAt.set(name, seen);
      else if (image && !runningAt.has(name) && podPhase(image) === 'Running') runningAt.set(name, seen);
    }
    return { batchItemFailures: [] };
  },
});
observer.start();
const nudgeObserver = setInterval(() => observer.nudge(), 10);
// An interrupted benchmark still stops what it started.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    plane.stop().finally(() => process.exit(130));
  });

const ca = readFileSync(plane.caCertPath);
// Clients keep their connections open, as kubectl and the SDKs do.
const agent = new Agent({ keepAlive: true, ca, maxSockets: concurrency });

const client = { url: plane.url, agent, token: plane.token };
/** The watches' client: each watch on a connection of its own, as kubectl holds one. */
const watchClient = { url: plane.url, ca, token: plane.token };
/**
 * One API call, retried on a 5xx as a client retries a Lambda that failed (with --faults a
 * handler may crash after its write: API Gateway answers 502 and the write happened). A retried
 * create that finds its pod (409) or a retried delete that finds it gone (404) succeeded.
 */
async function api(method: string, path: string, body?: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const status = (await callApi(client, method, path, body ? { text: body } : undefined)).status;
    if (status < 500 || attempt >= 5) {
      if (attempt > 0 && method === 'POST' && status === 409) return 201;
      if (attempt > 0 && method === 'DELETE' && status === 404) return 200;
      return status;
    }
    await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
  }
}

async function inParallel(names: readonly string[], work: (name: string) => Promise<void>) {
  const queue = [...names];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let name = queue.shift(); name; name = queue.shift()) await work(name);
    }),
  );
}

async function until(condition: () => boolean, what: string, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// DynamoDB Local's own conditional-put latency at the same concurrency, before the pods: the
// floor under the API's POST latency on this machine.
log(`measuring DynamoDB Local: conditional puts from ${concurrency} clients`);
const putLatencies = await measureConditionalPuts({
  client: dynamodb,
  tableName: process.env.PODPLANE_TABLE ?? '',
  concurrency,
});
log(
  `${putLatencies.length} puts: p50 ${round(percentile(putLatencies, 50))} ms, p99 ${round(percentile(putLatencies, 99))} ms`,
);

const names = Array.from({ length: podCount }, (_, i) => `bench-${i}`);
const postLatencies: number[] = [];
/**
 * watchEventLatencyMs: write committed → its event at a watching client. One pod watch is held on
 * the bench's namespace for the whole run, as a client holds it: a raw HTTPS GET of
 * `?watch=1&resourceVersion=<a list's>` on its own connection, its newline-delimited JSON events
 * parsed as the chunks arrive (bench/watch.ts). Each sample is one timed pod write: for a create,
 * the time the POST's 201 arrived at the bench (after the put committed) to the arrival of the
 * pod's ADDED event; for a delete, the time the DELETE's 200 arrived (after the deletion mark
 * committed) to the first event showing the pod's deletionTimestamp (or DELETED). The commit
 * happened before the answer arrived, so a sample is at most the true commit → event time; an
 * event can even arrive before the answer (a negative sample). The log also gives the samples from
 * the request's sending, at least the true time. The watch's own reads are left out of
 * dynamoReadUnitsPerPod (see meterWatchReads); the watch opens before the counts start.
 */
const committedAt = new Map<string, number>();
const deleteSentAt = new Map<string, number>();
const deleteCommittedAt = new Map<string, number>();
const watched = new PodEventTimes('bench-');
const latencyWatch = watching
  ? await openWatch(
      watchClient,
      `/api/v1/namespaces/default/pods?watch=1&resourceVersion=${await listResourceVersionOf(watchClient, 'default')}&timeoutSeconds=840`,
      watched.record,
    )
  : undefined;
const before = {
  reads: watchReads.snapshot(),
  capacity: consumedCapacity(),
  invocations: plane.invocations(),
  writes: writesByKind.snapshot(),
};
const started = Date.now();
log(`creating ${podCount} pods with ${concurrency} clients`);
await inParallel(names, async (name) => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      containers: [
        { name: 'app', image: 'nginx:1.27', resources: { requests: { cpu: '10m', memory: '16Mi' } } },
      ],
    },
  };
  const sent = Date.now();
  postedAt.set(name, sent);
  const status = await api('POST', '/api/v1/namespaces/default/pods', JSON.stringify(pod));
  committedAt.set(name, Date.now());
  postLatencies.push(Date.now() - sent);
  if (status !== 201) throw new Error(`POST ${name} answered ${status}`);
});
await until(() => runningAt.size === podCount, 'every pod to run');
const allRunning = Date.now();
log(`all ${podCount} pods Running after ${allRunning - started} ms; deleting`);
await inParallel(names, async (name) => {
  deleteSentAt.set(name, Date.now());
  const status = await api('DELETE', `/api/v1/namespaces/default/pods/${name}`);
  deleteCommittedAt.set(name, Date.now());
  if (status !== 200) throw new Error(`DELETE ${name} answered ${status}`);
});
await until(() => goneAt.size === podCount, 'every pod to be deleted');
// A deletion gives its pod's requests back after the tombstone: count those writes too.
await until(() => [...nodePods.values()].every((n) => n === 0), 'every node to hold no pod');

const after = {
  at: Date.now(),
  reads: watchReads.snapshot(),
  capacity: consumedCapacity(),
  invocations: plane.invocations(),
  writes: writesByKind.snapshot(),
};
const latencies = names.map((n) => (runningAt.get(n) ?? Number.NaN) - (postedAt.get(n) ?? Number.NaN));
const invocations = Object.entries(after.invocations).reduce(
  (sum, [fn, count]) => sum + count - (before.invocations[fn] ?? 0),
  0,
);
const ecsStats = plane.ecs.stats();
const injected = plane.faults?.injected();
const mainWatchReads = minus(after.reads, before.reads);

let idleWatch: Awaited<ReturnType<typeof measureIdleWatch>> = [];
if (latencyWatch) {
  // The watch's DELETED events follow the tombstones the stream already showed within a poll.
  await until(() => watched.deleted.size >= podCount, 'the watch to see every deletion', 5000).catch(
    () => undefined,
  );
  latencyWatch.close();
  await latencyWatch.ended;
  /**
   * watchReadUnitsPerMinute10 / 1000: what one idle watch reads a minute with 10 and with 1,000
   * pods in its namespace (bench/watch.ts measureIdleWatch): finished pods written straight
   * through the pod store adapter into a namespace of their own, a watch held on it from a
   * list's resourceVersion, and its reads counted over --watch-window-seconds with nothing else
   * changing; reads other work makes in the window are filed apart (meterWatchReads), not counted.
   */
  log(`idle watch: ${Number(values['watch-window-seconds'])} s with 10 pods, then with 1,000`);
  idleWatch = await measureIdleWatch({
    client: watchClient,
    namespace: 'bench-watch-idle',
    counts: [10, 1000],
    windowMs: Number(values['watch-window-seconds']) * 1000,
    meter: watchReads,
    dynamodb,
    tableName: process.env.PODPLANE_TABLE ?? '',
    log,
  });
}
clearInterval(nudgeObserver);
await observer.stop();
streams.destroy();
dynamodb.destroy();
await plane.stop();
rmSync(stateDir, { recursive: true, force: true });

const between = (from: (n: string) => number | undefined, to: (n: string) => number | undefined) =>
  round(
    percentile(names.map((n) => (to(n) ?? Number.NaN) - (from(n) ?? Number.NaN)).filter(Number.isFinite), 50),
  );
log(
  `p50 stage times (ms): POST→stored ${between(
    (n) => postedAt.get(n),
    (n) => stageAt.get(`${n}/schedule`),
  )}, ` +
    `stored→bound ${between(
      (n) => stageAt.get(`${n}/schedule`),
      (n) => stageAt.get(`${n}/launch`),
    )}, ` +
    `bound→task ${between(
      (n) => stageAt.get(`${n}/launch`),
      (n) => stageAt.get(`${n}/run`),
    )}, ` +
    `task→Running ${between(
      (n) => stageAt.get(`${n}/run`),
      (n) => runningAt.get(n),
    )}`,
);
log(`invocations by function: ${JSON.stringify(after.invocations)}`);
for (const line of writeBreakdown(before.writes, after.writes, podCount)) log(line);

const watchLatencies = { created: [] as number[], deleted: [] as number[], fromSent: [] as number[] };
if (latencyWatch) {
  for (const n of names) {
    const added = watched.added.get(n);
    const deleting = watched.deleting.get(n);
    if (added !== undefined) {
      watchLatencies.created.push(added - (committedAt.get(n) ?? Number.NaN));
      watchLatencies.fromSent.push(added - (postedAt.get(n) ?? Number.NaN));
    }
    if (deleting !== undefined) {
      watchLatencies.deleted.push(deleting - (deleteCommittedAt.get(n) ?? Number.NaN));
      watchLatencies.fromSent.push(deleting - (deleteSentAt.get(n) ?? Number.NaN));
    }
  }
  const summary = (samples: number[]) =>
    `p50 ${round(percentile(samples, 50))} ms, p99 ${round(percentile(samples, 99))} ms, max ${round(percentile(samples, 100))} ms`;
  const missing = (seen: Map<string, number>) => names.filter((n) => !seen.has(n));
  log(
    `watch: ${watched.events} events; answer → event: creates (ADDED) ${summary(watchLatencies.created)}, ` +
      `deletes (deletionTimestamp) ${summary(watchLatencies.deleted)}; from the request's sending: ` +
      `${summary(watchLatencies.fromSent)}; ${watchLatencies.created.concat(watchLatencies.deleted).filter((l) => l < 0).length} events before their answer`,
  );
  log(
    `watch: missed ADDED ${missing(watched.added).length}, deletion ${missing(watched.deleting).length}, ` +
      `DELETED ${missing(watched.deleted).length}; out of order ${watched.outOfOrder.length}` +
      `${watched.outOfOrder.length ? ` (${watched.outOfOrder.slice(0, 5).join('; ')})` : ''}; ` +
      `malformed lines ${latencyWatch.malformed()}; its reads during the run ${round(mainWatchReads.watchUnits, 1)} units ` +
      `(at AWS's price ${round(mainWatchReads.watchAwsUnits, 1)}; ${mainWatchReads.watchQueries} polls, ` +
      `${mainWatchReads.watchBatchGets} BatchGets; ${mainWatchReads.misfiled} misfiled), not in dynamoReadUnitsPerPod`,
  );
  log(`watch during the run: ${describePolls(watchReads.calls(), started, after.at)}`);
}
// At AWS's price: DynamoDB Local charges nothing for a Query that finds nothing, AWS at least half a
// read unit, and an idle watch is made of such queries (its DynamoDB Local count is in the log).
const idleAt = (pods: number) => idleWatch.find((cost) => cost.pods === pods)?.awsReadUnitsPerMinute;
const watchLatencyAll = watchLatencies.created.concat(watchLatencies.deleted);
// The pure scheduling algorithm at Kubernetes' scheduler_perf scale (5,000 nodes, 10,000 pods).
const { schedulerPodsPerSecond } = runSchedulerBenchmark({ nodes: 5000, pods: 10_000 });

console.log(
  JSON.stringify({
    pods: podCount,
    createToRunningMsP50: round(percentile(latencies, 50)),
    createToRunningMsP99: round(percentile(latencies, 99)),
    podsPerSecond: round(podCount / ((allRunning - started) / 1000)),
    apiPostMsP50: round(percentile(postLatencies, 50)),
    apiPostMsP99: round(percentile(postLatencies, 99)),
    dynamoPutMsP99: round(percentile(putLatencies, 99)),
    dynamoWriteUnitsPerPod: round((after.capacity.writeUnits - before.capacity.writeUnits) / podCount, 2),
    dynamoReadUnitsPerPod: round(
      (after.capacity.readUnits - before.capacity.readUnits - mainWatchReads.watchUnits) / podCount,
      2,
    ),
    handlerInvocationsPerPod: round(invocations / podCount, 2),
    runTaskCalls: ecsStats.runTaskCalls,
    runTaskThrottles: ecsStats.runTaskThrottles,
    schedulerPodsPerSecond,
    ...(latencyWatch
      ? {
          watchEventLatencyMsP50: round(percentile(watchLatencyAll, 50)),
          watchEventLatencyMsP99: round(percentile(watchLatencyAll, 99)),
          watchReadUnitsPerMinute10: idleAt(10),
          watchReadUnitsPerMinute1000: idleAt(1000),
        }
      : {}),
    ...(injected ? { faults: injected } : {}),
  }),
);
