import { objectsTable } from '../../wiring';
import type { ObjectItem } from './items';
import { queryAll } from './query';

/** `feed` of pod items and of event items: their partitions of the change index. */
export const podFeed = 'pods';
export const eventFeed = 'events';

export const changeIndexName = 'byChangeWindow';

const changeIndex = (() => {
  const index = objectsTable.indexes.find((candidate) => candidate.name === changeIndexName);
  if (!index?.sortKey) throw new Error(`functions/wiring.ts lost the ${changeIndexName} index`);
  return { name: index.name, key: index.partitionKey, sortKey: index.sortKey.name };
})();

/** How much of the clock one change-index key spans, in microseconds (a resourceVersion's unit). */
export const changeWindowMicros = 2_000_000;

/**
 * Where a write goes in the change index: the two-second window of its resourceVersion (the
 * version rounded down to a multiple of changeWindowMicros). An item written again within the
 * same window keeps its index key, and DynamoDB updates the entry in place: one index write
 * instead of a delete and a put. Every write of a feed item sets it with `rv`.
 */
export const changeWindow = (resourceVersion: number) =>
  resourceVersion - (resourceVersion % changeWindowMicros);

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
  const entries = await queryAll(feed, changeIndex, {
    // The whole window `resourceVersion` falls in, and every later one.
    after: { key: changeIndex.sortKey, value: changeWindow(resourceVersion) - 1 },
    // A namespace's watch passes over other namespaces' entries without sending them.
    ...(pk ? { where: { attribute: 'pk', value: pk } } : {}),
  });
  // A watch reads a little before its last event (writers' clocks differ): what it already has
  // is passed over.
  return entries
    .filter((entry) => entry.rv > resourceVersion && !seen(String(entry.pk), String(entry.sk), entry.rv))
    .sort((a, b) => a.rv - b.rv);
}
