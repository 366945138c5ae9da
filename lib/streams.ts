import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StreamTrigger } from '../functions/wiring';
import { failureDestination, failureQueue } from './queues';

export interface StreamConsumerProps {
  readonly function: lambda.IFunction;
  readonly table: dynamodb.ITable;
  readonly trigger: StreamTrigger;
}

/**
 * A controller reading the table's stream: an event source mapping with the wiring's batching,
 * retry and filter settings, and a queue for records it gave up on.
 */
export class StreamConsumer extends Construct {
  readonly failures: sqs.Queue;

  constructor(scope: Construct, id: string, props: StreamConsumerProps) {
    super(scope, id);
    const { trigger } = props;
    this.failures = failureQueue(this, 'Failures');

    props.function.addEventSource(
      new sources.DynamoEventSource(props.table, {
        // LATEST would drop every record written between table creation and the mapping being
        // enabled (pods applied right after deploy). Replaying up to 24 h is harmless because
        // consumers are idempotent and the stage filters skip records already acted on.
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: trigger.batchSize,
        maxBatchingWindow: Duration.seconds(trigger.maxBatchingWindowSeconds),
        retryAttempts: trigger.retryAttempts,
        maxRecordAge: Duration.seconds(trigger.maxRecordAgeSeconds),
        bisectBatchOnError: trigger.bisectBatchOnError,
        parallelizationFactor: trigger.parallelizationFactor,
        // Handlers report failed records, so one bad record does not replay the whole batch.
        reportBatchItemFailures: true,
        filters: trigger.filters.map((pattern) => lambda.FilterCriteria.filter(pattern)),
        onFailure: failureDestination(this.failures),
      }),
    );
  }
}
