import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Namespace } from '../../core/k8s';
import { AlreadyExistsError, ConflictError, type NamespaceStore } from '../../core/ports';
import { nextResourceVersion } from '../../core/resource-version';
import { tableName } from '../config';
import { dynamo, recordCapacity } from './client';
import {
  bodyOf,
  isConditionFailure,
  namespaceKey,
  namespacePartition,
  type ObjectItem,
  objectFromItem,
} from './items';
import { queryAll } from './query';

export async function listNamespaceNames(): Promise<string[]> {
  return (await queryAll(namespacePartition)).map((item) => item.sk);
}

export const dynamoNamespaceStore: NamespaceStore = {
  async getNamespace(name) {
    const out = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: namespaceKey(name), ReturnConsumedCapacity: 'TOTAL' }),
    );
    recordCapacity('read', out.ConsumedCapacity);
    return out.Item ? objectFromItem<Namespace>(out.Item as ObjectItem) : undefined;
  },

  async listNamespaces() {
    return (await queryAll(namespacePartition)).map((item) => objectFromItem<Namespace>(item));
  },

  createNamespace(namespace) {
    return putNamespace(namespace, nextResourceVersion(), {
      condition: 'attribute_not_exists(pk)',
      failure: AlreadyExistsError,
    });
  },

  updateNamespace(namespace) {
    const expected = Number(namespace.metadata?.resourceVersion);
    return putNamespace(namespace, nextResourceVersion(expected), {
      condition: 'rv = :expected',
      values: { ':expected': expected },
      failure: ConflictError,
    });
  },

  async deleteNamespace(name) {
    const out = await dynamo().send(
      new DeleteCommand({ TableName: tableName(), Key: namespaceKey(name), ReturnConsumedCapacity: 'TOTAL' }),
    );
    recordCapacity('write', out.ConsumedCapacity);
  },
};

/** Writes the whole namespace item under a condition; a failed condition throws `failure`. */
async function putNamespace(
  namespace: Namespace,
  rv: number,
  write: { condition: string; values?: Record<string, unknown>; failure: new () => Error },
): Promise<Namespace> {
  const item = {
    ...namespaceKey(namespace.metadata?.name ?? ''),
    uid: namespace.metadata?.uid,
    rv,
    body: bodyOf(namespace),
  };
  try {
    const out = await dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: item,
        ConditionExpression: write.condition,
        ...(write.values ? { ExpressionAttributeValues: write.values } : {}),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    recordCapacity('write', out.ConsumedCapacity);
  } catch (error) {
    if (isConditionFailure(error)) throw new write.failure();
    throw error;
  }
  return objectFromItem<Namespace>(item);
}
