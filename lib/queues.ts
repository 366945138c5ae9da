import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acceptFindings } from './nag';

/**
 * A queue that keeps what a handler could not process, for an operator to inspect or replay.
 * SQS-managed encryption, because EventBridge cannot deliver to a queue under the AWS-managed
 * KMS key; 14 days is SQS's longest retention.
 */
export function failureQueue(scope: Construct, id: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acceptFindings(queue, [
    {
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter destination (stream on-failure, EventBridge DLQ, Lambda on-failure); nothing consumes it automatically, so it needs no DLQ of its own.',
    },
  ]);
  // One message is one record or event podplane gave up on: worth a look every time.
  queue
    .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' })
    .createAlarm(scope, `${id}Alarm`, {
      alarmDescription: `podplane gave up on a record or event: see ${id} in ${scope.node.path}`,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  return queue;
}

/**
 * A failure queue as the on-failure destination of a stream mapping or of asynchronous
 * invocations. The CDK's own (SqsDlq, SqsDestination) grant the queue's whole send set; Lambda
 * only sends, so this grants sqs:SendMessage alone (npm run verify:aws lists what no call needs).
 */
export function failureDestination(queue: sqs.IQueue): lambda.IEventSourceDlq & lambda.IDestination {
  return {
    bind(_target: unknown, fn: lambda.IFunction) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
      );
      return { destination: queue.queueArn };
    },
  };
}
