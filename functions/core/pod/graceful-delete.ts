import type { Pod } from '../k8s';
import { kubernetesTime } from '../time';
import { heldByFinalizers } from './deletion';
import { isFinished } from './stage';

/**
 * What a DELETE does to a pod, as kube-apiserver's store decides it (BeforeDelete with the pod
 * strategy's CheckGracefulDelete, then the finalizer check):
 * - `remove`: nothing holds it and no grace period is left (never bound, finished, or forced);
 * - `update`: it is marked (deletionTimestamp, deletionGracePeriodSeconds) and stays, for its
 *   containers to stop or its finalizers to go;
 * - `unchanged`: a deletion already under way that this one does not shorten.
 */
export type PodDeletion =
  | { readonly kind: 'remove'; readonly pod: Pod }
  | { readonly kind: 'update'; readonly pod: Pod }
  | { readonly kind: 'unchanged'; readonly pod: Pod };

export function podDeletion(pod: Pod, gracePeriodSeconds: number | undefined, now: Date): PodDeletion {
  // A pod that runs nothing has nothing to wait for: its grace period is 0 whatever was asked.
  const grace =
    !pod.spec?.nodeName || isFinished(pod)
      ? 0
      : (gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
  const metadata = pod.metadata ?? {};
  const current = metadata.deletionGracePeriodSeconds;
  // A second delete may only shorten the grace period, never lengthen or restart it.
  if (metadata.deletionTimestamp && current !== undefined && grace >= current)
    return { kind: 'unchanged', pod };
  const due = new Date(now.getTime() + grace * 1000);
  const requested = metadata.deletionTimestamp;
  const deleting: Pod = {
    ...pod,
    metadata: {
      ...metadata,
      deletionTimestamp: requested && Date.parse(requested) < due.getTime() ? requested : kubernetesTime(due),
      deletionGracePeriodSeconds: grace,
    },
  };
  if (grace === 0 && !heldByFinalizers(pod)) return { kind: 'remove', pod: deleting };
  return { kind: 'update', pod: deleting };
}
