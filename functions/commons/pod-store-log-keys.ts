import type { PodStore } from '../core/ports';
import { notePodLogKeys } from './pod-log-keys';

/**
 * The pod store, completing the current pod's log keys from the pods it reads and creates: the
 * apiserver knows a pod's uid only once it has read or created it, the status path knows only
 * the uid until it has found the pod.
 */
export function podStoreNotingLogKeys(store: PodStore): PodStore {
  return {
    ...store,
    async getPod(namespace, name, consistent) {
      const record = await store.getPod(namespace, name, consistent);
      if (record) notePodLogKeys(record.pod);
      return record;
    },
    async findPodByUid(uid) {
      const record = await store.findPodByUid(uid);
      if (record) notePodLogKeys(record.pod);
      return record;
    },
    async createPod(pod) {
      const created = await store.createPod(pod);
      notePodLogKeys(created);
      return created;
    },
  };
}
