import { decodeBody, encodeBody } from './stored-body';

/** Keys of the objects table: pk `<resource>/<namespace>` or `<resource>`, sk the object's name. */
export const podKey = (namespace: string, name: string) => ({ pk: `pods/${namespace}`, sk: name });
export const podPartition = (namespace: string) => `pods/${namespace}`;
export const nodeKey = (name: string) => ({ pk: 'nodes', sk: name });
export const nodePartition = 'nodes';
export const namespaceKey = (name: string) => ({ pk: 'namespaces', sk: name });
export const namespacePartition = 'namespaces';

export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** Which items of a cancelled transaction failed their condition, by position. */
export function cancelledConditions(error: unknown): boolean[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as Error & { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((r) => r.Code === 'ConditionalCheckFailed');
}

export interface ObjectItem {
  readonly pk: string;
  readonly sk: string;
  readonly uid?: string;
  readonly rv: number;
  readonly created?: string;
  /** JSON text in items written before bodies were compressed, binary since (stored-body.ts). */
  readonly body: string | Uint8Array;
  readonly [attribute: string]: unknown;
}

/**
 * The object as clients see it. resourceVersion, and for upserted kinds uid and creation time,
 * live in attributes rather than the body so that a write can bump them atomically.
 */
export function objectFromItem<T extends { metadata?: object }>(item: ObjectItem): T {
  const object = JSON.parse(decodeBody(item.body)) as T & { metadata?: Record<string, unknown> };
  object.metadata = {
    ...object.metadata,
    ...(item.uid ? { uid: item.uid } : {}),
    ...(item.created ? { creationTimestamp: item.created } : {}),
    resourceVersion: String(item.rv),
  };
  return object;
}

/** The body as stored: the object without the fields kept in attributes, compressed. */
export function bodyOf(object: { metadata?: object }): Uint8Array {
  const { resourceVersion: _rv, ...metadata } = (object.metadata ?? {}) as Record<string, unknown>;
  return encodeBody(JSON.stringify({ ...object, metadata }));
}
