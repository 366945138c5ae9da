import { notFound } from '../errors';
import type { Pod } from '../k8s';
import { podTable } from './pod-table';
import { deletePodRecord } from './pods';
import type { ResourceStorage } from './registry/storage';
import { podFields } from './selectors';

/** Pods in the generic registry's reads and deletes, over the pod store and its own delete. */
export const podStorage: ResourceStorage<Pod> = {
  resource: 'pods',
  kind: 'Pod',
  apiVersion: 'v1',
  fields: podFields,
  table: (pods, now, resourceVersion) => podTable(pods, now, resourceVersion),
  read: async (deps, key) => (await deps.pods.getPod(key.namespace, key.name))?.pod,
  list: (deps, namespace) => deps.pods.listPods(namespace),
  changesSince: (deps, namespace, rv, seen) => deps.pods.podChangesSince(namespace, rv, seen),
  /**
   * Graceful delete: a pod that may be running gets deletionTimestamp and is removed once its task
   * has stopped; one that never ran or has finished goes at once, as in Kubernetes.
   */
  async delete(deps, key, options) {
    const first = await deps.pods.getPod(key.namespace, key.name, true);
    if (!first) throw notFound('pods', key.name);
    return deletePodRecord(first, options, deps);
  },
  returnsDeletedObject: true,
};
