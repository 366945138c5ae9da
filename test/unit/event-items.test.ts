import { describe, expect, it } from 'vitest';
import { eventItems, eventsFromItem } from '../../functions/adapters/dynamodb/event-items';
import { type Event, podEvent } from '../../functions/core/events';
import { storedPod } from '../fixtures';

const now = new Date('2026-11-30T08:00:00Z');
const pod = storedPod('web');

const kubeletEvent = (reason: string, message: string, key = 'task-1'): Event =>
  podEvent(
    pod,
    { type: 'Normal', reason, message, component: 'kubelet', key, fieldPath: 'spec.containers{app}' },
    now,
  );

/** DynamoDB's size of an item: attribute names and values, numbers at their 21-byte most. */
const itemSize = (item: Record<string, unknown>) =>
  Object.entries(item).reduce(
    (size, [name, value]) =>
      size +
      name.length +
      (typeof value === 'string'
        ? Buffer.byteLength(value)
        : value instanceof Uint8Array
          ? value.length
          : 21),
    0,
  );

describe('event items', () => {
  it('keeps a lone event in an item named after it, as before bundles', () => {
    const event = kubeletEvent('Pulling', 'Pulling image "nginx"');
    const [only, ...rest] = eventItems([event], now);
    expect(rest).toEqual([]);
    expect(only?.count).toBe(1);
    expect(only?.item.sk).toBe(event.metadata?.name);
    const [read] = eventsFromItem(only?.item ?? ({} as never));
    expect(read).toMatchObject({ reason: 'Pulling', message: 'Pulling image "nginx"' });
    expect(read?.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(read?.metadata?.resourceVersion).toBe(String(only?.item.rv));
  });

  it('writes the events recorded together in one item of at most 1 KB, in their order', () => {
    const events = [
      kubeletEvent('Pulled', 'Successfully pulled image "nginx"'),
      kubeletEvent('Created', 'Created container app'),
      kubeletEvent('Started', 'Started container app'),
    ];
    const items = eventItems(events, now);
    expect(items).toHaveLength(1);
    expect(itemSize(items[0]?.item ?? {})).toBeLessThanOrEqual(1024);
    expect(eventsFromItem(items[0]?.item ?? ({} as never)).map((e) => e.reason)).toEqual([
      'Pulled',
      'Created',
      'Started',
    ]);
  });

  it('fills as many 1 KB items as a batch needs, losing none and mixing no namespaces', () => {
    const scheduled = Array.from({ length: 100 }, (_, i) =>
      podEvent(
        storedPod(`burst-${i}`, { namespace: i % 2 ? 'team-a' : 'team-b' }),
        {
          type: 'Normal',
          reason: 'Scheduled',
          message: `Successfully assigned default/burst-${i} to i-00000000000000${i % 50}`,
          component: 'default-scheduler',
        },
        now,
      ),
    );
    const items = eventItems(scheduled, now);
    expect(items.length).toBeLessThan(30);
    for (const { item, count } of items) {
      expect(itemSize(item)).toBeLessThanOrEqual(1024);
      const held = eventsFromItem(item);
      expect(held).toHaveLength(count);
      expect(new Set(held.map((e) => `events/${e.metadata?.namespace}`))).toEqual(new Set([item.pk]));
    }
    const names = items.flatMap(({ item }) => eventsFromItem(item).map((e) => e.metadata?.name));
    expect(names.sort()).toEqual(scheduled.map((e) => e.metadata?.name).sort());
    // Two bundles never share a key, so one never overwrites the other.
    expect(new Set(items.map(({ item }) => item.sk)).size).toBe(items.length);
  });
});
