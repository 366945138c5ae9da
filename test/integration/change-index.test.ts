import { beforeAll, describe, expect, it } from 'vitest';
import { changeWindowMicros } from '../../functions/adapters/dynamodb/changes';
import { consumedCapacity } from '../../functions/adapters/dynamodb/client';
import { dynamoEventStore } from '../../functions/adapters/dynamodb/event-store';
import { dynamoPodStore } from '../../functions/adapters/dynamodb/pod-store';
import { storedPod } from '../fixtures';
import { useFreshTable } from './support';

const pods = dynamoPodStore;

beforeAll(async () => {
  await useFreshTable();
});

const inNamespace = (namespace: string, name: string) => {
  const pod = storedPod(name);
  return { ...pod, metadata: { ...pod.metadata, namespace } };
};

/** Waits for the clock's next change-index window. */
const windowMs = changeWindowMicros / 1000;
const nextWindow = () =>
  new Promise((resolve) => setTimeout(resolve, windowMs + 1 - (Date.now() % windowMs)));

/** Write units a call consumes (the table's and its indexes'), from the adapters' own records. */
async function writeUnitsOf<T>(call: () => Promise<T>): Promise<{ result: T; units: number }> {
  const before = consumedCapacity().writeUnits;
  const result = await call();
  return { result, units: consumedCapacity().writeUnits - before };
}

/** Read units a call consumes, from the adapters' own capacity records. */
async function readUnitsOf<T>(call: () => Promise<T>): Promise<{ result: T; units: number }> {
  const before = consumedCapacity().readUnits;
  const result = await call();
  return { result, units: consumedCapacity().readUnits - before };
}

describe('the change index on DynamoDB Local', () => {
  it('reads what changed after a version, not the namespace', async () => {
    for (let i = 0; i < 60; i++) await pods.createPod(inNamespace('crowded', `p-${i}`));
    // Entries are keyed by the window of their write: a read in the same window passes over the
    // writes before its version.
    expect(await pods.podChangesSince('crowded', Date.now() * 1000)).toEqual([]);
    await nextWindow();
    const since = Date.now() * 1000;
    // Nothing changed since: an empty index page, however many pods the namespace holds.
    const quiet = await readUnitsOf(() => pods.podChangesSince('crowded', since));
    expect(quiet.result).toEqual([]);
    expect(quiet.units).toBeLessThanOrEqual(1);

    const record = await pods.getPod('crowded', 'p-7', true);
    if (!record) throw new Error('missing');
    const relabelled = { ...record.pod, metadata: { ...record.pod.metadata, labels: { tier: 'b' } } };
    const written = await pods.updatePod(record, relabelled);
    const changed = await readUnitsOf(() => pods.podChangesSince('crowded', since));
    expect(changed.result.map((c) => [c.key, c.resourceVersion, c.deleted])).toEqual([
      ['crowded/p-7', written.resourceVersion, false],
    ]);
    expect(changed.result[0]?.object.metadata?.labels).toEqual({ tier: 'b' });
    expect(changed.units).toBeLessThanOrEqual(3);
  });

  it('keeps other namespaces out of a namespace watch and all of them in an all-namespaces one', async () => {
    const before = Date.now() * 1000 - 1;
    await pods.createPod(inNamespace('team-a', 'a1'));
    await pods.createPod(inNamespace('team-b', 'b1'));
    expect((await pods.podChangesSince('team-a', before)).map((c) => c.key)).toEqual(['team-a/a1']);
    const everywhere = (await pods.podChangesSince(undefined, before)).map((c) => c.key);
    expect(everywhere).toEqual(expect.arrayContaining(['team-a/a1', 'team-b/b1']));
  });

  it('leaves out writes the watch has read, and shows a deletion as the tombstone', async () => {
    const before = Date.now() * 1000 - 1;
    await pods.createPod(inNamespace('seen', 's1'));
    const [first] = await pods.podChangesSince('seen', before);
    if (!first) throw new Error('no change');
    expect(
      await pods.podChangesSince(
        'seen',
        before,
        (key, rv) => key === first.key && rv === first.resourceVersion,
      ),
    ).toEqual([]);
    const record = await pods.getPod('seen', 's1', true);
    if (!record) throw new Error('missing');
    await pods.deletePod(record);
    const [gone] = await pods.podChangesSince('seen', before);
    expect(gone?.deleted).toBe(true);
    expect(gone?.resourceVersion).toBeGreaterThan(first.resourceVersion);
  });

  it('reads recorded events after a version, a bundle once for all its events', async () => {
    const before = Date.now() * 1000 - 1;
    const event = (name: string) => ({
      metadata: { name, namespace: 'events-ns' },
      involvedObject: { kind: 'Pod', name: 'x', namespace: 'events-ns' },
      reason: 'Pulled',
      message: name,
      type: 'Normal',
    });
    await dynamoEventStore.recordMany([event('e1'), event('e2')]);
    const changes = await dynamoEventStore.eventChangesSince('events-ns', before);
    expect(changes.map((c) => c.key).sort()).toEqual(['events-ns/e1', 'events-ns/e2']);
    expect(new Set(changes.map((c) => c.written)).size).toBe(1);
    expect(await dynamoEventStore.eventChangesSince('other-ns', before)).toEqual([]);
  });

  it('updates an entry in place when an item is written again within the same window', async () => {
    await pods.createPod(inNamespace('in-place', 'q1'));
    await nextWindow();
    const relabel = async (value: string) => {
      const record = await pods.getPod('in-place', 'q1', true);
      if (!record) throw new Error('missing');
      const labelled = { ...record.pod, metadata: { ...record.pod.metadata, labels: { n: value } } };
      return writeUnitsOf(() => pods.updatePod(record, labelled));
    };
    const first = await relabel('1');
    const second = await relabel('2');
    const windowOf = (rv: number) => Math.floor(rv / changeWindowMicros);
    // The table's write is 1 unit; the index's, 2 when the entry moves to another window (a
    // delete and a put), 1 when it stays.
    expect(first.units).toBe(3);
    const sameWindow = windowOf(first.result.resourceVersion) === windowOf(second.result.resourceVersion);
    expect(second.units).toBe(sameWindow ? 2 : 3);
    const [change] = await pods.podChangesSince('in-place', 0);
    expect(change?.object.metadata?.labels).toEqual({ n: '2' });
    expect(change?.resourceVersion).toBe(second.result.resourceVersion);
  });
});
