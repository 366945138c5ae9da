import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { TokenGrant } from '../functions/core/auth/tokens';
import {
  type AuthorizerTrigger,
  type FunctionDefinition,
  type FunctionName,
  functionDefinitions,
  type HttpTrigger,
  objectsTable,
  type StreamingHttpTrigger,
  streamFiltersOf,
  timerQueue,
} from '../functions/wiring';
import { Api } from './api';
import type { Ec2Capacity } from './capacity';
import { ClusterTeardown } from './cluster-teardown';
import { PodplaneDashboard } from './dashboard';
import { ClusterEventRule } from './events';
import { type FunctionEnvironment, HandlerFunction } from './functions';
import { grants } from './permissions';
import type { PodNetworking } from './pod-network';
import { ContainerRuntime, type FargateCapacity } from './runtime';
import { ScheduledInvocation } from './schedule';
import { Store } from './store';
import { StreamConsumer } from './streams';
import { TimerQueue } from './timers';
import { DeployTimeTokens } from './tokens';

export interface PodplaneStackProps extends StackProps {
  readonly logRetention: logs.RetentionDays;
  /** NodeResourcesFit scoring: LeastAllocated (default) or MostAllocated (bin-packing, cheaper on EC2). */
  readonly scoringStrategy?: 'LeastAllocated' | 'MostAllocated';
  /** Scheduler names the scheduler answers to besides `default-scheduler` (kube-scheduler's profiles). */
  readonly schedulerNames?: readonly string[];
  /** Fargate capacity as virtual nodes (one per zone); none when absent. */
  readonly fargate?: FargateCapacity;
  /** An existing VPC (looked up at synth: the stack needs `env`); a new one when absent. */
  readonly vpcId?: string;
  /** An existing ECS cluster; a new one when absent. */
  readonly clusterName?: string;
  /** EC2 container instances in an Auto Scaling group; none when absent. */
  readonly ec2Capacity?: Ec2Capacity;
  /**
   * ECS Exec on pod tasks (default true): a task role allowed only its Session Manager channels,
   * and tasks started with execute command enabled, so `aws ecs execute-command` reaches them.
   */
  readonly ecsExec?: boolean;
  /**
   * Where the functions' ECS client sends its calls instead of ECS (`AWS_ENDPOINT_URL_ECS`):
   * the ECS simulator for a LocalStack deploy, where ECS is not in the free plan.
   */
  readonly ecsEndpoint?: string;
  /** Where `kubectl logs` reads pod logs (`AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`): the simulator serves them too. */
  readonly podLogsEndpoint?: string;
  /** Bearer tokens made at deploy time, one per subject, kept in Secrets Manager. */
  readonly tokens?: readonly TokenGrant[];
  /**
   * How EC2 pods are networked: `awsvpc` (an ENI and address per pod) or `bridge`. Absent: awsvpc
   * where the VPC has private subnets for pods, bridge where it has public ones only (lib/pod-network.ts).
   */
  readonly podNetworking?: PodNetworking;
  /** An existing security group for pods' ENIs instead of the one the stack makes. */
  readonly podSecurityGroupId?: string;
  /** ECS ENI trunking for the stack's container instances (more awsvpc pods per instance); default off. */
  readonly awsvpcTrunking?: boolean;
  /**
   * GETs (lists, gets, watches, log follows) to the `watch` function over API Gateway's response
   * streaming (default true). False leaves every method on the apiserver, which answers watches by
   * long polling, and creates no watch function: for LocalStack, whose REST APIs do not stream.
   */
  readonly watchStreaming?: boolean;
}

/** podplane in one stack: every handler and trigger comes from functions/wiring.ts. */
export class PodplaneStack extends Stack {
  constructor(scope: Construct, id: string, props: PodplaneStackProps) {
    super(scope, id, props);
    const { logRetention } = props;

    const store = new Store(this, 'Store', { tables: [objectsTable] });
    const table = store.table(objectsTable);
    const runtime = new ContainerRuntime(this, 'Runtime', {
      logRetention,
      ...(props.fargate ? { fargate: props.fargate } : {}),
      ...(props.vpcId ? { vpcId: props.vpcId } : {}),
      ...(props.clusterName ? { clusterName: props.clusterName } : {}),
      ...(props.ec2Capacity ? { ec2Capacity: props.ec2Capacity } : {}),
      ecsExec: props.ecsExec ?? true,
      ...(props.podNetworking ? { podNetworking: props.podNetworking } : {}),
      ...(props.podSecurityGroupId ? { podSecurityGroupId: props.podSecurityGroupId } : {}),
      awsvpcTrunking: props.awsvpcTrunking ?? false,
    });
    // Pods' tasks are started outside CloudFormation: on `cdk destroy` this stops them before the
    // cluster and what their ENIs sit in are deleted. Not for a cluster the stack does not own.
    const teardown = runtime.ownCluster
      ? new ClusterTeardown(this, 'ClusterTeardown', {
          runtime,
          logRetention,
          ...(props.ecsEndpoint ? { ecsEndpoint: props.ecsEndpoint } : {}),
        })
      : undefined;
    const timers = new TimerQueue(this, 'Timers', {
      definition: timerQueue,
      maxReceiveCount: functionDefinitions.podTimers.trigger.maxReceiveCount,
    });
    // The AWS SDK reads a service's endpoint from AWS_ENDPOINT_URL_<SERVICE>, so the adapters
    // need no code for it.
    const endpoints = {
      ...(props.ecsEndpoint ? { AWS_ENDPOINT_URL_ECS: props.ecsEndpoint } : {}),
      ...(props.podLogsEndpoint ? { AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: props.podLogsEndpoint } : {}),
    };
    const extraEnvironment = Object.keys(endpoints).length ? endpoints : undefined;
    const environment: FunctionEnvironment = {
      table: table.tableName,
      cluster: runtime.cluster.clusterName,
      logGroup: runtime.podLogGroup.logGroupName,
      taskExecutionRole: runtime.taskExecutionRole.roleArn,
      taskRole: runtime.taskRole?.roleArn ?? '',
      scoringStrategy: props.scoringStrategy ?? 'LeastAllocated',
      schedulerNames: (props.schedulerNames ?? []).join(','),
      fargatePools: this.toJsonString(runtime.fargatePools),
      timerQueueUrl: timers.queue.queueUrl,
      podNetworking: runtime.podNetwork.networking,
      podNetwork: this.toJsonString(runtime.podNetwork.configuration),
    };

    const functions: { name: string; function: lambda.IFunction; longLived: boolean }[] = [];
    const failureQueues: { name: string; queue: sqs.IQueue }[] = [
      { name: 'podTimers', queue: timers.deadLetters },
    ];
    let http: { fn: lambda.IFunction; trigger: HttpTrigger } | undefined;
    let authorizer: { fn: lambda.IFunction; trigger: AuthorizerTrigger } | undefined;
    let streaming:
      | { fn: lambda.IFunction; trigger: StreamingHttpTrigger; timeoutSeconds: number }
      | undefined;
    const watchStreaming = props.watchStreaming ?? true;
    const handlers = Object.entries(functionDefinitions) as [FunctionName, FunctionDefinition][];
    for (const [name, definition] of handlers) {
      // Without streaming the apiserver serves those methods too: no function, no permissions.
      if (definition.trigger.kind === 'http-stream' && !watchStreaming) continue;
      const id = pascalCase(name);
      const fn = new HandlerFunction(this, id, {
        name,
        definition,
        environment,
        logRetention,
        ...(extraEnvironment ? { extraEnvironment } : {}),
      }).function;
      grants[name](fn, { table, runtime, timers: timers.queue });
      // Deleted (with its triggers) before the teardown stops tasks, so nothing restarts them.
      if (teardown) fn.node.addDependency(teardown.resource);
      functions.push({ name, function: fn, longLived: definition.trigger.kind === 'http-stream' });

      const { trigger } = definition;
      switch (trigger.kind) {
        case 'http':
          if (http) throw new Error(`Only one function can serve HTTP; ${name} is the second`);
          http = { fn, trigger };
          break;
        case 'authorizer':
          authorizer = { fn, trigger };
          break;
        case 'http-stream':
          if (streaming) throw new Error(`Only one function can stream HTTP; ${name} is the second`);
          streaming = { fn, trigger, timeoutSeconds: definition.timeoutSeconds };
          break;
        case 'dynamodb-stream':
          failureQueues.push({
            name,
            queue: new StreamConsumer(this, `${id}Stream`, {
              function: fn,
              table: store.table(trigger.table),
              trigger: { ...trigger, filters: streamFiltersOf(name, trigger, props.schedulerNames ?? []) },
            }).failures,
          });
          break;
        case 'eventbridge':
          failureQueues.push({
            name,
            queue: new ClusterEventRule(this, `${id}Events`, {
              function: fn,
              trigger,
              cluster: runtime.cluster,
            }).failures,
          });
          break;
        case 'schedule':
          new ScheduledInvocation(this, `${id}Schedule`, { function: fn, trigger });
          break;
        case 'sqs':
          timers.consumeWith(fn, trigger);
          break;
        default:
          throw new Error(`Unknown trigger ${JSON.stringify(trigger satisfies never)}`);
      }
    }
    if (!http || !authorizer)
      throw new Error('The wiring needs an HTTP function and an authorizer for the API');
    const api = new Api(this, 'Api', {
      handler: http.fn,
      binaryMediaTypes: http.trigger.binaryMediaTypes,
      publicPaths: http.trigger.publicPaths,
      authorizer: authorizer.fn,
      authorizerCacheSeconds: authorizer.trigger.cacheSeconds,
      logRetention,
      ...(streaming
        ? {
            streaming: {
              handler: streaming.fn,
              methods: streaming.trigger.methods,
              timeoutSeconds: streaming.timeoutSeconds,
            },
          }
        : {}),
    });

    new PodplaneDashboard(this, 'Dashboard', {
      functions,
      table,
      api: api.restApi,
      failureQueues,
      timerQueue: timers.queue,
    });

    new CfnOutput(this, 'ApiUrl', { value: api.url, description: 'Kubernetes API server URL' });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'ClusterName', { value: runtime.cluster.clusterName });
    if (props.tokens?.length) {
      const tokens = new DeployTimeTokens(this, 'Tokens', { tokens: props.tokens, table, logRetention });
      // Secret ARNs and grants, not tokens: `npm run kubeconfig -- --subject NAME` reads the secret.
      new CfnOutput(this, 'TokenSecrets', {
        value: this.toJsonString(tokens.secrets),
        description: 'Secrets Manager secret of each deploy-time token, by subject',
      });
    }
  }
}

const pascalCase = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);
