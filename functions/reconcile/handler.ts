import middy from '@middy/core';
import { powertoolsPodMetrics } from '../commons/metrics';
import { observability } from '../commons/middleware';
import { withPodLogKeys } from '../commons/pod-log-keys';
import { logger } from '../commons/powertools';
import { isoNow, runtime, stores, timers } from '../commons/stores';
import { reconcile } from '../core/controllers/reconcile';

const metrics = powertoolsPodMetrics();

/** On a schedule: pods compared with their ECS tasks, repaired where events were lost. */
export const handler = middy(async () => {
  const { pods, ...report } = await reconcile({ ...stores, runtime, timers, now: isoNow, metrics });
  // One line per pod acted on, under its keys, so the pod's own trail shows the repair.
  for (const { action, uid, namespace, name } of pods)
    await withPodLogKeys({ metadata: { uid, namespace, name } }, async () =>
      logger.info('reconciled pod', { action }),
    );
  if (pods.length > 0) logger.info('reconciled', { ...report });
  return report;
}).use(observability());
