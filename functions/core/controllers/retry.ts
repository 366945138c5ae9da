import { ConflictError, type PodRecord, type PodStore } from '../ports';

/**
 * Applies a read-modify-write to the freshest copy of a pod until it does not lose a race.
 * Every write is conditioned on the resourceVersion that was read, so a ConflictError means
 * "read again and decide again"; a pod that is gone needs nothing more.
 */
export async function withFreshPod(
  first: PodRecord,
  pods: PodStore,
  change: (record: PodRecord) => Promise<void>,
  attempts = 8,
): Promise<void> {
  let record: PodRecord | undefined = first;
  for (let attempt = 1; record; attempt++) {
    try {
      return await change(record);
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= attempts) throw error;
    }
    record = await pods.getPod(
      first.pod.metadata?.namespace ?? 'default',
      first.pod.metadata?.name ?? '',
      true,
    );
  }
}

/** A record the controller could not finish now and wants delivered again later. */
export class RetryLater extends Error {}
