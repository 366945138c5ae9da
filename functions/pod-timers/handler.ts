import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { podTimerFromBody } from '../adapters/sqs/pod-timers';
import { coalescingDescribeTasks } from '../commons/coalesced-describe';
import { powertoolsPodMetrics } from '../commons/metrics';
import { observability } from '../commons/middleware';
import { withPodLogKeys } from '../commons/pod-log-keys';
import { logger } from '../commons/powertools';
import { isoNow, runtime, stores, timers } from '../commons/stores';
import { firePodTimer } from '../core/controllers/pod-timers';

const deps = {
  pods: stores.pods,
  events: stores.events,
  runtime: coalescingDescribeTasks(runtime),
  timers,
  now: isoNow,
  metrics: powertoolsPodMetrics(),
  taintEviction: { ...stores, timers, now: isoNow },
};

/** Delayed timers from the SQS queue: back-offs that end, pull back-offs to show, probes due. */
export const handler = middy(async (event: SQSEvent) =>
  processPartialResponse(
    event,
    async (record: SQSRecord) => {
      const timer = podTimerFromBody(record.body);
      if (!timer) {
        logger.warn('not a pod timer; dropped', { messageId: record.messageId });
        return;
      }
      const { uid, namespace, name } = timer;
      await withPodLogKeys({ metadata: { uid, namespace, name } }, async () => {
        const outcome = await firePodTimer(timer, deps);
        logger.debug('pod timer', { kind: timer.kind, generation: timer.generation, outcome });
      });
    },
    new BatchProcessor(EventType.SQS),
  ),
).use(observability());
