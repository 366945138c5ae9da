import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoEventStore } from '../../functions/adapters/dynamodb/event-store';
import { dynamoNamespaceStore } from '../../functions/adapters/dynamodb/namespace-store';
import { dynamoObjectStore } from '../../functions/adapters/dynamodb/object-store';
import type { Event } from '../../functions/core/events';
import { AlreadyExistsError, ConflictError } from '../../functions/core/ports';
import { useFreshTable } from './support';

const objects = dynamoObjectStore;
const resource = 'poddisruptionbudgets';

beforeAll(async () => {
  await useFreshTable();
  for (const name of ['default', 'team'])
    await dynamoNamespaceStore.createNamespace({ metadata: { name }, status: { phase: 'Active' } });
});

const budget = (name: string, namespace = 'default'): PodDisruptionBudget => ({
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name, namespace, uid: `uid-${name}` },
  spec: { minAvailable: 1 },
});

describe('the generic object store on DynamoDB Local', () => {
  it('creates once per name, reads consistently, and lists by namespace or across them', async () => {
    const created = await objects.createObject(resource, budget('a'));
    expect(created.metadata).toMatchObject({ name: 'a', namespace: 'default', uid: 'uid-a' });
    expect(Number(created.metadata?.resourceVersion)).toBeGreaterThan(0);
    await expect(objects.createObject(resource, budget('a'))).rejects.toBeInstanceOf(AlreadyExistsError);
    await objects.createObject(resource, budget('b', 'team'));
    expect(await objects.getObject(resource, 'default', 'a')).toEqual(created);
    expect((await objects.listObjects(resource, 'default')).map((o) => o.metadata?.name)).toEqual(['a']);
    expect((await objects.listObjects(resource)).map((o) => o.metadata?.name).sort()).toEqual(['a', 'b']);
    // Another resource's objects are another key space.
    expect(await objects.getObject('other', 'default', 'a')).toBeUndefined();
  });

  it('conditions updates and deletes on the resourceVersion read, and keeps deletions watchable', async () => {
    const first = await objects.createObject(resource, budget('c'));
    const updated = await objects.updateObject(resource, { ...first, spec: { minAvailable: 2 } });
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(
      Number(first.metadata?.resourceVersion),
    );
    await expect(objects.updateObject(resource, first)).rejects.toBeInstanceOf(ConflictError);
    await expect(objects.deleteObject(resource, first)).rejects.toBeInstanceOf(ConflictError);
    await objects.deleteObject(resource, updated);
    expect(await objects.getObject(resource, 'default', 'c')).toBeUndefined();
    await expect(objects.updateObject(resource, updated)).rejects.toBeInstanceOf(ConflictError);

    const since = Number(first.metadata?.resourceVersion) - 1;
    let changes = await objects.objectChangesSince<PodDisruptionBudget>(resource, 'default', since);
    for (let i = 0; i < 20 && !changes.some((c) => c.deleted); i++) {
      // The change index is eventually consistent.
      await new Promise((resolve) => setTimeout(resolve, 100));
      changes = await objects.objectChangesSince(resource, 'default', since);
    }
    const mine = changes.filter((c) => c.key === 'default/c');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      deleted: true,
      createdResourceVersion: Number(first.metadata?.resourceVersion),
      object: { spec: { minAvailable: 2 } },
    });
    // The name is free again once its object is deleted.
    await objects.createObject(resource, budget('c'));
  });
});

describe('deleting events on DynamoDB Local', () => {
  const event = (name: string): Event => ({
    metadata: { name, namespace: 'team' },
    involvedObject: { kind: 'Pod', name: 'web', namespace: 'team' },
    reason: name,
    message: name,
  });

  it('takes an event out of its bundle and out of its own item, and leaves a tombstone for watches', async () => {
    const before = Date.now() * 1000;
    await dynamoEventStore.recordMany([event('one'), event('two'), event('three')]);
    await dynamoEventStore.record(event('one'));
    await dynamoEventStore.deleteEvent('team', 'one');
    await dynamoEventStore.deleteEvent('team', 'gone');
    expect((await dynamoEventStore.listEvents('team')).map((e) => e.metadata?.name).sort()).toEqual([
      'three',
      'two',
    ]);
    let deleted: string[] = [];
    for (let i = 0; i < 20 && deleted.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const changes = await dynamoEventStore.eventChangesSince('team', before);
      deleted = changes.filter((c) => c.deleted).map((c) => c.key);
    }
    expect(deleted).toEqual(['team/one']);
  });
});
