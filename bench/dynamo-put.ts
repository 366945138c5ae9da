import { randomBytes } from 'node:crypto';
import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';

/**
 * DynamoDB Local's own ceiling on this machine, measured in the benchmark's run: conditional
 * PutItems (`attribute_not_exists(pk)`, one new item each, as a pod create is) from `concurrency`
 * clients at once against the same DynamoDB Local, until `maxPuts` are done or `maxMs` passed.
 * The items are about the size of a stored pod and go to a partition nothing reads; like a
 * create, each feeds the table's stream. Returns each put's latency in ms.
 */
export async function measureConditionalPuts(options: {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly concurrency: number;
  readonly maxPuts?: number;
  readonly maxMs?: number;
}): Promise<number[]> {
  const { client, tableName, concurrency } = options;
  const maxPuts = options.maxPuts ?? 3000;
  const deadline = Date.now() + (options.maxMs ?? 5000);
  const run = randomBytes(4).toString('hex');
  const body = randomBytes(300);
  let next = 0;
  const put = (n: number) =>
    client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: `bench-puts/${run}` },
          sk: { S: `put-${n}` },
          rv: { N: String(Date.now() * 1000) },
          stage: { S: 'bench' },
          body: { B: body },
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  // Each client's connection is opened before timing starts.
  await Promise.all(Array.from({ length: concurrency }, () => put(next++)));
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (latencies.length < maxPuts && Date.now() < deadline) {
        const started = performance.now();
        await put(next++);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}
