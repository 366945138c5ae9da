import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeIndexName } from '../../functions/adapters/dynamodb/changes';
import { objectsTable, type TableDefinition } from '../../functions/wiring';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb-local';
import { ensureTable } from '../../local/tables';

// A --data-dir keeps the table of the podplane that made it: the next start brings its indexes
// to what the wiring says now, as a deploy does to the stack's table.

// A DynamoDB Local of its own: it changes one index of a table at a time, and the shared one, busy
// with every other test file, took more than 30 s to finish creating one.
let local: DynamoDbLocal;
let client: DynamoDBClient;
beforeAll(async () => {
  local = await startDynamoDbLocal();
  client = new DynamoDBClient({
    endpoint: local.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'podplane', secretAccessKey: 'podplane' },
  });
});
afterAll(async () => {
  client?.destroy();
  await local?.stop();
});

/** The table's indexes, less those being deleted (DynamoDB finishes that on its own). */
const indexNames = async (tableName: string) =>
  (
    (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.GlobalSecondaryIndexes ??
    []
  )
    .filter((index) => index.IndexStatus !== 'DELETING')
    .map((index) => index.IndexName)
    .sort();

describe('a table kept from an older podplane', () => {
  it('gains the indexes the wiring added and loses the ones it dropped', async () => {
    const tableName = `tables-${randomUUID()}`;
    // The table as the podplane before the change index keyed by window made it.
    const older: TableDefinition = {
      ...objectsTable,
      indexes: [
        ...objectsTable.indexes.filter((index) => index.name !== changeIndexName),
        {
          name: 'byChange',
          partitionKey: 'feed',
          sortKey: { name: 'rv', type: 'number' },
          projection: 'KEYS_ONLY',
        },
      ],
    };
    await ensureTable(client, tableName, older);
    expect(await indexNames(tableName)).toContain('byChange');
    expect(await indexNames(tableName)).not.toContain(changeIndexName);

    await ensureTable(client, tableName, objectsTable);
    expect(await indexNames(tableName)).toEqual(objectsTable.indexes.map((index) => index.name).sort());
    // Started again, the table is as the wiring says: nothing to add or drop.
    await ensureTable(client, tableName, objectsTable);
    expect(await indexNames(tableName)).toEqual(objectsTable.indexes.map((index) => index.name).sort());
  }, 120_000);
});
