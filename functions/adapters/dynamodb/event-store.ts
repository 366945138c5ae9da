import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Event } from '../../core/events';
import type { EventStore } from '../../core/ports';
import { nextResourceVersion, watchWindowSeconds } from '../../core/resource-version';
import { tableName } from '../config';
import { changeWindow, eventFeed, itemsChangedSince } from './changes';
import { dynamo, recordCapacity } from './client';
import { eventItems, eventPartition, eventsFromItem, eventTtlSeconds, recordTogether } from './event-items';
import { isConditionFailure, type ObjectItem } from './items';
import { listNamespaceNames } from './namespace-store';
import { queryAll } from './query';
import { encodeBody } from './stored-body';

export { eventTtlSeconds };

export const dynamoEventStore: EventStore = {
  async record(event) {
    // Written with the other events recorded at the same moment, in as few items as fit in 1 KB.
    await recordTogether(event);
  },

  async recordMany(events) {
    // The events of a batch, in as few items as eventItems bundles them into, put with
    // BatchWriteItem 25 at a time; what DynamoDB leaves unprocessed (throttling) is sent again.
    // One request may not put the same key twice: the last of an event's occurrences wins.
    const distinct = [
      ...new Map(
        events.map((e) => [`${e.metadata?.namespace}/${e.metadata?.name ?? randomUUID()}`, e]),
      ).values(),
    ];
    const puts = eventItems(distinct).map(({ item }) => ({ PutRequest: { Item: item } }));
    const chunks: Record<string, unknown>[][] = [];
    for (let i = 0; i < puts.length; i += 25) chunks.push(puts.slice(i, i + 25));
    await Promise.all(
      chunks.map(async (chunk) => {
        let requests = chunk;
        for (let attempt = 0; requests.length > 0; attempt++) {
          if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
          const out = await dynamo().send(
            new BatchWriteCommand({
              RequestItems: { [tableName()]: requests },
              ReturnConsumedCapacity: 'TOTAL',
            }),
          );
          recordCapacity('write', out.ConsumedCapacity);
          requests = (out.UnprocessedItems?.[tableName()] ?? []) as Record<string, unknown>[];
          if (attempt >= 5 && requests.length > 0)
            throw new Error(`${requests.length} events left unprocessed by BatchWriteItem`);
        }
      }),
    );
  },

  async listEvents(namespace) {
    const namespaces = namespace ? [namespace] : await listNamespaceNames();
    const now = Math.floor(Date.now() / 1000);
    const items = (await Promise.all(namespaces.map((ns) => queryAll(eventPartition(ns))))).flat();
    // TTL deletion lags by up to days; an expired event is gone for clients at once. An event
    // written again (the same occurrence, by a retried controller) may sit in two items: the
    // later write is the event.
    const latest = new Map<string, { event: Event; rv: number }>();
    const live = items.filter((i) => Number(i.expiresAt ?? 0) > now && i.deleted !== true);
    for (const item of live.sort((a, b) => a.rv - b.rv))
      for (const event of eventsFromItem(item))
        latest.set(`${event.metadata?.namespace}/${event.metadata?.name}`, { event, rv: item.rv });
    return [...latest.values()].map(({ event }) => event);
  },

  async eventChangesSince(namespace, resourceVersion, seen) {
    // A bundle's events share its key and resourceVersion: it is read once, for all of them.
    const items = await itemsChangedSince(
      eventFeed,
      resourceVersion,
      namespace && eventPartition(namespace),
      seen && ((pk, sk, rv) => seen(`${pk}/${sk}`, rv)),
    );
    return items.flatMap((item) =>
      eventsFromItem(item).map((event) => ({
        key: `${event.metadata?.namespace}/${event.metadata?.name}`,
        object: event,
        resourceVersion: item.rv,
        deleted: item.deleted === true,
        written: `${item.pk}/${item.sk}`,
      })),
    );
  },

  async deleteEvent(namespace, name) {
    // A recorder that writes the event again meanwhile moves an item: read again and redo.
    for (let attempt = 1; ; attempt++) {
      try {
        return await deleteEventOnce(namespace, name);
      } catch (error) {
        if (!isConditionFailure(error) || attempt >= 3) throw error;
      }
    }
  },
};

/**
 * An event may sit in its own item and in bundles (eventItems): each bundle holding it is written
 * again without it, and its own item (written if it had none) becomes a tombstone carrying its
 * last state, which a watch reads as the deletion and TTL removes after the watch window.
 */
async function deleteEventOnce(namespace: string, name: string): Promise<void> {
  const holding = (await queryAll(eventPartition(namespace), undefined, { consistent: true })).filter(
    (item) => item.deleted !== true && eventsFromItem(item).some((e) => e.metadata?.name === name),
  );
  const latest = holding.sort((a, b) => a.rv - b.rv).at(-1);
  const event = latest && eventsFromItem(latest).find((e) => e.metadata?.name === name);
  if (!latest || !event) return;
  for (const bundle of holding.filter((item) => item.sk !== name)) {
    const rest = eventsFromItem(bundle)
      .filter((e) => e.metadata?.name !== name)
      .map(({ metadata, ...e }) => {
        const { resourceVersion: _rv, ...kept } = metadata ?? {};
        return { ...e, metadata: kept };
      });
    const rv = nextResourceVersion(bundle.rv);
    await update(bundle, 'SET body = :body, rv = :rv, changed = :changed', {
      ':body': encodeBody(JSON.stringify(rest.length === 1 ? rest[0] : rest)),
      ':rv': rv,
      ':changed': changeWindow(rv),
    });
  }
  const { resourceVersion: _rv, ...metadata } = event.metadata ?? {};
  const rv = nextResourceVersion(latest.rv);
  const out = await dynamo().send(
    new PutCommand({
      TableName: tableName(),
      Item: {
        pk: eventPartition(namespace),
        sk: name,
        rv,
        changed: changeWindow(rv),
        feed: eventFeed,
        deleted: true,
        body: encodeBody(JSON.stringify({ ...event, metadata })),
        expiresAt: Math.floor(Date.now() / 1000) + watchWindowSeconds,
      },
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  recordCapacity('write', out.ConsumedCapacity);
}

/** An update of an item as it was read (its rv unchanged since). */
async function update(item: ObjectItem, expression: string, values: Record<string, unknown>): Promise<void> {
  const out = await dynamo().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: { pk: item.pk, sk: item.sk },
      UpdateExpression: expression,
      ConditionExpression: 'rv = :expected',
      ExpressionAttributeValues: { ...values, ':expected': item.rv },
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  recordCapacity('write', out.ConsumedCapacity);
}
