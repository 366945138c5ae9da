import { AsyncLocalStorage } from 'node:async_hooks';
import type { Pod } from '../core/k8s';

/** The keys that let CloudWatch Logs Insights follow one pod across every function. */
export interface PodLogKeys {
  podUid?: string;
  namespace?: string;
  podName?: string;
}

// Per async context, not the logger's appendKeys: the kubelet works on a batch's records in
// parallel, and keys appended to the one shared logger would land on the other records' lines.
const scope = new AsyncLocalStorage<PodLogKeys>();

function keysOf(pod: Pod): PodLogKeys {
  const { uid, namespace, name } = pod.metadata ?? {};
  return {
    ...(uid ? { podUid: uid } : {}),
    ...(namespace ? { namespace } : {}),
    ...(name ? { podName: name } : {}),
  };
}

/**
 * Runs `work` on behalf of one pod: every line the logger writes until it settles carries the
 * pod's keys, and none written elsewhere (before, after, or by concurrent work) does.
 */
export function withPodLogKeys<T>(pod: Pod, work: () => Promise<T>): Promise<T> {
  return scope.run(keysOf(pod), work);
}

/**
 * Completes the current pod's keys with what the work learned on the way: the uid the store
 * assigned on create, the name a task event's uid leads to. Outside withPodLogKeys it does nothing.
 */
export function notePodLogKeys(pod: Pod): void {
  const keys = scope.getStore();
  // Only what is missing: the pod a scope is about is the first one learned, and later reads of
  // other pods (a requeue lists the waiting ones) must not rename it.
  if (keys) for (const [key, value] of Object.entries(keysOf(pod))) keys[key as keyof PodLogKeys] ??= value;
}

/** The keys of the pod being worked on in this async context, if any. */
export function currentPodLogKeys(): PodLogKeys {
  return { ...scope.getStore() };
}
