import middy from '@middy/core';
import { powertoolsPodMetrics } from '../commons/metrics';
import { observability } from '../commons/middleware';
import { withPodLogKeys } from '../commons/pod-log-keys';
import { logger } from '../commons/powertools';
import { isoNow, runtime, stores, timers } from '../commons/stores';
import { sweepOrphanedDependents } from '../core/api/garbage-collector';
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
  // The garbage collector's backstop: dependents of owners gone by any path, however they went.
  const ownersGone = await sweepOrphanedDependents({
    ...stores,
    now: () => new Date(),
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  });
  if (ownersGone > 0) logger.info('collected dependents', { ownersGone });
  return { ...report, ownersGone };
}).use(observability());
