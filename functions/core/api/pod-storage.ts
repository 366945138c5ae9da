import { notFound } from '../errors';
import type { Pod } from '../k8s';
import { deletePodAndDependents } from './pod-delete';
import { podTable } from './pod-table';
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
   * has stopped; one that runs nothing, or a forced delete, goes at once; finalizers hold it until
   * they are removed (pod-delete.ts).
   */
  async delete(deps, key, options) {
    const first = await deps.pods.getPod(key.namespace, key.name, true);
    if (!first) throw notFound('pods', key.name);
    const { pod, removed } = await deletePodAndDependents(first, options, deps);
    return { object: pod, removed };
  },
  returnsDeletedObject: true,
};
