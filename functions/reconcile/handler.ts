import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from '../commons/powertools';
import { isoNow, runtime, stores, timers } from '../commons/stores';
import { reconcile } from '../core/controllers/reconcile';

/** On a schedule: pods compared with their ECS tasks, repaired where events were lost. */
export const handler = middy(async () => {
  const report = await reconcile({ ...stores, runtime, timers, now: isoNow });
  if (report.repaired + report.lost + report.relaunched + report.orphans > 0)
    logger.info('reconciled', { ...report });
  return report;
}).use(injectLambdaContext(logger));
