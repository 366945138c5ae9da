import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../config';
import { dynamo, recordCapacity } from './client';
import type { ObjectItem } from './items';

/** BatchGetItem's limit on keys per request. */
const maxKeys = 100;

/**
 * The items with these keys (those that exist, in no particular order), 100 keys per
 * BatchGetItem; keys DynamoDB leaves unprocessed (throttling) are asked for again after a pause.
 */
export async function getAll(
  keys: readonly { readonly pk: string; readonly sk: string }[],
  options: { readonly consistent?: boolean } = {},
): Promise<ObjectItem[]> {
  const items: ObjectItem[] = [];
  const chunks: { pk: string; sk: string }[][] = [];
  for (let i = 0; i < keys.length; i += maxKeys)
    chunks.push(keys.slice(i, i + maxKeys).map(({ pk, sk }) => ({ pk, sk })));
  await Promise.all(
    chunks.map(async (chunk) => {
      let pending: Record<string, unknown>[] = chunk;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** Math.min(attempt, 6)));
        const out = await dynamo().send(
          new BatchGetCommand({
            RequestItems: {
              [tableName()]: { Keys: pending, ...(options.consistent ? { ConsistentRead: true } : {}) },
            },
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        recordCapacity('read', out.ConsumedCapacity);
        items.push(...((out.Responses?.[tableName()] ?? []) as ObjectItem[]));
        pending = (out.UnprocessedKeys?.[tableName()]?.Keys ?? []) as Record<string, unknown>[];
      }
    }),
  );
  return items;
}
