import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { maxTimerDelaySeconds, type PodTimer, type PodTimers } from '../../core/ports';
import { recorded } from '../call-recorder';
import { timerQueueUrl } from '../config';

let client: SQSClient | undefined;
const sqs = () => {
  client ??= recorded(new SQSClient({}));
  return client;
};

/**
 * Timers as delayed SQS messages: the one delay mechanism that works the same on AWS, on
 * LocalStack's free tier and in the local control plane (EventBridge Scheduler does not fire
 * on LocalStack). The timer consumer is the pod-timers function.
 */
export const sqsPodTimers: PodTimers = {
  async schedule(timer, delaySeconds) {
    await sqs().send(
      new SendMessageCommand({
        QueueUrl: timerQueueUrl(),
        MessageBody: JSON.stringify(timer),
        DelaySeconds: Math.min(maxTimerDelaySeconds, Math.max(0, Math.ceil(delaySeconds))),
      }),
    );
  },
};

/** The timer a message carries, or undefined for a body that is not one (it is dropped). */
export function podTimerFromBody(body: string): PodTimer | undefined {
  try {
    const timer = JSON.parse(body) as Partial<PodTimer>;
    if (
      (timer.kind === 'restart' ||
        timer.kind === 'image-backoff' ||
        timer.kind === 'probe' ||
        timer.kind === 'deadline' ||
        timer.kind === 'requeue' ||
        timer.kind === 'taint-eviction') &&
      typeof timer.namespace === 'string' &&
      typeof timer.name === 'string' &&
      typeof timer.uid === 'string' &&
      typeof timer.generation === 'number'
    )
      return timer as PodTimer;
  } catch {
    // Not JSON: nothing podplane sent.
  }
  return undefined;
}
