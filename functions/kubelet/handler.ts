import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { podNetworking } from '../adapters/config';
import { nodeFromStream } from '../adapters/dynamodb/stream';
import { powertoolsPodMetrics } from '../commons/metrics';
import { observability } from '../commons/middleware';
import { forPodRecord } from '../commons/pod-records';
import { logger } from '../commons/powertools';
import { isoNow, runtime, stores, timers } from '../commons/stores';
import { batchNodeReads } from '../core/controllers/batch-node-reads';
import { syncPod } from '../core/controllers/kubelet';
import { evictForNoExecuteTaints } from '../core/controllers/taint-eviction';

const deps = {
  ...stores,
  runtime,
  timers,
  now: isoNow,
  metrics: powertoolsPodMetrics(),
  networking: podNetworking(),
};

/**
 * Pods with stage "launch", "replace" or "stop", and nodes with stage "evict" (a NoExecute taint:
 * the taint eviction pass); each record is one object, so they run in parallel.
 */
export const handler = middy(async (event: DynamoDBStreamEvent) => {
  const batch = { ...deps, nodes: batchNodeReads(deps.nodes) };
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  const forPod = forPodRecord((pod) => syncPod(pod, batch));
  const response = await processPartialResponse(
    event,
    async (record: DynamoDBRecord) => {
      const node = nodeFromStream(record);
      if (!node) return forPod(record);
      const evicted = await evictForNoExecuteTaints(node, deps);
      if (evicted > 0) logger.info('taint eviction', { node: node.metadata?.name, evicted });
    },
    processor,
  );
  // Progress under RunTask's rate limit: how many records wait for a retry.
  logger.info('kubelet batch', { records: event.Records.length, retried: response.batchItemFailures.length });
  return response;
}).use(observability());
