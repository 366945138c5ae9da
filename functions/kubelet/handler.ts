import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { podNetworking } from '../adapters/config';
import { powertoolsPodMetrics } from '../commons/metrics';
import { observability } from '../commons/middleware';
import { forPodRecord } from '../commons/pod-records';
import { logger } from '../commons/powertools';
import { isoNow, runtime, stores, timers } from '../commons/stores';
import { batchNodeReads } from '../core/controllers/batch-node-reads';
import { syncPod } from '../core/controllers/kubelet';

const deps = {
  ...stores,
  runtime,
  timers,
  now: isoNow,
  metrics: powertoolsPodMetrics(),
  networking: podNetworking(),
};

/** Pods with stage "launch", "replace" or "stop"; each record is one pod, so they run in parallel. */
export const handler = middy(async (event: DynamoDBStreamEvent) => {
  const batch = { ...deps, nodes: batchNodeReads(deps.nodes) };
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  const response = await processPartialResponse(
    event,
    forPodRecord((pod) => syncPod(pod, batch)),
    processor,
  );
  // Progress under RunTask's rate limit: how many records wait for a retry.
  logger.info('kubelet batch', { records: event.Records.length, retried: response.batchItemFailures.length });
  return response;
}).use(observability());
