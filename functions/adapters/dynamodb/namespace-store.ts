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

  async createNamespace(namespace) {
    const item = {
      ...namespaceKey(namespace.metadata?.name ?? ''),
      uid: namespace.metadata?.uid,
      rv: nextResourceVersion(),
      body: bodyOf(namespace),
    };
    try {
      const out = await dynamo().send(
        new PutCommand({
          TableName: tableName(),
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      recordCapacity('write', out.ConsumedCapacity);
    } catch (error) {
      if (isConditionFailure(error)) throw new AlreadyExistsError();
      throw error;
    }
    return objectFromItem<Namespace>(item);
  },

  async updateNamespace(namespace) {
    const expected = Number(namespace.metadata?.resourceVersion);
    const item = {
      ...namespaceKey(namespace.metadata?.name ?? ''),
      uid: namespace.metadata?.uid,
      rv: nextResourceVersion(expected),
      body: bodyOf(namespace),
    };
    try {
      const out = await dynamo().send(
        new PutCommand({
          TableName: tableName(),
          Item: item,
          ConditionExpression: 'rv = :expected',
          ExpressionAttributeValues: { ':expected': expected },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      recordCapacity('write', out.ConsumedCapacity);
    } catch (error) {
      if (isConditionFailure(error)) throw new ConflictError();
      throw error;
    }
    return objectFromItem<Namespace>(item);
  },

  async deleteNamespace(name) {
    const out = await dynamo().send(
      new DeleteCommand({ TableName: tableName(), Key: namespaceKey(name), ReturnConsumedCapacity: 'TOTAL' }),
    );
    recordCapacity('write', out.ConsumedCapacity);
  },
};
