import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { withFreshPod } from '../controllers/retry';
import { ApiError } from '../errors';
import { ConflictError } from '../ports';
import { type DependentsEntry, ownerIndexResource, ownerResourceOf } from './owner-index';
import { podDisruptionBudgets } from './pdb';
import { podStorage } from './pod-storage';
import type { ApiDeps } from './pods';
import type { ResourceStorage } from './registry/storage';
import type { ObjectWithMeta } from './registry/strategy';

/** The storages of every resource that can own or depend, by resource name. */
const storages: Readonly<Record<string, ResourceStorage<ObjectWithMeta>>> = {
  pods: podStorage as ResourceStorage<ObjectWithMeta>,
  poddisruptionbudgets: podDisruptionBudgets.storage as ResourceStorage<ObjectWithMeta>,
};

/**
 * Whether an owner still exists: the object of its name has its uid (Kubernetes' garbage
 * collector looks owners up the same way). An owner of a kind podplane does not serve cannot be
 * looked up, and counts as existing, as the collector leaves a dependent it cannot decide on.
 */
async function ownerExists(deps: ApiDeps, namespace: string, owner: OwnerReference): Promise<boolean> {
  const resource = ownerResourceOf(owner);
  const storage = resource ? storages[resource] : undefined;
  if (!storage) return true;
  const found = await storage.read(deps, { namespace, name: owner.name });
  return found?.metadata?.uid === owner.uid;
}

/**
 * The garbage collector's part once an owner is gone (a Background deletion): each dependent the
 * owner's entry names that still references it, and has no other owner left, is deleted as a
 * Background DELETE of it would be; its own dependents follow when it goes. Then the entry goes.
 * Idempotent: run again (by the sweep) it finds nothing more to do.
 */
export async function collectDependents(deps: ApiDeps, namespace: string, ownerUid: string): Promise<void> {
  const entry = await deps.objects.getObject<DependentsEntry>(ownerIndexResource, namespace, ownerUid);
  if (!entry) return;
  for (const dependent of entry.dependents) {
    const storage = storages[dependent.resource];
    const remove = storage?.delete;
    if (!storage || !remove) continue;
    const key = { namespace, name: dependent.name };
    const object = await storage.read(deps, key);
    if (object?.metadata?.uid !== dependent.uid) continue;
    const refs = object.metadata?.ownerReferences ?? [];
    if (!refs.some((ref) => ref.uid === ownerUid)) continue;
    const others = refs.filter((ref) => ref.uid !== ownerUid);
    if (await someExists(deps, namespace, others)) continue;
    try {
      const { removed } = await remove(deps, key, {
        propagationPolicy: 'Background',
        preconditions: { uid: dependent.uid },
      });
      if (removed) await collectDependents(deps, namespace, dependent.uid);
    } catch (error) {
      // Gone or replaced meanwhile: nothing of this owner's left to collect.
      if (!(error instanceof ApiError && (error.code === 404 || error.code === 409))) throw error;
    }
  }
  await forget(deps, entry);
}

/**
 * Orphan propagation through the owner's entry: the owner is taken out of each dependent's
 * ownerReferences, so that nothing collects them once it is gone. Then the entry goes.
 */
export async function orphanDependents(deps: ApiDeps, namespace: string, ownerUid: string): Promise<void> {
  const entry = await deps.objects.getObject<DependentsEntry>(ownerIndexResource, namespace, ownerUid);
  if (!entry) return;
  for (const dependent of entry.dependents) {
    if (dependent.resource === 'pods') await orphanPod(deps, namespace, dependent.name, ownerUid);
    if (dependent.resource === 'pods' || !storages[dependent.resource]) continue;
    for (let attempt = 1; attempt <= 8; attempt++) {
      const object = await deps.objects.getObject<ObjectWithMeta>(
        dependent.resource,
        namespace,
        dependent.name,
      );
      const orphaned = object?.metadata?.uid === dependent.uid && object && withoutOwner(object, ownerUid);
      if (!orphaned) break;
      try {
        await deps.objects.updateObject(dependent.resource, orphaned);
        break;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
  }
  await forget(deps, entry);
}

const withoutOwner = <T extends ObjectWithMeta>(object: T, ownerUid: string): T | undefined => {
  const refs = object.metadata?.ownerReferences ?? [];
  const kept = refs.filter((ref) => ref.uid !== ownerUid);
  if (kept.length === refs.length) return undefined;
  const { ownerReferences: _refs, ...metadata } = object.metadata ?? {};
  return { ...object, metadata: { ...metadata, ...(kept.length > 0 ? { ownerReferences: kept } : {}) } };
};

async function orphanPod(deps: ApiDeps, namespace: string, name: string, ownerUid: string) {
  const first = await deps.pods.getPod(namespace, name, true);
  if (!first) return;
  await withFreshPod(first, deps.pods, async (record) => {
    const orphaned = withoutOwner(record.pod, ownerUid);
    if (orphaned) await deps.pods.updatePod(record, orphaned);
  });
}

async function someExists(deps: ApiDeps, namespace: string, owners: readonly OwnerReference[]) {
  for (const owner of owners) if (await ownerExists(deps, namespace, owner)) return true;
  return false;
}

async function forget(deps: ApiDeps, entry: DependentsEntry) {
  try {
    await deps.objects.deleteObject(ownerIndexResource, entry);
  } catch (error) {
    // A dependent noted meanwhile: the next sweep looks at the entry again.
    if (!(error instanceof ConflictError)) throw error;
  }
}

/**
 * The backstop, run with the periodic reconcile: every owner entry whose owner no longer exists
 * (removed by any path: a delete, the update that took its last finalizer, the kubelet ending a
 * graceful deletion, or a process that died before collecting; or never existed) has its
 * dependents collected. Returns how many owners it found gone.
 */
export async function sweepOrphanedDependents(deps: ApiDeps): Promise<number> {
  let gone = 0;
  for (const entry of await deps.objects.listObjects<DependentsEntry>(ownerIndexResource)) {
    const namespace = entry.metadata?.namespace ?? '';
    if (await ownerExists(deps, namespace, entry.owner)) continue;
    gone++;
    await collectDependents(deps, namespace, entry.owner.uid);
  }
  return gone;
}
