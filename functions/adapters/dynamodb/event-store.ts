import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Event } from '../../core/events';
import type { EventStore } from '../../core/ports';
import { nextResourceVersion } from '../../core/resource-version';
import { tableName } from '../config';
import { dynamo, recordCapacity } from './client';
import { bodyOf, objectFromItem } from './items';
import { listNamespaceNames } from './namespace-store';
import { queryAll } from './query';

/** Kubernetes keeps events for an hour (the apiserver's --event-ttl default). */
export const eventTtlSeconds = 3600;

const eventPartition = (namespace: string) => `events/${namespace}`;

export const dynamoEventStore: EventStore = {
  async record(event) {
    const out = await dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          pk: eventPartition(event.metadata?.namespace ?? 'default'),
          sk: event.metadata?.name ?? randomUUID(),
          // No top-level uid: events stay out of the byUid index, which only pods need.
          rv: nextResourceVersion(),
          body: bodyOf({ ...event, metadata: { uid: randomUUID(), ...event.metadata } }),
          expiresAt: Math.floor(Date.now() / 1000) + eventTtlSeconds,
        },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    recordCapacity('write', out.ConsumedCapacity);
  },

  async listEvents(namespace) {
    const namespaces = namespace ? [namespace] : await listNamespaceNames();
    const now = Math.floor(Date.now() / 1000);
    const items = (await Promise.all(namespaces.map((ns) => queryAll(eventPartition(ns))))).flat();
    // TTL deletion lags by up to days; an expired event is gone for clients at once.
    return items
      .filter((item) => Number(item.expiresAt ?? 0) > now)
      .map((item) => objectFromItem<Event>(item));
  },
};
