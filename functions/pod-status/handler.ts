import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { powertoolsPodMetrics } from '../commons/metrics';
import { observability } from '../commons/middleware';
import { withPodLogKeys } from '../commons/pod-log-keys';
import { podStoreNotingLogKeys } from '../commons/pod-store-log-keys';
import { logger } from '../commons/powertools';
import { isoNow, runtime, stores, timers } from '../commons/stores';
import { applyTaskState } from '../core/controllers/pod-status';
import { type TaskStateChangeDetail, taskViewFromEvent } from '../core/ecs/events';

const deps = {
  // The event names the pod only by uid (the task's startedBy); the store fills in its name.
  pods: podStoreNotingLogKeys(stores.pods),
  events: stores.events,
  runtime,
  timers,
  now: isoNow,
  metrics: powertoolsPodMetrics(),
};

/** "ECS Task State Change" from EventBridge; a throw makes EventBridge retry, then dead-letter. */
export const handler = middy(
  async (event: EventBridgeEvent<'ECS Task State Change', TaskStateChangeDetail>) =>
    withPodLogKeys({ metadata: { uid: event.detail.startedBy } }, async () => {
      const outcome = await applyTaskState(taskViewFromEvent(event.detail), deps);
      logger.debug('task state applied', {
        taskArn: event.detail.taskArn,
        lastStatus: event.detail.lastStatus,
        outcome,
      });
      return { outcome };
    }),
).use(observability());
