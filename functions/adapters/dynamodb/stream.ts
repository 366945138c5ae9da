import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { PodRecord } from '../../core/ports';
import type { ObjectItem } from './items';
import { podRecordFromItem } from './pod-store';

/** The pod as it was written by the change a stream record carries. */
export function podRecordFromStream(record: DynamoDBRecord): PodRecord | undefined {
  const image = record.dynamodb?.NewImage;
  if (!image) return undefined;
  const item = unmarshall(image as Record<string, AttributeValue>) as ObjectItem;
  return String(item.pk).startsWith('pods/') ? podRecordFromItem(item) : undefined;
}
