import type { ManagedFieldsEntry, ObjectMeta } from 'kubernetes-types/meta/v1';
import { ApiError, badRequest } from '../../errors';
import type { FieldManagerScope, JsonObject } from '../apply/managed-fields';
import type { ApplyKind } from '../apply/schema';
import type { ApiResponse } from '../http';
import type { ApiDeps } from '../pods';

/** What a write goes through: the object itself, or its status subresource. */
export type Part = 'object' | 'status';

/** Which object a request names: its namespace ('' for a cluster-scoped one) and name. */
export interface ObjectKey {
  readonly namespace: string;
  readonly name: string;
}

/** Any Kubernetes object: what the registry reads of one is its metadata. */
export interface ObjectWithMeta {
  metadata?: ObjectMeta;
}

/** The object as the field manager reads it: the JSON it is stored as. */
export const asJson = (object: ObjectWithMeta): JsonObject => object as unknown as JsonObject;

/** The managedFields a created object gets, from the form of it that is tracked. */
export type TrackManagedFields<T> = (tracked: T) => ManagedFieldsEntry[] | undefined;

/**
 * What one resource adds to the generic registry, as a kube-apiserver REST strategy does: the
 * registry runs create, replace, patch and apply the same way for every resource, and asks the
 * strategy only what differs. `T` is the object, `R` what the store reads and conditions a write
 * on (a pod's record, a namespace itself). Every read and write goes through `deps`' stores, so a
 * dry run (dry-run.ts) reaches the strategy like any request and stores nothing.
 */
export interface Strategy<T extends ObjectWithMeta, R> {
  readonly kind: ApplyKind;
  /** The plural resource name, as errors name it. */
  readonly resource: string;
  /**
   * The field manager scope of writes through the object, and through its status subresource
   * when the resource has one.
   */
  readonly fieldManagers: { readonly object: FieldManagerScope; readonly status?: FieldManagerScope };
  /** The object as it is now, read consistently; undefined when it does not exist. */
  get(deps: ApiDeps, key: ObjectKey): Promise<R | undefined>;
  /**
   * GuaranteedUpdate: stores what `tryUpdate` makes of the current object, conditioned on the
   * version it was made from, reading again when the write loses a race. Returns the object as
   * stored (the current one when nothing changed); a ConflictError means it gave up.
   */
  guaranteedUpdate(deps: ApiDeps, key: ObjectKey, first: R, tryUpdate: (current: T) => T): Promise<T>;
  /**
   * Create admission and the create itself, for POST and for an apply that creates: 201 with the
   * object as stored, whose managedFields `track` gives.
   */
  create(
    deps: ApiDeps,
    namespace: string,
    decoded: T,
    warnings: readonly string[],
    track: TrackManagedFields<T>,
  ): Promise<ApiResponse>;
  /** What an update through `part` may change: the object to store, or an error. */
  admitUpdate(current: T, proposed: T, part: Part, key: ObjectKey): T;
}

/** The field manager scope of a write through `part`. */
export function fieldManagerScopeOf<T extends ObjectWithMeta, R>(
  strategy: Strategy<T, R>,
  part: Part,
): FieldManagerScope {
  const scope = part === 'status' ? strategy.fieldManagers.status : strategy.fieldManagers.object;
  // Only a route wired to a status subresource the resource lacks could get here.
  if (!scope) throw new Error(`${strategy.resource} have no status subresource`);
  return scope;
}

/**
 * What every update checks of the object it is given before its strategy looks at it, as
 * kube-apiserver's rest.BeforeUpdate does: the name (and, for a namespaced object, the namespace)
 * the URL names, and the uid, when given, as a precondition.
 */
export function checkUpdateIdentity(current: ObjectWithMeta, proposed: ObjectWithMeta, key: ObjectKey): void {
  const { namespace, name } = key;
  if (proposed.metadata?.name !== undefined && proposed.metadata.name !== name)
    throw badRequest(
      `the name of the object (${proposed.metadata.name}) does not match the name on the URL (${name})`,
    );
  if (
    namespace !== '' &&
    proposed.metadata?.namespace !== undefined &&
    proposed.metadata.namespace !== namespace
  )
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  if (proposed.metadata?.uid !== undefined && proposed.metadata.uid !== current.metadata?.uid)
    throw new ApiError(
      409,
      'Conflict',
      `Precondition failed: UID in precondition: ${proposed.metadata.uid}, UID in object meta: ${current.metadata?.uid}`,
    );
}
