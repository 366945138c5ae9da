import { withFreshPod } from '../controllers/retry';
import type { Pod } from '../k8s';
import { taskMayRun } from '../pod/deletion';
import { podDeletion } from '../pod/graceful-delete';
import type { PodRecord } from '../ports';
import { checkPreconditions, type DeleteRequest } from './delete-options';
import type { ApiDeps } from './pods';

/** The pod as the client should see it after its delete, and whether it is gone already. */
export interface DeletedPod {
  readonly pod: Pod;
  readonly removed: boolean;
}

/**
 * Deletes one pod (pod/graceful-delete.ts decides how), its dependents first as the propagation
 * policy asks (decisions.md "Finalizers, force deletion and propagation"). Without preconditions
 * a delete must not fail because a controller wrote the pod meanwhile: like the apiserver's
 * GuaranteedUpdate, it reads again and redoes; preconditions are checked on every read.
 */
export async function deletePodAndDependents(
  first: PodRecord,
  options: Omit<DeleteRequest, 'dryRun'>,
  deps: ApiDeps,
): Promise<DeletedPod> {
  checkPreconditions(options.preconditions, first.pod.metadata);
  const policy = options.propagationPolicy;
  if (policy === 'Orphan' || policy === 'Foreground') await handleDependents(first.pod, policy, deps);
  let result: DeletedPod = { pod: first.pod, removed: false };
  await withFreshPod(first, deps.pods, async (record) => {
    checkPreconditions(options.preconditions, record.pod.metadata);
    const deletion = podDeletion(record.pod, options.gracePeriodSeconds, deps.now());
    if (deletion.kind === 'unchanged') result = { pod: record.pod, removed: false };
    else if (deletion.kind === 'remove') {
      await deps.pods.deletePod(record, { pod: deletion.pod, stopTask: taskMayRun(record) });
      result = { pod: deletion.pod, removed: true };
    } else result = { pod: (await deps.pods.updatePod(record, deletion.pod)).pod, removed: false };
  });
  return result;
}

/**
 * The garbage collector's part, done before the owner goes: Orphan takes the owner out of its
 * dependents' ownerReferences; Foreground deletes the dependents (each as a Background delete).
 * The dependents here are the namespace's pods that name this pod's uid; those of other
 * resources are found through the owner index (registry/delete.ts, garbage-collector.ts).
 */
async function handleDependents(owner: Pod, policy: 'Orphan' | 'Foreground', deps: ApiDeps) {
  const uid = owner.metadata?.uid;
  const namespace = owner.metadata?.namespace ?? 'default';
  if (!uid) return;
  const dependents = (await deps.pods.listPods(namespace)).filter((pod) =>
    pod.metadata?.ownerReferences?.some((ref) => ref.uid === uid),
  );
  for (const dependent of dependents) {
    const record = await deps.pods.getPod(namespace, dependent.metadata?.name ?? '', true);
    if (!record) continue;
    if (policy === 'Foreground') {
      await deletePodAndDependents(record, { propagationPolicy: 'Background' }, deps);
      continue;
    }
    await withFreshPod(record, deps.pods, async (fresh) => {
      const refs = fresh.pod.metadata?.ownerReferences ?? [];
      const kept = refs.filter((ref) => ref.uid !== uid);
      if (kept.length === refs.length) return;
      const { ownerReferences: _gone, ...metadata } = fresh.pod.metadata ?? {};
      await deps.pods.updatePod(fresh, {
        ...fresh.pod,
        metadata: { ...metadata, ...(kept.length > 0 ? { ownerReferences: kept } : {}) },
      });
    });
  }
}
