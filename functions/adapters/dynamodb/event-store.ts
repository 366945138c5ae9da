import { randomUUID } from 'node:crypto';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Event } from '../../core/events';
import type { EventStore } from '../../core/ports';
import { tableName } from '../config';
import { eventFeed, itemsChangedSince } from './changes';
import { dynamo, recordCapacity } from './client';
import { eventItems, eventPartition, eventsFromItem, eventTtlSeconds, recordTogether } from './event-items';
import { listNamespaceNames } from './namespace-store';
import { queryAll } from './query';

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
    for (const item of items.filter((i) => Number(i.expiresAt ?? 0) > now).sort((a, b) => a.rv - b.rv))
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
        deleted: false,
        written: `${item.pk}/${item.sk}`,
      })),
    );
  },
};
