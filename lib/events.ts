import { Duration } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type EventTrigger, eventRulePatterns } from '../functions/wiring';
import { failureDestination, failureQueue } from './queues';

// A task event older than this is stale: the periodic reconcile (DescribeTasks) has already
// caught the pod up, so retrying it longer only replays history.
const maxEventAge = Duration.hours(1);
const retryAttempts = 8;

export interface ClusterEventRuleProps {
  readonly function: lambda.IFunction;
  readonly trigger: EventTrigger;
  /** Only this cluster's events match: an account may run other ECS clusters, or other podplanes. */
  readonly cluster: ecs.ICluster;
}

/** Routes the cluster's ECS events (the wiring's pattern) to a handler, keeping what fails. */
export class ClusterEventRule extends Construct {
  readonly rules: readonly events.Rule[];
  readonly failures: sqs.Queue;

  constructor(scope: Construct, id: string, props: ClusterEventRuleProps) {
    super(scope, id);
    this.failures = failureQueue(this, 'Failures');
    // One rule per pattern (the wiring's `$or` alternatives), each with the same target; the
    // first keeps the id the single rule had.
    this.rules = eventRulePatterns(props.trigger).map(
      (pattern, i) =>
        new events.Rule(this, i === 0 ? 'Rule' : `Rule${i + 1}`, {
          description: `${pattern['detail-type'].join(', ')} of ${props.cluster.clusterName}`,
          eventPattern: {
            source: [...pattern.source],
            detailType: [...pattern['detail-type']],
            detail: { ...pattern.detail, clusterArn: [props.cluster.clusterArn] },
          },
        }),
    );
    // EventBridge's retries and dead-letter queue cover failing to invoke the function ...
    for (const rule of this.rules)
      rule.addTarget(
        new targets.LambdaFunction(props.function, {
          deadLetterQueue: this.failures,
          retryAttempts,
          maxEventAge,
        }),
      );
    // ... and Lambda's asynchronous invocation settings cover the handler itself failing.
    props.function.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge,
      onFailure: failureDestination(this.failures),
    });
  }
}
