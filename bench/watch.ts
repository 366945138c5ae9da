import { randomUUID } from 'node:crypto';
import { request } from 'node:https';
import { type AttributeValue, type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { changeIndexName, changeWindowMicros } from '../functions/adapters/dynamodb/changes';
import { consumedCapacity, dynamo } from '../functions/adapters/dynamodb/client';
import { podPartition } from '../functions/adapters/dynamodb/items';
import { dynamoPodStore } from '../functions/adapters/dynamodb/pod-store';
import { settledAfterMicros, watchPollMs } from '../functions/core/api/watch';
import type { Pod } from '../functions/core/k8s';
import { listSlackMicros } from '../functions/core/resource-version';
import { type ApiClientOptions, callApi } from '../local/api-client';
import { percentile, round } from './stats';

/** Read units and calls, split into what watches read and what everything else read. */
export interface ReadSplit {
  watchUnits: number;
  /**
   * The same reads at AWS's price, as far as it differs: AWS charges a Query at least one 4 KB
   * read (0.5 units, eventually consistent) even when it finds nothing, where DynamoDB Local
   * reports 0 for an empty result.
   */
  watchAwsUnits: number;
  /** Calls a watch made: its change-index queries (one a poll) and its reads of changed items. */
  watchQueries: number;
  watchBatchGets: number;
  otherUnits: number;
  otherCalls: number;
  /** Change-index queries filed as not a watch's, or a watch's Query of another index: 0. */
  misfiled: number;
}

const reads = /^(Get|BatchGet|Query|Scan|TransactGet)/;

/** One read a watch made: when it was sent, how long DynamoDB took, and how many items it read. */
export interface WatchCall {
  readonly kind: 'query' | 'batchGet';
  readonly sentAt: number;
  readonly ms: number;
  readonly items: number;
}

/**
 * Files every read the adapters make under "watch" or "other". A watch reads through one function,
 * itemsChangedSince (functions/adapters/dynamodb/changes.ts): its change-index Query and its
 * BatchGet of the changed items. A middleware on the adapters' client (added from the benchmark,
 * like meterWritesByKind) takes the call's stack before the request leaves (the SDK calls the
 * middleware synchronously from the adapter) and files the call's consumed capacity as a watch's
 * when itemsChangedSince is on it. Every change-index Query must be filed as a watch's and no
 * other Query (counted as `misfiled`, checked to be 0); a BatchGet getAll retries after a pause
 * (unprocessed keys: DynamoDB Local does not throttle) could lose the frame and count as other. Only the
 * benchmark's watches call it (no kubectl or informer runs in the benchmark), so "watch" is exactly
 * their reads, and "other" is the reconcile's, node sync's, the controllers' and the apiserver's.
 */
export function meterWatchReads(): { snapshot(): ReadSplit; calls(): readonly WatchCall[] } {
  const calls: WatchCall[] = [];
  const split: ReadSplit = {
    watchUnits: 0,
    watchAwsUnits: 0,
    watchQueries: 0,
    watchBatchGets: 0,
    otherUnits: 0,
    otherCalls: 0,
    misfiled: 0,
  };
  const isChangeIndexQuery = (input: unknown) =>
    (input as { IndexName?: string }).IndexName === changeIndexName;
  dynamo().middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? '';
      if (!reads.test(command)) return next(args);
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 80;
      const byWatch = (new Error().stack ?? '').includes('itemsChangedSince');
      Error.stackTraceLimit = limit;
      const sentAt = Date.now();
      const result = await next(args);
      const ms = Date.now() - sentAt;
      const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity as
        | { CapacityUnits?: number; ReadCapacityUnits?: number }
        | { CapacityUnits?: number; ReadCapacityUnits?: number }[]
        | undefined;
      const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce(
        (sum, c) => sum + (c.CapacityUnits ?? c.ReadCapacityUnits ?? 0),
        0,
      );
      const query = command.startsWith('Query');
      if (query && isChangeIndexQuery(args.input) !== byWatch) split.misfiled += 1;
      if (byWatch) {
        split.watchUnits += units;
        split.watchAwsUnits += query ? Math.max(units, 0.5) : units;
        if (query) split.watchQueries += 1;
        else split.watchBatchGets += 1;
        const output = result.output as { Count?: number; Responses?: Record<string, unknown[]> };
        const items = query
          ? (output.Count ?? 0)
          : Object.values(output.Responses ?? {}).reduce((sum, list) => sum + list.length, 0);
        calls.push({ kind: query ? 'query' : 'batchGet', sentAt, ms, items });
      } else {
        split.otherUnits += units;
        split.otherCalls += 1;
      }
      return result;
    },
    { step: 'initialize', name: 'podplaneBenchWatchReads', override: true },
  );
  return { snapshot: () => ({ ...split }), calls: () => calls };
}

export const minus = (a: ReadSplit, b: ReadSplit): ReadSplit => ({
  watchUnits: a.watchUnits - b.watchUnits,
  watchAwsUnits: a.watchAwsUnits - b.watchAwsUnits,
  watchQueries: a.watchQueries - b.watchQueries,
  watchBatchGets: a.watchBatchGets - b.watchBatchGets,
  otherUnits: a.otherUnits - b.otherUnits,
  otherCalls: a.otherCalls - b.otherCalls,
  misfiled: a.misfiled - b.misfiled,
});

export interface WatchEvent {
  readonly type: string;
  readonly object: Pod;
}

export interface OpenWatch {
  /** Leaves the watch: the gateway tears the watch function's stream down and its polls stop. */
  close(): void;
  /** Settles when the response ends (the watch timed out, or close). */
  readonly ended: Promise<void>;
  /** Lines that were not a JSON watch event. */
  readonly malformed: () => number;
}

/**
 * One pod watch as a client holds it: a raw HTTPS GET of `?watch=1&resourceVersion=...` on its own
 * connection, the body read as newline-delimited JSON watch events as its chunks arrive. Each event
 * is handed on with the time its chunk arrived (Date.now(), the clock the control plane in this
 * process stamps its writes with). Resolves once the response's headers are in.
 */
export function openWatch(
  client: ApiClientOptions,
  path: string,
  onEvent: (event: WatchEvent, arrivedAt: number) => void,
): Promise<OpenWatch> {
  return new Promise((resolve, reject) => {
    let malformed = 0;
    let endWatch: () => void = () => undefined;
    const ended = new Promise<void>((done) => {
      endWatch = done;
    });
    const req = request(
      new URL(path, client.url),
      {
        method: 'GET',
        ca: client.ca,
        agent: false,
        headers: { ...(client.token ? { authorization: `Bearer ${client.token}` } : {}) },
      },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`watch ${path} answered ${res.statusCode}`));
          res.resume();
          return;
        }
        let pending = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const arrivedAt = Date.now();
          pending += chunk;
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) {
            if (!line.trim()) continue;
            try {
              onEvent(JSON.parse(line) as WatchEvent, arrivedAt);
            } catch {
              malformed += 1;
            }
          }
        });
        res.on('end', endWatch);
        res.on('close', endWatch);
        res.on('error', endWatch);
        resolve({ close: () => req.destroy(), ended, malformed: () => malformed });
      },
    );
    req.on('error', (error) => {
      endWatch();
      reject(error);
    });
    req.end();
  });
}

/**
 * Where a watch's time went between two moments, for the log: its polls (change-index queries),
 * the time between one poll's start and the next (watchPollMs of sleep, plus the reads and the
 * sending of the events before it), and each read's time and items.
 */
export function describePolls(calls: readonly WatchCall[], from: number, to: number): string {
  const inside = calls.filter((call) => call.sentAt >= from && call.sentAt <= to);
  const queries = inside.filter((call) => call.kind === 'query');
  const gets = inside.filter((call) => call.kind === 'batchGet');
  const gaps = queries.slice(1).map((call, i) => call.sentAt - (queries[i]?.sentAt ?? call.sentAt));
  const spread = (samples: number[]) =>
    samples.length === 0
      ? '-'
      : `p50 ${percentile(samples, 50)}, p90 ${percentile(samples, 90)}, max ${percentile(samples, 100)}`;
  return (
    `${queries.length} polls, poll to poll ${spread(gaps)} ms; Query ${spread(queries.map((c) => c.ms))} ms, ` +
    `entries ${spread(queries.map((c) => c.items))}; ${gets.length} BatchGets ${spread(gets.map((c) => c.ms))} ms, ` +
    `items ${spread(gets.map((c) => c.items))}`
  );
}

/**
 * When a watch first showed each pod's changes, by name: its ADDED event, the first event that
 * carries its deletionTimestamp (or DELETED, if the watch first saw it gone), and its DELETED
 * event. Events of other names are ignored.
 */
export class PodEventTimes {
  readonly added = new Map<string, number>();
  readonly deleting = new Map<string, number>();
  readonly deleted = new Map<string, number>();
  /** Events out of the order a pod's life allows (MODIFIED or DELETED before ADDED, ADDED twice). */
  readonly outOfOrder: string[] = [];
  events = 0;

  constructor(private readonly prefix: string) {}

  readonly record = (event: WatchEvent, arrivedAt: number) => {
    const name = event.object?.metadata?.name ?? '';
    if (!name.startsWith(this.prefix)) return;
    this.events += 1;
    if (event.type === 'ADDED') {
      if (this.added.has(name)) this.outOfOrder.push(`${name}: ADDED again`);
      else this.added.set(name, arrivedAt);
    } else if (!this.added.has(name)) this.outOfOrder.push(`${name}: ${event.type} before ADDED`);
    if ((event.type === 'DELETED' || event.object?.metadata?.deletionTimestamp) && !this.deleting.has(name))
      this.deleting.set(name, arrivedAt);
    if (event.type === 'DELETED') {
      if (this.deleted.has(name)) this.outOfOrder.push(`${name}: DELETED again`);
      else this.deleted.set(name, arrivedAt);
    }
  };
}

/** The resourceVersion a list of the namespace's pods reports: where a watch that follows starts. */
export async function listResourceVersionOf(client: ApiClientOptions, namespace: string): Promise<string> {
  const reply = await callApi(client, 'GET', `/api/v1/namespaces/${namespace}/pods`);
  if (reply.status !== 200) throw new Error(`list of ${namespace}'s pods answered ${reply.status}`);
  const rv = (JSON.parse(reply.body) as { metadata?: { resourceVersion?: string } }).metadata
    ?.resourceVersion;
  if (!rv) throw new Error(`list of ${namespace}'s pods has no resourceVersion`);
  return rv;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface IdleWatchCost {
  readonly pods: number;
  readonly windowMs: number;
  /** What the idle watch read in the window, scaled to a minute. */
  readonly readUnitsPerMinute: number;
  /** The same at AWS's price (ReadSplit.watchAwsUnits). */
  readonly awsReadUnitsPerMinute: number;
  readonly queriesPerMinute: number;
  readonly batchGets: number;
  /** Reads of everything else in the same window (the reconcile, node sync), not counted. */
  readonly otherUnits: number;
  readonly otherCalls: number;
  /** Every read in the window by the adapters' own totals (recordCapacity): watch + other. */
  readonly totalUnits: number;
  readonly events: number;
  /** One Query of the namespace's partition: what the old watch read on every 250 ms poll. */
  readonly oldDesignUnitsPerPoll: number;
  readonly oldDesignUnitsPerMinute: number;
}

/**
 * What one idle pod watch reads, with `counts` pods (ascending) in its namespace and nothing else
 * happening. The pods are written straight through the pod store adapter (dynamoPodStore.createPod,
 * the items a watch reads), as finished pods (phase Succeeded: stage `done`, which no controller's
 * stream filter passes), so that neither the scheduler nor the kubelet nor ECS does anything for
 * them; creating 1,000 running pods through the API would take about 45 s of RunTask's rate alone.
 * For each count: the pods are written, the watch starts after them (from the resourceVersion of
 * a list taken when the last write is older than the list's look-back), has a moment to make its
 * first poll, and then its reads over `windowMs` are counted (see meterWatchReads) and scaled to
 * a minute. Reads the same window's other work makes (the reconcile and node sync run every 60 s)
 * are filed apart and reported, not counted.
 */
export async function measureIdleWatch(options: {
  readonly client: ApiClientOptions;
  readonly namespace: string;
  readonly counts: readonly number[];
  readonly windowMs: number;
  readonly meter: { snapshot(): ReadSplit };
  /** A client of the bench's own (unmetered) for the old design's query. */
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  readonly log: (line: string) => void;
}): Promise<IdleWatchCost[]> {
  const { client, namespace, log } = options;
  const created = await callApi(client, 'POST', '/api/v1/namespaces', {
    text: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }),
  });
  if (created.status !== 201) throw new Error(`creating namespace ${namespace} answered ${created.status}`);
  const results: IdleWatchCost[] = [];
  let written = 0;
  for (const count of options.counts) {
    const names = Array.from({ length: count - written }, (_, i) => `idle-${written + i}`);
    await writeFinishedPods(namespace, names);
    written = count;
    // The watch starts from a list's resourceVersion, which is the list's start less
    // listSlackMicros: wait until the last write is older than that, so the watch has nothing to
    // send and only polls.
    await sleep(listSlackMicros / 1000 + 500);
    const rv = await listResourceVersionOf(client, namespace);
    let events = 0;
    const watch = await openWatch(
      client,
      `/api/v1/namespaces/${namespace}/pods?watch=1&resourceVersion=${rv}&timeoutSeconds=${Math.ceil(options.windowMs / 1000) + 60}`,
      () => {
        events += 1;
      },
    );
    // The first polls read the change index's window of the last writes (and, until a poll
    // began settledAfterMicros after them, their moments): a quiet watch's cost is what follows.
    await sleep((settledAfterMicros + changeWindowMicros) / 1000 + 2 * watchPollMs);
    const before = { split: options.meter.snapshot(), total: consumedCapacity().readUnits, at: Date.now() };
    await sleep(options.windowMs);
    const after = { split: options.meter.snapshot(), total: consumedCapacity().readUnits, at: Date.now() };
    watch.close();
    await watch.ended;
    await waitUntilWatchesStop(options.meter);
    const window = minus(after.split, before.split);
    const perMinute = 60_000 / (after.at - before.at);
    const oldDesignUnitsPerPoll = await namespaceQueryUnits(options.dynamodb, options.tableName, namespace);
    const result: IdleWatchCost = {
      pods: count,
      windowMs: after.at - before.at,
      readUnitsPerMinute: round(window.watchUnits * perMinute, 1),
      awsReadUnitsPerMinute: round(window.watchAwsUnits * perMinute, 1),
      queriesPerMinute: round(window.watchQueries * perMinute, 1),
      batchGets: window.watchBatchGets,
      otherUnits: round(window.otherUnits, 1),
      otherCalls: window.otherCalls,
      totalUnits: round(after.total - before.total, 1),
      events,
      oldDesignUnitsPerPoll: round(oldDesignUnitsPerPoll, 1),
      oldDesignUnitsPerMinute: round(oldDesignUnitsPerPoll * (60_000 / watchPollMs), 1),
    };
    log(
      `idle watch, ${count} pods: ${round(window.watchUnits, 1)} read units in ${result.windowMs} ms ` +
        `(${result.readUnitsPerMinute} a minute; at AWS's price ${result.awsReadUnitsPerMinute}; ${window.watchQueries} change-index queries, ` +
        `${window.watchBatchGets} BatchGets, ${events} events); other reads in the window ` +
        `${result.otherUnits} units in ${window.otherCalls} calls (not counted); all reads ${result.totalUnits}. ` +
        `The old watch's Query of the namespace: ${result.oldDesignUnitsPerPoll} units a poll, ` +
        `${result.oldDesignUnitsPerMinute} a minute`,
    );
    results.push(result);
  }
  return results;
}

/** Finished pods written straight to the table, 50 at a time. */
async function writeFinishedPods(namespace: string, names: readonly string[]): Promise<void> {
  const queue = [...names];
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      for (let name = queue.shift(); name; name = queue.shift()) {
        const pod: Pod = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace, uid: randomUUID(), creationTimestamp: new Date().toISOString() },
          spec: { restartPolicy: 'Never', containers: [{ name: 'job', image: 'busybox:1.36' }] },
          status: { phase: 'Succeeded' },
        };
        await dynamoPodStore.createPod(pod);
      }
    }),
  );
}

/** Waits until no watch has polled for a second: the closed watch's function has stopped. */
async function waitUntilWatchesStop(meter: { snapshot(): ReadSplit }): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const before = meter.snapshot().watchQueries;
    await sleep(1000);
    if (meter.snapshot().watchQueries === before) {
      const misfiled = meter.snapshot().misfiled;
      if (misfiled > 0) throw new Error(`${misfiled} reads of the change index were misfiled`);
      return;
    }
  }
  throw new Error('a closed watch still polls');
}

/** The read units of one eventually consistent Query of the namespace's pod partition, all pages. */
async function namespaceQueryUnits(client: DynamoDBClient, tableName: string, namespace: string) {
  let units = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: podPartition(namespace) } },
        ExclusiveStartKey: start,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    units += out.ConsumedCapacity?.CapacityUnits ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  return units;
}
