import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { objectsTable } from '../../wiring';
import { tableName } from '../config';
import { dynamo, recordCapacity } from './client';
import type { ObjectItem } from './items';

/** `feed` of pod items and of event items: their partitions of the change index. */
export const podFeed = 'pods';
export const eventFeed = 'events';

const changeIndex = objectsTable.indexes.find((index) => index.name === 'byChange');
if (!changeIndex?.sortKey) throw new Error('functions/wiring.ts lost the byChange index');

/**
 * The items of a feed written after `resourceVersion` (of one partition, `pk`, when given),
 * oldest first, each as its latest write left it. The change index holds each item once, at its
 * latest write, with what a watch sends, so a read costs what changed, not how many objects
 * there are: one Query (half a read unit when nothing changed). An entry is the item as that
 * write left it (the index is eventually consistent, never torn), so versions arrive whole and
 * in order. `seen` names entries the caller already has, which are left out.
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
        // A namespace's watch passes over other namespaces' entries without sending them.
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
  // A watch reads a little before its last event (writers' clocks differ): what it already has
  // is passed over.
  return entries
    .filter((entry) => !seen(String(entry.pk), String(entry.sk), entry.rv))
    .sort((a, b) => a.rv - b.rv);
}
