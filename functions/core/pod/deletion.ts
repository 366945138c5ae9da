import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import type { FieldError } from '../errors';
import type { Pod, PodStatus } from '../k8s';
import type { PodRecord } from '../ports';
import { kubernetesTime } from '../time';
import { forbidden, goQuote, invalid, invalidStringer } from '../validation/field-errors';
import { qualifiedNameErrors } from '../validation/formats';
import { isFinished } from './stage';

/**
 * A pod's deletion as kube-apiserver's store carries it out: `deletionTimestamp` marks the
 * request, `deletionGracePeriodSeconds` 0 says nothing needs to wait any longer for the containers
 * (they ended, or the delete was forced), and finalizers hold the object until they are all gone.
 */

/** The garbage collector's finalizers, and the namespace controller's: the names without a '/' allowed. */
export const orphanFinalizer = 'orphan';
export const foregroundFinalizer = 'foregroundDeletion';
const standardFinalizers = new Set(['kubernetes', orphanFinalizer, foregroundFinalizer]);

/** Any object the store deletes: what its deletion reads is its metadata. */
interface WithMeta {
  readonly metadata?: ObjectMeta;
}

export const finalizersOf = (object: WithMeta): readonly string[] => object.metadata?.finalizers ?? [];

/** Whether any finalizer still holds the object. */
export const heldByFinalizers = (object: WithMeta) => finalizersOf(object).length > 0;

/**
 * apimachinery's ValidateFinalizers (each a qualified name; `orphan` and `foregroundDeletion`
 * not both) and core validation's check that a name without a '/' is a standard one.
 */
export function finalizerErrors(finalizers: readonly string[], path = 'metadata.finalizers'): FieldError[] {
  const errors: FieldError[] = [];
  for (const name of finalizers)
    for (const message of qualifiedNameErrors(name)) errors.push(invalid(path, name, message));
  if (finalizers.includes(orphanFinalizer) && finalizers.includes(foregroundFinalizer))
    errors.push(
      invalidStringer(
        path,
        goStrings(finalizers),
        `finalizer ${orphanFinalizer} and ${foregroundFinalizer} cannot be both set`,
      ),
    );
  finalizers.forEach((name, i) => {
    if (!name.includes('/') && !standardFinalizers.has(name))
      errors.push(
        invalid(`${path}[${i}]`, name, 'name is neither a standard finalizer name nor is it fully qualified'),
      );
  });
  return errors;
}

/** A list of names as Go's `%#v` prints a []string. */
const goStrings = (names: readonly string[]) => `[]string{${names.map(goQuote).join(', ')}}`;

/** ValidateObjectMetaUpdate's rule for an object being deleted: finalizers may only go. */
export function newFinalizerErrors(current: WithMeta, next: WithMeta): FieldError[] {
  if (!current.metadata?.deletionTimestamp) return [];
  const before = new Set(finalizersOf(current));
  const added = [...new Set(finalizersOf(next))].filter((name) => !before.has(name)).sort();
  if (added.length === 0) return [];
  return [
    forbidden(
      'metadata.finalizers',
      `no new finalizers can be added if the object is being deleted, found new finalizers ${goStrings(added)}`,
    ),
  ];
}

/**
 * The store's ShouldDeleteDuringUpdate: an update that leaves a deleted object without finalizers
 * removes it, once nothing needs to wait for its containers (grace period 0 or none).
 */
export function shouldDeleteDuringUpdate(current: Pod, next: Pod): boolean {
  if (heldByFinalizers(next) || !current.metadata?.deletionTimestamp) return false;
  const grace = current.metadata.deletionGracePeriodSeconds;
  return grace === undefined || grace === 0;
}

/**
 * Whether the pod's ECS task may still run: it is bound and has not finished. Removing such a pod
 * leaves its tombstone in the kubelet's stop stage, so that the task is stopped all the same.
 */
export const taskMayRun = (record: PodRecord) =>
  Boolean(record.pod.spec?.nodeName) && !isFinished(record.pod);

/**
 * The pod once its containers have ended while finalizers hold it: what the kubelet's last,
 * zero-second delete leaves on such an object (grace period 0, the deletion time brought forward
 * to now if later), with the status the containers ended with.
 */
export function endedWhileHeld(pod: Pod, status: PodStatus, now: Date): Pod {
  const requested = pod.metadata?.deletionTimestamp;
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      deletionTimestamp: requested && Date.parse(requested) < now.getTime() ? requested : kubernetesTime(now),
      deletionGracePeriodSeconds: 0,
    },
    status,
  };
}

/** A held pod whose containers have ended already: nothing more to do until its finalizers go. */
export const endedAlready = (pod: Pod) => isFinished(pod) && pod.metadata?.deletionGracePeriodSeconds === 0;
