import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { traced } from '../../commons/tracer';
import { recorded } from '../call-recorder';

let documentClient: DynamoDBDocumentClient | undefined;

/** One client per process, created on first use so the endpoint comes from the environment then. */
export function dynamo(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(traced(recorded(new DynamoDBClient({}))), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

/**
 * Capacity DynamoDB reports as consumed, summed per process. Every call asks for it
 * (ReturnConsumedCapacity TOTAL, index writes included), so the benchmark can state what a pod
 * costs in the units AWS bills.
 */
const meter = { readUnits: 0, writeUnits: 0 };

export function recordCapacity(
  kind: 'read' | 'write',
  consumed: ConsumedCapacity | ConsumedCapacity[] | undefined,
) {
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  for (const c of list) {
    const units = c.CapacityUnits ?? (kind === 'read' ? c.ReadCapacityUnits : c.WriteCapacityUnits) ?? 0;
    if (kind === 'read') meter.readUnits += units;
    else meter.writeUnits += units;
  }
}

export function consumedCapacity(): { readUnits: number; writeUnits: number } {
  return { ...meter };
}
