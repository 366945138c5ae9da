import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueDefinition, QueueTrigger } from '../functions/wiring';
import { failureQueue } from './queues';

/**
 * The delay queue behind restart back-offs and probe periods (functions/wiring.ts). A message
 * that fails `maxReceiveCount` times goes to a dead-letter queue with an alarm; the reconcile
 * restarts a pod whose timer was lost, so nothing waits forever.
 */
export class TimerQueue extends Construct {
  readonly queue: sqs.Queue;
  /** Timers that failed `maxReceiveCount` times. */
  readonly deadLetters: sqs.Queue;
  private readonly definition: QueueDefinition;

  constructor(scope: Construct, id: string, props: { definition: QueueDefinition; maxReceiveCount: number }) {
    super(scope, id);
    this.definition = props.definition;
    this.deadLetters = failureQueue(this, 'DeadLetters');
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(props.definition.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(props.definition.retentionSeconds),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: props.maxReceiveCount },
    });
  }

  /** The consumer: partial batch responses, so one failing timer does not redeliver its batch. */
  consumeWith(fn: lambda.IFunction, trigger: QueueTrigger): void {
    if (trigger.queue.id !== this.definition.id)
      throw new Error(`${trigger.queue.id} is not ${this.definition.id}`);
    fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: trigger.batchSize,
        maxBatchingWindow: Duration.seconds(trigger.maxBatchingWindowSeconds),
        reportBatchItemFailures: true,
      }),
    );
  }
}
