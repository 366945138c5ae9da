import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, type ObjectStore, type StoredChange, type StoredObject } from '../../core/ports';
import { nextResourceVersion, watchWindowSeconds } from '../../core/resource-version';
import { tableName } from '../config';
import { changeWindow, itemsChangedSince } from './changes';
import { dynamo, recordCapacity } from './client';
import { putNewObjectItem } from './create-item';
import { bodyOf, isConditionFailure, type ObjectItem, objectFromItem } from './items';
import { listNamespaceNames } from './namespace-store';
import { queryAll } from './query';

/** pk `<resource>/<namespace>`, or `<resource>` for a cluster-scoped object; sk its name. */
export const objectPartition = (resource: string, namespace: string) =>
  namespace ? `${resource}/${namespace}` : resource;

const keyOf = (resource: string, object: StoredObject) => ({
  pk: objectPartition(resource, object.metadata?.namespace ?? ''),
  sk: object.metadata?.name ?? '',
});

/** `<namespace>/<name>` (`/<name>` when cluster-scoped), as watches key objects. */
const watchKey = (resource: string, pk: string, sk: string) =>
  `${pk === resource ? '' : pk.slice(resource.length + 1)}/${sk}`;

/**
 * How long a deleted object's item stays as a tombstone (`deleted`), so that a watch resuming from
 * any version it may still resume from sees the deletion; TTL removes it after.
 */
const tombstoneSeconds = watchWindowSeconds;

const capacity = { ReturnConsumedCapacity: 'TOTAL' } as const;

/**
 * The generic object store in the objects table. Each object's feed in the change index is its
 * resource, so a watch of one resource reads only that resource's writes.
 */
export const dynamoObjectStore: ObjectStore = {
  async getObject<T extends StoredObject>(resource: string, namespace: string, name: string) {
    const out = await dynamo().send(
      new GetCommand({
        TableName: tableName(),
        Key: { pk: objectPartition(resource, namespace), sk: name },
        ConsistentRead: true,
        ...capacity,
      }),
    );
    recordCapacity('read', out.ConsumedCapacity);
    return out.Item && !out.Item.deleted ? objectFromItem<T>(out.Item as ObjectItem) : undefined;
  },

  async listObjects<T extends StoredObject>(resource: string, namespace?: string) {
    const partitions =
      namespace !== undefined
        ? [objectPartition(resource, namespace)]
        : (await listNamespaceNames()).map((ns) => objectPartition(resource, ns));
    const items = (await Promise.all(partitions.map((pk) => queryAll(pk)))).flat();
    return items.filter((item) => !item.deleted).map((item) => objectFromItem<T>(item));
  },

  async objectChangesSince<T extends StoredObject>(
    resource: string,
    namespace: string | undefined,
    resourceVersion: number,
    seen?: (written: string, rv: number) => boolean,
  ): Promise<StoredChange<T>[]> {
    const items = await itemsChangedSince(
      resource,
      resourceVersion,
      namespace ? objectPartition(resource, namespace) : undefined,
      seen && ((pk, sk, rv) => seen(watchKey(resource, pk, sk), rv)),
    );
    return items.map((item) => {
      const key = watchKey(resource, item.pk, item.sk);
      return {
        key,
        written: key,
        object: objectFromItem<T>(item),
        resourceVersion: item.rv,
        createdResourceVersion: Number(item.createdRv ?? 0),
        deleted: item.deleted === true,
      };
    });
  },

  async createObject<T extends StoredObject>(resource: string, object: T) {
    const rv = nextResourceVersion();
    const item: ObjectItem = {
      ...keyOf(resource, object),
      ...(object.metadata?.uid ? { uid: object.metadata.uid } : {}),
      rv,
      changed: changeWindow(rv),
      createdRv: rv,
      feed: resource,
      body: bodyOf(object),
    };
    await putNewObjectItem(item);
    return objectFromItem<T>(item);
  },

  async updateObject<T extends StoredObject>(resource: string, object: T) {
    const expected = Number(object.metadata?.resourceVersion);
    const rv = nextResourceVersion(expected);
    const out = await conditionalUpdate(
      resource,
      object,
      'SET body = :body, rv = :rv, changed = :changed, feed = :feed',
      {
        ':body': bodyOf(object),
        ':rv': rv,
        ':changed': changeWindow(rv),
        ':feed': resource,
        ':expected': expected,
      },
    );
    return objectFromItem<T>(out);
  },

  async deleteObject<T extends StoredObject>(resource: string, object: T) {
    const expected = Number(object.metadata?.resourceVersion);
    const rv = nextResourceVersion(expected);
    // The body stays as the object's last state: a watch's DELETED event carries it.
    await conditionalUpdate(
      resource,
      object,
      'SET deleted = :yes, rv = :rv, changed = :changed, feed = :feed, expiresAt = :expires',
      {
        ':yes': true,
        ':rv': rv,
        ':changed': changeWindow(rv),
        ':feed': resource,
        ':expires': Math.floor(Date.now() / 1000) + tombstoneSeconds,
        ':expected': expected,
      },
    );
    return object;
  },
};

/** An update of a live item at the version it was read at; anything else is a ConflictError. */
async function conditionalUpdate(
  resource: string,
  object: StoredObject,
  expression: string,
  values: Record<string, unknown>,
): Promise<ObjectItem> {
  try {
    const out = await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keyOf(resource, object),
        UpdateExpression: expression,
        ConditionExpression: 'rv = :expected AND attribute_not_exists(deleted)',
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
        ...capacity,
      }),
    );
    recordCapacity('write', out.ConsumedCapacity);
    return out.Attributes as ObjectItem;
  } catch (error) {
    if (isConditionFailure(error)) throw new ConflictError();
    throw error;
  }
}
