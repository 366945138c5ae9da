import { withFreshPod } from '../controllers/retry';
import { jsonEqual } from '../equal';
import type { Pod } from '../k8s';
import { shouldDeleteDuringUpdate, taskMayRun } from '../pod/deletion';
import type { PodRecord } from '../ports';
import { fieldManagerScope } from './apply/managed-fields';
import { noteDependent } from './owner-index';
import { admitPodUpdate } from './pod-update';
import { admitAndCreatePod } from './pods';
import type { Strategy } from './registry/strategy';

/** Pods in the generic registry: a pod and its status subresource. */
export const podStrategy: Strategy<Pod, PodRecord> = {
  kind: 'Pod',
  resource: 'pods',
  fieldManagers: { object: fieldManagerScope('Pod'), status: fieldManagerScope('Pod', 'status') },
  get: (deps, key) => deps.pods.getPod(key.namespace, key.name, true),
  /**
   * Through withFreshPod, as every pod write goes (controllers/retry.ts), so an API update races
   * the controllers as they race each other: any conflict, a stale precondition included, reads
   * the pod again and decides again.
   */
  async guaranteedUpdate(deps, _key, first, tryUpdate) {
    let result: Pod = first.pod;
    await withFreshPod(first, deps.pods, async (record) => {
      const next = tryUpdate(record.pod);
      // The update that takes a deleted pod's last finalizer away removes it, as the store's
      // ShouldDeleteDuringUpdate does, once nothing waits for its containers.
      if (shouldDeleteDuringUpdate(record.pod, next)) {
        await deps.pods.deletePod(record, { pod: next, stopTask: taskMayRun(record) });
        result = next;
        return;
      }
      if (jsonEqual(next, record.pod)) {
        result = record.pod;
        return;
      }
      await noteDependent(deps.objects, 'pods', next, record.pod);
      result = (await deps.pods.updatePod(record, next)).pod;
    });
    return result;
  },
  create: (deps, namespace, pod, warnings, track) => admitAndCreatePod(namespace, pod, deps, warnings, track),
  admitUpdate: admitPodUpdate,
};
