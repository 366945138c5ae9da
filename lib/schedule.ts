import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { ScheduleTrigger } from '../functions/wiring';

export interface ScheduledInvocationProps {
  readonly function: lambda.IFunction;
  readonly trigger: ScheduleTrigger;
}

/** Invokes a reconciling handler on a fixed rate. */
export class ScheduledInvocation extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ScheduledInvocationProps) {
    super(scope, id);
    const { everySeconds } = props.trigger;
    // EventBridge rates are whole minutes; fail at synth rather than silently round.
    if (everySeconds < 60 || everySeconds % 60 !== 0) {
      throw new Error(`Schedule every ${everySeconds}s: EventBridge rates must be whole minutes`);
    }
    const period = Duration.seconds(everySeconds);

    this.rule = new events.Rule(this, 'Rule', {
      description: `Every ${everySeconds} seconds`,
      schedule: events.Schedule.rate(period),
    });
    // The next tick is the retry: a late or repeated reconcile only does the same work twice.
    this.rule.addTarget(
      new targets.LambdaFunction(props.function, { retryAttempts: 0, maxEventAge: period }),
    );
    props.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: period });
  }
}
