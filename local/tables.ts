import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  LimitExceededException,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { TableDefinition } from '../functions/wiring';

/** Creates a table from the same definition the CDK stack synthesizes; an existing one is kept. */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  definition: TableDefinition,
): Promise<string> {
  const keyAttributes = new Map<string, 'S' | 'N'>([
    [definition.partitionKey, 'S'],
    [definition.sortKey, 'S'],
    ...definition.indexes.map((i) => [i.partitionKey, 'S'] as const),
    ...definition.indexes.flatMap((i) =>
      i.sortKey ? [[i.sortKey.name, attributeType(i.sortKey.type)] as const] : [],
    ),
  ]);
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...keyAttributes].map(([name, type]) => ({
          AttributeName: name,
          AttributeType: type,
        })),
        KeySchema: [
          { AttributeName: definition.partitionKey, KeyType: 'HASH' },
          { AttributeName: definition.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: definition.indexes.map(indexSchema),
        StreamSpecification: { StreamEnabled: true, StreamViewType: definition.stream },
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: definition.timeToLiveAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  let described = await client.send(new DescribeTableCommand({ TableName: tableName }));
  // A table kept in a --data-dir from an older podplane gets the indexes added since, as a
  // deploy adds them to the stack's table.
  const existing = new Set((described.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  for (const index of definition.indexes.filter((i) => !existing.has(i.name))) {
    await updateIndexes(
      client,
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [...keyAttributes]
          .filter(([name]) => name === index.partitionKey || name === index.sortKey?.name)
          .map(([name, type]) => ({ AttributeName: name, AttributeType: type })),
        GlobalSecondaryIndexUpdates: [{ Create: indexSchema(index) }],
      }),
    );
    described = await client.send(new DescribeTableCommand({ TableName: tableName }));
  }
  // ... and loses the ones the wiring dropped, each of which would still cost every write (one
  // being deleted already, by an earlier start, goes on its own).
  const defined = new Set(definition.indexes.map((i) => i.name));
  const dropped = (described.Table?.GlobalSecondaryIndexes ?? []).filter(
    (i) => i.IndexStatus !== 'DELETING' && i.IndexName !== undefined && !defined.has(i.IndexName),
  );
  for (const name of dropped.map((i) => i.IndexName as string)) {
    await updateIndexes(
      client,
      new UpdateTableCommand({
        TableName: tableName,
        GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: name } }],
      }),
    );
  }
  const streamArn = described.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${tableName} has no stream`);
  return streamArn;
}

/**
 * An UpdateTable that creates or deletes an index, once the table's previous one is done: DynamoDB
 * (and DynamoDB Local) takes one at a time and refuses another meanwhile (LimitExceededException).
 */
async function updateIndexes(client: DynamoDBClient, update: UpdateTableCommand): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await client.send(update);
      return;
    } catch (error) {
      if (!(error instanceof LimitExceededException) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

const attributeType = (type: 'string' | 'number') => (type === 'number' ? 'N' : 'S');

function indexSchema(index: TableDefinition['indexes'][number]) {
  return {
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
      ...(index.sortKey ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' as const }] : []),
    ],
    Projection: {
      ProjectionType: index.projection,
      ...(index.nonKeyAttributes ? { NonKeyAttributes: [...index.nonKeyAttributes] } : {}),
    },
  };
}
