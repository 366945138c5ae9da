import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { objectsTable } from '../../wiring';
import { tableName } from '../config';
import { getAll } from './batch-get';
import { dynamo, recordCapacity } from './client';
import type { ObjectItem } from './items';

/** `feed` of pod items and of event items: their partitions of the change index. */
export const podFeed = 'pods';
export const eventFeed = 'events';

const changeIndex = objectsTable.indexes.find((index) => index.name === 'byChange');
if (!changeIndex?.sortKey) throw new Error('functions/wiring.ts lost the byChange index');

/**
 * The items of a feed written after `resourceVersion` (of one partition, `pk`, when given),
 * oldest first. The change index holds each item once, at its latest write, so a read costs what
 * changed, not how many objects there are. It is keys only: the items are then read strongly
 * consistently, and one already written again since the index was read is left out, as its newer
 * write is in the index and is read by the next poll; so each item comes back at the write the
 * index named, and a watch sends its versions in order. `seen` names entries the caller already
 * has, which are not read again.
 */
export async function itemsChangedSince(
  feed: string,
  resourceVersion: number,
  pk?: string,
  seen: (pk: string, sk: string, resourceVersion: number) => boolean = () => false,
): Promise<ObjectItem[]> {
  const entries: ObjectItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: changeIndex?.name,
        KeyConditionExpression: 'feed = :feed AND rv > :since',
        // The index projects the table's keys: a namespace's watch passes over other namespaces'
        // entries (a few bytes each) without reading their items.
        ...(pk ? { FilterExpression: 'pk = :pk' } : {}),
        ExpressionAttributeValues: { ':feed': feed, ':since': resourceVersion, ...(pk ? { ':pk': pk } : {}) },
        ExclusiveStartKey: start,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    recordCapacity('read', out.ConsumedCapacity);
    entries.push(...((out.Items ?? []) as ObjectItem[]));
    start = out.LastEvaluatedKey;
  } while (start);
  // A watch reads a little before its last event (writers' clocks differ): what it already sent
  // is not read again.
  const fresh = entries.filter((entry) => !seen(String(entry.pk), String(entry.sk), entry.rv));
  if (fresh.length === 0) return [];
  const indexed = new Map(fresh.map((entry) => [`${entry.pk}\u0000${entry.sk}`, entry.rv]));
  const items = await getAll(
    fresh.map((entry) => ({ pk: String(entry.pk), sk: String(entry.sk) })),
    { consistent: true },
  );
  return items
    .filter((item) => indexed.get(`${item.pk}\u0000${item.sk}`) === item.rv)
    .sort((a, b) => a.rv - b.rv);
}
