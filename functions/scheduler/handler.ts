import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { podNetworking, schedulerNames, scoringStrategy } from '../adapters/config';
import { powertoolsPodMetrics } from '../commons/metrics';
import { observability } from '../commons/middleware';
import { forPodRecord } from '../commons/pod-records';
import { isoNow, stores } from '../commons/stores';
import { createScheduler } from '../core/controllers/scheduler';
import { createProfile, type ScoringStrategy } from '../core/scheduler/profile';

/**
 * Pods with stage "schedule" that ask for a scheduler name it answers to (the stream filter drops
 * every other record), scheduled as one batch
 * against one view of the nodes and bound in transactions of many pods; a failed record is
 * reported alone and retried by the event source mapping.
 */
// Read once per Lambda instance: an unknown strategy fails the deployment's first invocation loudly.
const profile = createProfile({ scoringStrategy: scoringStrategy() as ScoringStrategy });
const metrics = powertoolsPodMetrics();
const networking = podNetworking();
const names = schedulerNames();

export const handler = middy(async (event: DynamoDBStreamEvent) => {
  const scheduler = createScheduler({
    ...stores,
    profile,
    now: isoNow,
    metrics,
    networking,
    schedulerNames: names,
  });
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  return processPartialResponse(
    event,
    forPodRecord((pod) => scheduler.schedule(pod)),
    processor,
    // All records handed over at once, so that the scheduler takes them as one batch; each
    // record's promise still settles on its own pod's outcome.
    { processInParallel: true },
  );
}).use(observability());
