import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A queue that keeps what a handler could not process, for an operator to inspect or replay.
 * SQS-managed encryption, because EventBridge cannot deliver to a queue under the AWS-managed
 * KMS key; 14 days is SQS's longest retention.
 */
export function failureQueue(scope: Construct, id: string): sqs.Queue {
  return new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
}
