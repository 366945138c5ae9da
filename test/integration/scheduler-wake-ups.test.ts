import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoNodeStore } from '../../functions/adapters/dynamodb/node-store';
import { dynamoPodStore } from '../../functions/adapters/dynamodb/pod-store';
import { requeueUnschedulable } from '../../functions/core/controllers/requeue';
import { withFreshPod } from '../../functions/core/controllers/retry';
import type { PodRecord } from '../../functions/core/ports';
import { functionDefinitions } from '../../functions/wiring';
import { StreamPoller } from '../../local/stream-poller';
import { GiB, nodeObject, storedPod } from '../fixtures';
import { useFreshTable } from './support';

/**
 * Issue 13's reproduction, repeated: three nodes of 4 CPU filled with pods of 500m, six more pods
 * created (no room: they wait), and six bound pods deleted at once while the scheduler handles the
 * new pods' records, each delete as the kubelet does it (the pod removed with its capacity given
 * back, then the waiting pods requeued). Every waiting pod must be bound within 2 s of the
 * deletes, in every round, however the deletes fell against the scheduling attempts. The
 * scheduler runs as on AWS: its handler, fed by the table's stream through the stream filter.
 */
const pods = dynamoPodStore;
const nodes = dynamoNodeStore;
const rounds = 20;
const waiting = 6;
let table: Awaited<ReturnType<typeof useFreshTable>>;
let poller: StreamPoller;
let streams: DynamoDBStreamsClient;

beforeAll(async () => {
  table = await useFreshTable();
  for (const name of ['n1', 'n2', 'n3'])
    await nodes.putNode(nodeObject(name), { cpuMillis: 4000, memoryBytes: 8 * GiB, pods: 110 });
  streams = new DynamoDBStreamsClient({ endpoint: table.endpoint, region: 'us-east-1' });
  const { handler } = await import('../../functions/scheduler/handler');
  const context = {
    getRemainingTimeInMillis: () => 60_000,
    functionName: 'scheduler',
    awsRequestId: 'test',
  } as unknown as Context;
  poller = new StreamPoller({
    client: streams,
    streamArn: table.streamArn,
    trigger: functionDefinitions.scheduler.trigger,
    pollIntervalMs: 25,
    onDiscard: (records, reason) => {
      throw new Error(`${records.length} records discarded: ${reason}`);
    },
    invoke: (event: DynamoDBStreamEvent) => handler(event, context),
  });
  poller.start();
}, 120_000);

afterAll(async () => {
  await poller?.stop();
  streams?.destroy();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function read(name: string): Promise<PodRecord | undefined> {
  return pods.getPod('default', name, true);
}

/** Waits until every named pod is bound; the time that took, or undefined past the deadline. */
async function allBound(names: readonly string[], deadlineMs: number): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < deadlineMs) {
    const records = await Promise.all(names.map(read));
    if (records.every((r) => r?.pod.spec?.nodeName)) return Date.now() - started;
    await sleep(20);
  }
  return undefined;
}

/** The kubelet's deletion of a pod with no task left: removed, capacity back, waiting pods requeued. */
async function deleteAsTheKubeletDoes(name: string) {
  const record = await read(name);
  if (!record) throw new Error(`no pod ${name}`);
  await withFreshPod(record, pods, (fresh) => pods.deletePod(fresh));
  await requeueUnschedulable({ pods });
}

describe('waiting pods and bound pods deleted at once, round after round', () => {
  it('binds every waiting pod within 2 s of the deletes', async () => {
    const late: string[] = [];
    const times: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const fill = Array.from({ length: 24 }, (_, i) => `r${round}-bound-${i}`);
      await Promise.all(fill.map((name) => pods.createPod(storedPod(name, { cpu: '500m' }))));
      expect(await allBound(fill, 20_000)).toBeDefined();

      const waiters = Array.from({ length: waiting }, (_, i) => `r${round}-waiting-${i}`);
      const victims = fill.slice(0, waiting);
      // The deletes start somewhere between before the new pods' first attempt and after their
      // Unschedulable marks, differently each round.
      const offset = (round * 37) % 120;
      const created = Promise.all(waiters.map((name) => pods.createPod(storedPod(name, { cpu: '500m' }))));
      await sleep(offset);
      await Promise.all(victims.map(deleteAsTheKubeletDoes));
      await created;
      const took = await allBound(waiters, 2_000);
      if (took === undefined) late.push(`round ${round} (deletes ${offset} ms after the creates)`);
      else times.push(took);

      // Never overcommitted: each node's counters are its pods' requests.
      const records = (await Promise.all([...fill, ...waiters].map(read))).filter(
        (r): r is PodRecord => r !== undefined,
      );
      for (const info of await nodes.listNodes({ consistent: true })) {
        const name = info.node.metadata?.name;
        const mine = records.filter((r) => r.pod.spec?.nodeName === name && !r.released);
        expect(info.requested.cpuMillis).toBe(
          mine.reduce((sum, r) => sum + (r.boundRequests?.cpuMillis ?? 0), 0),
        );
        expect(info.requested.cpuMillis).toBeLessThanOrEqual(info.allocatable.cpuMillis);
      }
      // An empty cluster for the next round.
      await Promise.all(records.map((r) => withFreshPod(r, pods, (fresh) => pods.deletePod(fresh))));
    }
    expect(late).toEqual([]);
    expect(times).toHaveLength(rounds);
  }, 300_000);
});
