import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from '../commons/powertools';
import { isoNow, runtime, stores } from '../commons/stores';
import { syncNodes } from '../core/controllers/node-sync';

/** On a schedule: EC2 container instances become (or refresh) nodes. */
export const handler = middy(async () => {
  const nodes = await syncNodes({ runtime, nodes: stores.nodes, now: isoNow });
  return { nodes };
}).use(injectLambdaContext(logger));
