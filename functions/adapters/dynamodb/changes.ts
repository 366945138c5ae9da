import { objectsTable } from '../../wiring';
import type { ObjectItem } from './items';
import { queryAll } from './query';

/** `feed` of pod items and of event items: their partitions of the change index. */
export const podFeed = 'pods';
export const eventFeed = 'events';

const changeIndex = (() => {
  const index = objectsTable.indexes.find((candidate) => candidate.name === 'byChange');
  if (!index?.sortKey) throw new Error('functions/wiring.ts lost the byChange index');
  return { name: index.name, key: index.partitionKey, sortKey: index.sortKey.name };
})();

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
    after: { key: changeIndex.sortKey, value: resourceVersion },
    // A namespace's watch passes over other namespaces' entries without sending them.
    ...(pk ? { where: { attribute: 'pk', value: pk } } : {}),
  });
  // A watch reads a little before its last event (writers' clocks differ): what it already has
  // is passed over.
  return entries
    .filter((entry) => !seen(String(entry.pk), String(entry.sk), entry.rv))
    .sort((a, b) => a.rv - b.rv);
}
