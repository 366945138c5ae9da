import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionDefinitions } from '../../functions/wiring';
import { sleep } from '../../local/processes';
import { StreamPoller } from '../../local/stream-poller';
import { useFreshTable } from './support';

let table: { tableName: string; streamArn: string; endpoint: string };
let dynamodb: DynamoDBClient;
let streams: DynamoDBStreamsClient;

beforeAll(async () => {
  table = await useFreshTable();
  dynamodb = new DynamoDBClient({ endpoint: table.endpoint, region: 'us-east-1' });
  streams = new DynamoDBStreamsClient({ endpoint: table.endpoint, region: 'us-east-1' });
});

afterAll(() => {
  dynamodb.destroy();
  streams.destroy();
});

const put = (name: string, stage: string) =>
  dynamodb.send(
    new PutItemCommand({
      TableName: table.tableName,
      Item: {
        pk: { S: 'pods/default' },
        sk: { S: name },
        stage: { S: stage },
        // As the pod store writes it: the scheduler's filter passes only its own schedulers' pods.
        schedulerName: { S: 'default-scheduler' },
        rv: { N: '1' },
        body: { S: '{}' },
      },
    }),
  );

const nameOf = (record: DynamoDBRecord) => record.dynamodb?.NewImage?.sk?.S ?? '';

async function until(condition: () => boolean, what: string) {
  for (let i = 0; i < 300; i++) {
    if (condition()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the local event source mapping over a real DynamoDB stream', () => {
  it('delivers only matching records, in order, and redelivers from the first reported failure', async () => {
    const delivered: string[] = [];
    let failedOnce = false;
    const discarded: string[] = [];
    const poller = new StreamPoller({
      client: streams,
      streamArn: table.streamArn,
      trigger: functionDefinitions.scheduler.trigger,
      pollIntervalMs: 10,
      onDiscard: (records) => discarded.push(...records.map(nameOf)),
      invoke: async (event: DynamoDBStreamEvent) => {
        const names = event.Records.map(nameOf);
        delivered.push(...names);
        const failing = event.Records.find((r) => nameOf(r) === 'b');
        if (failing && !failedOnce) {
          failedOnce = true;
          return { batchItemFailures: [{ itemIdentifier: failing.dynamodb?.SequenceNumber ?? '' }] };
        }
        return { batchItemFailures: [] };
      },
    });
    poller.start();
    try {
      await put('a', 'schedule');
      await put('skipped', 'run');
      await put('b', 'schedule');
      await put('c', 'schedule');
      await until(
        () =>
          delivered.filter((n) => n === 'c').length >= 1 &&
          failedOnce &&
          delivered.filter((n) => n === 'b').length === 2,
        'redelivery',
      );
    } finally {
      await poller.stop();
    }
    expect(delivered).not.toContain('skipped');
    expect(delivered.filter((n) => n === 'a')).toHaveLength(1);
    expect(delivered.filter((n) => n === 'b')).toHaveLength(2);
    expect(delivered.indexOf('b')).toBeLessThan(delivered.lastIndexOf('c'));
    expect(discarded).toEqual([]);
  });

  it('sends a record that keeps failing to the on-failure destination after the retry limit', async () => {
    const attempts: string[] = [];
    const discarded: string[] = [];
    const trigger = { ...functionDefinitions.kubelet.trigger, retryAttempts: 2 };
    const poller = new StreamPoller({
      client: streams,
      streamArn: table.streamArn,
      trigger,
      pollIntervalMs: 10,
      onDiscard: (records) => discarded.push(...records.map(nameOf)),
      invoke: async (event) => {
        attempts.push(...event.Records.map(nameOf));
        throw new Error('handler crashed');
      },
    });
    poller.start();
    try {
      await put('poison', 'launch');
      await until(() => discarded.includes('poison'), 'discard');
    } finally {
      await poller.stop();
    }
    expect(attempts.filter((n) => n === 'poison')).toHaveLength(3);
  });
});
