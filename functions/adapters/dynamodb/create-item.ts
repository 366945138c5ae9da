import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { AlreadyExistsError } from '../../core/ports';
import { tableName } from '../config';
import { dynamo, recordCapacity } from './client';
import { isConditionFailure } from './items';

/**
 * Writes a new object's item, refused with AlreadyExistsError while a live object has its key. A
 * tombstone keeps the name only for watchers: a new object may take it.
 */
export async function putNewObjectItem(item: Record<string, unknown>): Promise<void> {
  try {
    const out = await dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk) OR deleted = :yes',
        ExpressionAttributeValues: { ':yes': true },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    recordCapacity('write', out.ConsumedCapacity);
  } catch (error) {
    if (isConditionFailure(error)) throw new AlreadyExistsError();
    throw error;
  }
}
