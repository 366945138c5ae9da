import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../config';
import { dynamo, recordCapacity } from './client';
import type { ObjectItem } from './items';

/** Every item of one partition, following DynamoDB's 1 MB pages. */
export async function queryAll(pk: string): Promise<ObjectItem[]> {
  const items: ObjectItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ExclusiveStartKey: start,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    recordCapacity('read', out.ConsumedCapacity);
    items.push(...((out.Items ?? []) as ObjectItem[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}
