import type { DynamoDBRecord, SQSEvent } from 'aws-lambda';
import type { EventDeliveryHook } from '../event-bus';
import type { FaultInjector } from './injector';

/** A stream batch that succeeded is delivered again (`duplicate`), as a shard's records may be. */
export function streamRedelivery(
  injector: FaultInjector,
  functionName: string,
): (batch: readonly DynamoDBRecord[]) => boolean {
  return () => injector.roll('duplicate', `stream/${functionName}`);
}

/** An SQS batch is received twice at once (`duplicate`), as a standard queue may deliver it. */
export function queueDuplicates(injector: FaultInjector, functionName: string): (event: SQSEvent) => boolean {
  return () => injector.roll('duplicate', `sqs/${functionName}`);
}

/** How long a held-back event waits for a later one to overtake it before it goes anyway. */
const reorderHoldMs = 1000;

/**
 * ECS task events as EventBridge may deliver them: `drop` (never), `delay` (1 to 5 s late),
 * `reorder` (held back until the next event has gone out, so that one arrives first) and
 * `duplicate` (a second copy up to 300 ms later). Held and delayed events go out at once when
 * the faults are disarmed: late, not lost.
 */
export function eventDeliveries(injector: FaultInjector): EventDeliveryHook {
  let held: (() => void)[] = [];
  const releaseHeld = () => {
    const waiting = held;
    held = [];
    for (const deliver of waiting) deliver();
  };
  return (_event, deliver) => {
    if (injector.roll('drop', 'ecs-event')) return;
    if (injector.roll('duplicate', 'ecs-event')) injector.later(injector.random.between(0, 300), deliver);
    if (injector.roll('delay', 'ecs-event')) {
      injector.later(injector.random.between(1000, 5000), deliver);
      return;
    }
    if (injector.roll('reorder', 'ecs-event')) {
      let done = false;
      const once = () => {
        if (done) return;
        done = true;
        deliver();
      };
      held.push(once);
      injector.later(reorderHoldMs, once);
      return;
    }
    deliver();
    releaseHeld();
  };
}
