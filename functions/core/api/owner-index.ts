import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { AlreadyExistsError, ConflictError, type ObjectStore, type StoredObject } from '../ports';

/**
 * How the garbage collector finds an owner's dependents without listing its namespace: one small
 * entry per owner uid in the generic object store (a resource no route serves), naming each
 * object created or updated with an ownerReference to it (docs/decisions.md "Dependents are found
 * through an index of owner uids"). An entry may name more than the owner still has (a reference
 * removed later, a dependent gone): the collector checks each dependent before acting on it.
 */
export const ownerIndexResource = 'ownerdependents.podplane.io';

/** The owners the collector can look up: kinds podplane serves, namespaced as their dependents. */
export const servedOwnerKinds: Readonly<Record<string, string>> = {
  'v1/Pod': 'pods',
  'policy/v1/PodDisruptionBudget': 'poddisruptionbudgets',
};

/** The resource an ownerReference names, if podplane serves it. */
export const ownerResourceOf = (ref: OwnerReference): string | undefined =>
  servedOwnerKinds[`${ref.apiVersion}/${ref.kind}`];

export interface DependentRef {
  readonly resource: string;
  readonly name: string;
  readonly uid: string;
}

/** An owner's entry: named by the owner's uid, in its dependents' namespace. */
export interface DependentsEntry extends StoredObject {
  readonly owner: OwnerReference;
  readonly dependents: readonly DependentRef[];
}

/**
 * Notes `object` (of `resource`) as a dependent of each served owner it references that `before`
 * (the object as it was, on an update) did not. Called before the object is written: an entry
 * naming an object that was never written is harmless, a dependent no entry names would be
 * collected only by nothing.
 */
export async function noteDependent(
  objects: ObjectStore,
  resource: string,
  object: StoredObject,
  before?: StoredObject,
): Promise<void> {
  const { namespace = '', name = '', uid } = object.metadata ?? {};
  if (!namespace || !uid) return;
  const known = new Set((before?.metadata?.ownerReferences ?? []).map((ref) => ref.uid));
  const owners = (object.metadata?.ownerReferences ?? []).filter(
    (ref) => ref.uid && !known.has(ref.uid) && ownerResourceOf(ref),
  );
  for (const owner of owners) await addDependent(objects, namespace, owner, { resource, name, uid });
}

async function addDependent(
  objects: ObjectStore,
  namespace: string,
  owner: OwnerReference,
  dependent: DependentRef,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const entry = await objects.getObject<DependentsEntry>(ownerIndexResource, namespace, owner.uid);
    try {
      if (!entry) {
        const { apiVersion, kind, name, uid } = owner;
        await objects.createObject<DependentsEntry>(ownerIndexResource, {
          // No uid of its own: the table's byUid index is for the objects that have one.
          metadata: { namespace, name: owner.uid },
          owner: { apiVersion, kind, name, uid },
          dependents: [dependent],
        });
        return;
      }
      if (entry.dependents.some((d) => d.uid === dependent.uid && d.resource === dependent.resource)) return;
      await objects.updateObject<DependentsEntry>(ownerIndexResource, {
        ...entry,
        dependents: [...entry.dependents, dependent],
      });
      return;
    } catch (error) {
      const raced = error instanceof ConflictError || error instanceof AlreadyExistsError;
      if (!raced || attempt >= 8) throw error;
    }
  }
}
