import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { logger } from '../commons/powertools';
import { isoNow, runtime, stores, timers } from '../commons/stores';
import { applyTaskState } from '../core/controllers/pod-status';
import { type TaskStateChangeDetail, taskViewFromEvent } from '../core/ecs/events';

const deps = { pods: stores.pods, events: stores.events, runtime, timers, now: isoNow };

/** "ECS Task State Change" from EventBridge; a throw makes EventBridge retry, then dead-letter. */
export const handler = middy(
  async (event: EventBridgeEvent<'ECS Task State Change', TaskStateChangeDetail>) => {
    const outcome = await applyTaskState(taskViewFromEvent(event.detail), deps);
    logger.debug('task state applied', {
      taskArn: event.detail.taskArn,
      lastStatus: event.detail.lastStatus,
      outcome,
    });
    return { outcome };
  },
).use(injectLambdaContext(logger));
