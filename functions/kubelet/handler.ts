import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { podRecordFromStream } from '../adapters/dynamodb/stream';
import { logger } from '../commons/powertools';
import { isoNow, runtime, stores } from '../commons/stores';
import { syncPod } from '../core/controllers/kubelet';

const deps = { ...stores, runtime, now: isoNow };

/** Pods with stage "launch" or "stop"; each record is one pod, so they run in parallel. */
export const handler = middy(async (event: DynamoDBStreamEvent) => {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  const response = await processPartialResponse(
    event,
    async (record: DynamoDBRecord) => {
      const pod = podRecordFromStream(record);
      if (pod) await syncPod(pod, deps);
    },
    processor,
  );
  // Progress under RunTask's rate limit: how many records wait for a retry.
  logger.info('kubelet batch', { records: event.Records.length, retried: response.batchItemFailures.length });
  return response;
}).use(injectLambdaContext(logger));
