import { describe, expect, it } from 'vitest';
import { apiHarness, now } from './api-harness';

const budgets = '/apis/policy/v1/namespaces/default/poddisruptionbudgets';
const mergePatch = { 'content-type': 'application/merge-patch+json' };

const budget = (name: string, finalizers?: string[]) => ({
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name, ...(finalizers ? { finalizers } : {}) },
  spec: { minAvailable: 1, selector: { matchLabels: { app: 'a' } } },
});

/** A budget held by a finalizer, then deleted. */
async function deleting(h: ReturnType<typeof apiHarness>, name = 'x') {
  expect((await h.call('POST', budgets, { body: budget(name, ['example.com/hold']) })).statusCode).toBe(201);
  return h.call('DELETE', `${budgets}/${name}`);
}

describe('finalizers on objects of the generic store', () => {
  it('hold a deleted object: it gets deletionTimestamp, is answered, and stays readable and listed', async () => {
    const h = apiHarness();
    const deleted = await deleting(h);
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json).toMatchObject({
      kind: 'PodDisruptionBudget',
      metadata: {
        name: 'x',
        deletionTimestamp: now.toISOString().replace('.000Z', 'Z'),
        deletionGracePeriodSeconds: 0,
        finalizers: ['example.com/hold'],
      },
    });
    const read = await h.call('GET', `${budgets}/x`);
    expect(read.json.metadata.deletionTimestamp).toBe(deleted.json.metadata.deletionTimestamp);
    expect(
      (await h.call('GET', budgets)).json.items.map((o: { metadata: { name: string } }) => o.metadata.name),
    ).toEqual(['x']);
    // Deleting it again changes nothing.
    const again = await h.call('DELETE', `${budgets}/x`);
    expect(again.json.metadata.resourceVersion).toBe(read.json.metadata.resourceVersion);
  });

  it('may be removed but not added while the object is being deleted', async () => {
    const h = apiHarness();
    await deleting(h);
    const added = await h.call('PATCH', `${budgets}/x`, {
      headers: mergePatch,
      body: { metadata: { finalizers: ['example.com/hold', 'example.com/x'] } },
    });
    expect(added.statusCode).toBe(422);
    expect(added.json.message).toContain(
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/x"}',
    );
    const labelled = await h.call('PATCH', `${budgets}/x`, {
      headers: mergePatch,
      body: { metadata: { labels: { still: 'here' } } },
    });
    expect(labelled.statusCode).toBe(200);
    expect(labelled.json.metadata).toMatchObject({
      labels: { still: 'here' },
      finalizers: ['example.com/hold'],
    });
  });

  it('when the last one goes, the object is removed and watches see DELETED', async () => {
    const h = apiHarness();
    const deleted = await deleting(h);
    const from = deleted.json.metadata.resourceVersion;
    const released = await h.call('PATCH', `${budgets}/x`, {
      headers: mergePatch,
      body: { metadata: { finalizers: null } },
    });
    expect(released.statusCode).toBe(200);
    expect((await h.call('GET', `${budgets}/x`)).statusCode).toBe(404);
    // What watches read: the removal, after the deletion they saw.
    const changes = await h.stores.objects.objectChangesSince(
      'poddisruptionbudgets',
      'default',
      Number(from),
    );
    expect(changes.map((c) => [c.key, c.deleted])).toEqual([['default/x', true]]);
  });

  it('keep deletionTimestamp as the store set it: a client can neither set nor change it', async () => {
    const h = apiHarness();
    const created = await h.call('POST', budgets, {
      body: {
        ...budget('y', ['example.com/hold']),
        metadata: { name: 'y', finalizers: ['example.com/hold'], deletionTimestamp: '2020-01-01T00:00:00Z' },
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json.metadata.deletionTimestamp).toBeUndefined();
    const set = await h.call('PATCH', `${budgets}/y`, {
      headers: mergePatch,
      body: { metadata: { deletionTimestamp: '2020-01-01T00:00:00Z' } },
    });
    expect(set.json.metadata.deletionTimestamp).toBeUndefined();
    const deleted = await h.call('DELETE', `${budgets}/y`);
    const moved = await h.call('PATCH', `${budgets}/y`, {
      headers: mergePatch,
      body: { metadata: { deletionTimestamp: '2020-01-01T00:00:00Z', deletionGracePeriodSeconds: 30 } },
    });
    expect(moved.json.metadata).toMatchObject({
      deletionTimestamp: deleted.json.metadata.deletionTimestamp,
      deletionGracePeriodSeconds: 0,
    });
  });

  it('are validated as pods’ are', async () => {
    const h = apiHarness();
    const refused = await h.call('POST', budgets, { body: budget('z', ['hold']) });
    expect(refused.statusCode).toBe(422);
    expect(refused.json.message).toContain(
      'metadata.finalizers[0]: Invalid value: "hold": name is neither a standard finalizer name nor is it fully qualified',
    );
  });

  it('an object without finalizers still goes at once, answered with a Success Status', async () => {
    const h = apiHarness();
    await h.call('POST', budgets, { body: budget('plain') });
    const deleted = await h.call('DELETE', `${budgets}/plain`);
    expect(deleted.json).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'plain' } });
    expect((await h.call('GET', `${budgets}/plain`)).statusCode).toBe(404);
  });

  it('a dry run changes nothing: neither the delete nor the update that takes the last finalizer', async () => {
    const h = apiHarness();
    await h.call('POST', budgets, { body: budget('x', ['example.com/hold']) });
    const dry = await h.call('DELETE', `${budgets}/x`, { query: { dryRun: 'All' } });
    expect(dry.json.metadata.deletionTimestamp).toBeDefined();
    expect((await h.call('GET', `${budgets}/x`)).json.metadata.deletionTimestamp).toBeUndefined();
    await h.call('DELETE', `${budgets}/x`);
    const released = await h.call('PATCH', `${budgets}/x`, {
      headers: mergePatch,
      query: { dryRun: 'All' },
      body: { metadata: { finalizers: null } },
    });
    expect(released.statusCode).toBe(200);
    expect((await h.call('GET', `${budgets}/x`)).json.metadata.finalizers).toEqual(['example.com/hold']);
  });
});
