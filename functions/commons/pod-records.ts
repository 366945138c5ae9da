import type { DynamoDBRecord } from 'aws-lambda';
import { podRecordFromStream } from '../adapters/dynamodb/stream';
import { RetryLater } from '../core/controllers/retry';
import type { PodRecord } from '../core/ports';
import { withPodLogKeys } from './pod-log-keys';
import { logger } from './powertools';

/**
 * A batch processor's record handler for pod stream records: the work runs under the pod's log
 * keys, and a failure is logged there before the record is reported for a retry.
 */
export function forPodRecord(work: (pod: PodRecord) => Promise<void>) {
  return async (record: DynamoDBRecord): Promise<void> => {
    const pod = podRecordFromStream(record);
    if (!pod) return;
    await withPodLogKeys(pod.pod, async () => {
      logger.debug('pod record', { stage: pod.stage, resourceVersion: pod.resourceVersion });
      try {
        await work(pod);
      } catch (error) {
        // RetryLater is routine (RunTask pacing, contended bindings); anything else is a fault.
        if (error instanceof RetryLater) logger.debug('pod record retried', { reason: error.message });
        else logger.error('pod record failed', error as Error);
        throw error;
      }
    });
  };
}
