import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../config';
import { dynamo, recordCapacity } from './client';
import type { ObjectItem } from './items';

/**
 * Every item of one partition of the table, or of an index (`index` names it and its key),
 * following DynamoDB's 1 MB pages. `consistent` (the table only: indexes cannot) reads every
 * write acknowledged before the query, at twice the read units. `after` keeps the items whose
 * sort key is above a value (read and paid for alone); `where` drops, after the read, those whose
 * attribute differs (read units count what was read, not what is returned).
 */
export async function queryAll(
  value: string,
  index?: { readonly name: string; readonly key: string },
  options: {
    readonly consistent?: boolean;
    readonly after?: { readonly key: string; readonly value: number };
    readonly where?: { readonly attribute: string; readonly value: unknown };
  } = {},
): Promise<ObjectItem[]> {
  const { after, where } = options;
  const items: ObjectItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        ...(index ? { IndexName: index.name } : {}),
        KeyConditionExpression: `#key = :value${after ? ' AND #after > :after' : ''}`,
        ...(where ? { FilterExpression: '#where = :where' } : {}),
        ExpressionAttributeNames: {
          '#key': index?.key ?? 'pk',
          ...(after ? { '#after': after.key } : {}),
          ...(where ? { '#where': where.attribute } : {}),
        },
        ExpressionAttributeValues: {
          ':value': value,
          ...(after ? { ':after': after.value } : {}),
          ...(where ? { ':where': where.value } : {}),
        },
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
