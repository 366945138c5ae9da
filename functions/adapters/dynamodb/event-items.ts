import { createHash, randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Event } from '../../core/events';
import { nextResourceVersion } from '../../core/resource-version';
import { tableName } from '../config';
import { changeWindow, eventFeed } from './changes';
import { dynamo, recordCapacity } from './client';
import type { ObjectItem } from './items';
import { decodeBody, encodeBody } from './stored-body';

/** Kubernetes keeps events for an hour (the apiserver's --event-ttl default). */
export const eventTtlSeconds = 3600;

export const eventPartition = (namespace: string) => `events/${namespace}`;

/** DynamoDB bills a write per started KB of the item: a bundle is filled up to one. */
const writeUnitBytes = 1024;

/**
 * Events recorded together (a container's Pulled, Created and Started; one event per container;
 * the events of a batch) share one item: its body is the list of them. An event item is a few
 * hundred bytes compressed and DynamoDB bills each write for a whole KB, so a bundle of events
 * that fits in 1 KB costs the one write unit a single event costs. Readers see the events one by
 * one (eventsFromItem), each with the bundle's resourceVersion. A lone event is an item of its
 * own named after it, as before bundles existed. Items follow the order of `events` (within a
 * namespace), each with how many of them it holds.
 */
export function eventItems(
  events: readonly Event[],
  now = new Date(),
): { readonly item: ObjectItem; readonly count: number }[] {
  const items: { item: ObjectItem; count: number }[] = [];
  const byNamespace = new Map<string, Event[]>();
  for (const event of events) {
    const namespace = event.metadata?.namespace ?? 'default';
    byNamespace.set(namespace, [...(byNamespace.get(namespace) ?? []), stored(event)]);
  }
  for (const [namespace, group] of byNamespace) {
    const done = (bundle: readonly Event[]) =>
      items.push({ item: eventItem(namespace, bundle, now), count: bundle.length });
    let bundle: Event[] = [];
    for (const event of group) {
      const grown = [...bundle, event];
      if (bundle.length > 0 && itemSize(eventItem(namespace, grown, now)) > writeUnitBytes) {
        done(bundle);
        bundle = [event];
      } else bundle = grown;
    }
    if (bundle.length > 0) done(bundle);
  }
  return items;
}

/** The events an item holds: one, or a bundle's. */
export function eventsFromItem(item: ObjectItem): Event[] {
  const body = JSON.parse(decodeBody(item.body)) as Event | Event[];
  return (Array.isArray(body) ? body : [body]).map((event) => ({
    ...event,
    metadata: { ...event.metadata, resourceVersion: String(item.rv) },
  }));
}

/**
 * The event as stored: with a uid of its own in the body (events stay out of the pods' byUid
 * index), and without a resourceVersion, which is its item's.
 */
function stored(event: Event): Event {
  const { resourceVersion: _rv, ...metadata } = event.metadata ?? {};
  return { ...event, metadata: { uid: randomUUID(), ...metadata } };
}

function eventItem(namespace: string, events: readonly Event[], now: Date): ObjectItem {
  const names = events.map((e) => e.metadata?.name ?? randomUUID());
  // A bundle's key is its first event's name and a digest of all of them: the same events
  // written again replace their item, a different set never overwrites another bundle.
  const sk =
    names.length === 1
      ? (names[0] as string)
      : `${names[0]}+${names.length - 1}.${createHash('sha256').update(names.join('\n')).digest('hex').slice(0, 12)}`;
  const rv = nextResourceVersion();
  return {
    pk: eventPartition(namespace),
    sk,
    rv,
    changed: changeWindow(rv),
    feed: eventFeed,
    body: encodeBody(JSON.stringify(events.length === 1 ? events[0] : events)),
    expiresAt: Math.floor(now.getTime() / 1000) + eventTtlSeconds,
  };
}

/** DynamoDB's item size: attribute names plus values (numbers at most 21 bytes). */
function itemSize(item: ObjectItem): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    size += Buffer.byteLength(name);
    if (typeof value === 'string') size += Buffer.byteLength(value);
    else if (value instanceof Uint8Array) size += value.length;
    else if (typeof value === 'number') size += 21;
  }
  return size;
}

async function putItem(item: ObjectItem): Promise<void> {
  const out = await dynamo().send(
    new PutCommand({ TableName: tableName(), Item: item, ReturnConsumedCapacity: 'TOTAL' }),
  );
  recordCapacity('write', out.ConsumedCapacity);
}

interface Pending {
  readonly event: Event;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

let pending: Pending[] = [];

/**
 * Records an event together with every other event recorded in the same turn of the event loop
 * (the events a controller records at once with Promise.all, or records of a batch that finish
 * together): they are written as bundles after the turn, and each caller's promise settles when
 * the item holding its event is written. Like client-go's event broadcaster, the recorder
 * collects what controllers report; unlike it, the caller still learns when its event is stored.
 */
export function recordTogether(event: Event): Promise<void> {
  return new Promise((resolve, reject) => {
    pending.push({ event, resolve, reject });
    if (pending.length === 1) setImmediate(flush);
  });
}

function flush(): void {
  const batch = pending;
  pending = [];
  const byNamespace = new Map<string, Pending[]>();
  for (const entry of batch) {
    const namespace = entry.event.metadata?.namespace ?? 'default';
    byNamespace.set(namespace, [...(byNamespace.get(namespace) ?? []), entry]);
  }
  for (const group of byNamespace.values()) {
    let items: ReturnType<typeof eventItems>;
    try {
      items = eventItems(group.map((p) => p.event));
    } catch (error) {
      for (const w of group) w.reject(error);
      continue;
    }
    // eventItems keeps the order of events, so the items' events are the group's in turn.
    let next = 0;
    for (const { item, count } of items) {
      const waiters = group.slice(next, next + count);
      next += count;
      putItem(item).then(
        () => {
          for (const w of waiters) w.resolve();
        },
        (error: unknown) => {
          for (const w of waiters) w.reject(error);
        },
      );
    }
  }
}
