import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../config';
import { dynamo, recordCapacity } from './client';
import type { ObjectItem } from './items';

/**
 * Every item of one partition of the table, or of an index (`index` names it and its key),
 * following DynamoDB's 1 MB pages. `consistent` (the table only: indexes cannot) reads every
 * write acknowledged before the query, at twice the read units.
 */
export async function queryAll(
  value: string,
  index?: { readonly name: string; readonly key: string },
  options: { readonly consistent?: boolean } = {},
): Promise<ObjectItem[]> {
  const items: ObjectItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        ...(index ? { IndexName: index.name } : {}),
        KeyConditionExpression: '#key = :value',
        ExpressionAttributeNames: { '#key': index?.key ?? 'pk' },
        ExpressionAttributeValues: { ':value': value },
        ExclusiveStartKey: start,
        ...(options.consistent ? { ConsistentRead: true } : {}),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    recordCapacity('read', out.ConsumedCapacity);
    items.push(...((out.Items ?? []) as ObjectItem[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}
