import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  metricsNamespace,
  metricsService,
  type PodMetricName,
  podMetricNames,
} from '../functions/core/metrics';

/**
 * The custom metrics the handlers emit (Powertools Metrics, EMF), derived from the one list in
 * functions/core/metrics.ts so the dashboard and the code that publishes them cannot drift.
 */
const metricNames = Object.keys(podMetricNames) as PodMetricName[];
export const podplaneMetrics = {
  namespace: metricsNamespace,
  dimensions: { service: metricsService },
  /** Counts: summed per period. */
  counts: metricNames.filter((name) => podMetricNames[name] === 'Count'),
  /** Milliseconds: shown as p50 and p99. */
  latenciesMs: metricNames.filter((name) => podMetricNames[name] === 'Milliseconds'),
};

export interface DashboardProps {
  readonly functions: readonly {
    readonly name: string;
    readonly function: lambda.IFunction;
    /**
     * Holds a response open for minutes (the streaming watch): its duration goes on the right
     * axis, where its minutes do not flatten the others' milliseconds.
     */
    readonly longLived?: boolean;
  }[];
  readonly table: dynamodb.ITable;
  readonly api: apigateway.RestApi;
  /** Every failure and dead-letter queue, labelled for the graph. */
  readonly failureQueues: readonly { readonly name: string; readonly queue: sqs.IQueue }[];
  /** The delay queue behind back-offs and probes: how many timers wait, and how late they run. */
  readonly timerQueue: sqs.IQueue;
}

const period = Duration.minutes(1);
const width = 8;

// The operations podplane's adapters call; DynamoDB reports throttles per operation.
const tableOperations = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.PUT_ITEM,
  dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.DELETE_ITEM,
  dynamodb.Operation.QUERY,
  dynamodb.Operation.TRANSACT_WRITE_ITEMS,
];

/** One CloudWatch dashboard with what an operator looks at first: the pod path, then its parts. */
export class PodplaneDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-podplane`,
      defaultInterval: Duration.hours(3),
    });
    const custom = (metricName: PodMetricName, statistic: string, label?: string) =>
      new cloudwatch.Metric({
        namespace: podplaneMetrics.namespace,
        metricName,
        dimensionsMap: { ...podplaneMetrics.dimensions },
        statistic,
        period,
        ...(label ? { label } : {}),
      });
    const perFunction = (title: string, metric: (fn: lambda.IFunction) => cloudwatch.Metric) =>
      new cloudwatch.GraphWidget({
        title,
        width,
        left: props.functions.map(({ name, function: fn }) => metric(fn).with({ label: name, period })),
      });

    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Pods',
        width,
        left: podplaneMetrics.counts.map((name) => custom(name, 'Sum')),
      }),
      ...podplaneMetrics.latenciesMs.map(
        (name) =>
          new cloudwatch.GraphWidget({
            title: `${name} (ms)`,
            width,
            left: [custom(name, 'p50', `${name} p50`), custom(name, 'p99', `${name} p99`)],
          }),
      ),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests',
        width,
        left: [
          props.api.metricCount({ period, label: 'Count' }),
          props.api.metricClientError({ period, label: '4XX' }),
          props.api.metricServerError({ period, label: '5XX' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency (ms)',
        width,
        left: [
          props.api.metricLatency({ period, statistic: 'p50', label: 'Latency p50' }),
          props.api.metricLatency({ period, statistic: 'p99', label: 'Latency p99' }),
          props.api.metricIntegrationLatency({ period, statistic: 'p99', label: 'Integration p99' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Timers: back-offs and probes (messages)',
        width,
        left: [
          props.timerQueue.metricApproximateNumberOfMessagesDelayed({ period, label: 'waiting their delay' }),
          props.timerQueue.metricApproximateNumberOfMessagesVisible({ period, label: 'due' }),
        ],
        right: [props.timerQueue.metricApproximateAgeOfOldestMessage({ period, label: 'oldest due (s)' })],
      }),
      new cloudwatch.GraphWidget({
        title: 'Failure and dead-letter queues (messages)',
        width,
        left: props.failureQueues.map(({ name, queue }) =>
          queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: name }),
        ),
      }),
    );
    this.dashboard.addWidgets(
      perFunction('Invocations', (fn) => fn.metricInvocations({ statistic: 'Sum' })),
      perFunction('Errors', (fn) => fn.metricErrors({ statistic: 'Sum' })),
      perFunction('Throttles', (fn) => fn.metricThrottles({ statistic: 'Sum' })),
    );
    const duration = (longLived: boolean) =>
      props.functions
        .filter((entry) => (entry.longLived ?? false) === longLived)
        .map(({ name, function: fn }) =>
          fn.metricDuration({ statistic: 'p99' }).with({ label: name, period }),
        );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Duration p99 (ms)',
        width,
        left: duration(false),
        right: duration(true),
      }),
      new cloudwatch.GraphWidget({
        title: 'DynamoDB consumed capacity (units)',
        width,
        left: [
          props.table.metricConsumedReadCapacityUnits({ period, statistic: 'Sum', label: 'Read' }),
          props.table.metricConsumedWriteCapacityUnits({ period, statistic: 'Sum', label: 'Write' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'DynamoDB throttled requests',
        width,
        left: [
          props.table.metricThrottledRequestsForOperations({
            operations: tableOperations,
            period,
            label: 'Throttled requests',
          }),
        ],
      }),
    );
  }
}
