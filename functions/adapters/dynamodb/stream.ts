import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { Node } from '../../core/k8s';
import type { PodRecord } from '../../core/ports';
import { nodePartition, type ObjectItem, objectFromItem } from './items';
import { podRecordFromItem } from './pod-store';

/** The pod as it was written by the change a stream record carries. */
export function podRecordFromStream(record: DynamoDBRecord): PodRecord | undefined {
  const image = record.dynamodb?.NewImage;
  if (!image) return undefined;
  const item = itemFromStreamImage(image) as ObjectItem;
  return String(item.pk).startsWith('pods/') ? podRecordFromItem(item) : undefined;
}

/** The node a stream record carries, or undefined for any other item. */
export function nodeFromStream(record: DynamoDBRecord): Node | undefined {
  const image = record.dynamodb?.NewImage;
  if (!image) return undefined;
  const item = itemFromStreamImage(image) as ObjectItem;
  return item.pk === nodePartition ? objectFromItem<Node>(item) : undefined;
}

/**
 * A stream image as an item. Lambda hands stream records over as JSON, where a Binary attribute
 * (a stored body) is base64 text; the SDK's stream client (the local poller) gives bytes.
 */
export function itemFromStreamImage(image: NonNullable<NonNullable<DynamoDBRecord['dynamodb']>['NewImage']>) {
  const attributes = Object.fromEntries(
    Object.entries(image).map(([name, value]) => [
      name,
      typeof value.B === 'string' ? { B: Buffer.from(value.B, 'base64') } : value,
    ]),
  );
  return unmarshall(attributes as Record<string, AttributeValue>);
}
