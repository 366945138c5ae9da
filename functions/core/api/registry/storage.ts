import type { SeenChange, StoredChange } from '../../ports';
import type { DeleteRequest } from '../delete-options';
import type { ApiDeps } from '../pods';
import type { SelectableFields } from '../selectors';
import type { TableWithObjects } from '../tables';
import type { ObjectKey, ObjectWithMeta } from './strategy';

/** What a DELETE left: the object as the client sees it, and whether it is gone already. */
export interface Deleted<T> {
  readonly object: T;
  readonly removed: boolean;
}

/**
 * What the generic registry's reads and deletes ask of one resource (kube-apiserver's Store with
 * its TableConvertor): where its objects are read, how they are selected and printed, and how one
 * is deleted. get, list, watch, delete and deletecollection (registry/get.ts, list.ts, delete.ts)
 * run the same way for every resource from it.
 */
export interface ResourceStorage<T extends ObjectWithMeta> {
  /** The plural resource name, as paths and errors name it. */
  readonly resource: string;
  readonly kind: string;
  /** The kind's apiVersion: `v1`, `policy/v1`. */
  readonly apiVersion: string;
  /** The fields a fieldSelector may name (metadata.name and metadata.namespace at least). */
  readonly fields: SelectableFields<T>;
  /** The Table `kubectl get` prints, one row per object. */
  table(objects: readonly T[], now: Date, resourceVersion: string): TableWithObjects;
  /** The object as it is now; undefined when it does not exist. */
  read(deps: ApiDeps, key: ObjectKey): Promise<T | undefined>;
  /** The objects of a namespace, or of all namespaces, in the order a list shows them. */
  list(deps: ApiDeps, namespace: string | undefined): Promise<T[]>;
  /**
   * What was written after a version, for watches (the change index). A resource without it has
   * few objects and its watches poll the list (watch.ts listedSource).
   */
  changesSince?(
    deps: ApiDeps,
    namespace: string | undefined,
    resourceVersion: number,
    seen: SeenChange,
  ): Promise<StoredChange<T>[]>;
  /**
   * One DELETE: the object as the client sees it afterwards (being deleted, or as it was when it
   * is gone) and whether it is gone; notFound when it does not exist. Absent: the resource
   * cannot be deleted.
   */
  delete?(deps: ApiDeps, key: ObjectKey, options: Omit<DeleteRequest, 'dryRun'>): Promise<Deleted<T>>;
  /**
   * Whether a DELETE answers with the object (kube-apiserver's ReturnDeletedObject: pods,
   * namespaces) or with a Success Status naming it.
   */
  readonly returnsDeletedObject: boolean;
  /** Events get a fresh uid on each write: a watch cannot tell a new object from a changed one by it. */
  readonly uidPerWrite?: boolean;
  /** Lists are in namespace/name order unless the resource orders them otherwise (events by time). */
  readonly ordered?: boolean;
}

/** `<namespace>/<name>` (`/<name>` cluster-scoped): an object's key in lists, pages and watches. */
export const objectKeyOf = (object: ObjectWithMeta) =>
  `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;

/** The group of an apiVersion (`''` for the core group), as Status details name it. */
export const groupOf = (apiVersion: string) =>
  apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
