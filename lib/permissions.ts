import { Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { FunctionName } from '../functions/wiring';
import type { ContainerRuntime } from './runtime';

export interface PermissionContext {
  readonly table: dynamodb.ITable;
  readonly runtime: ContainerRuntime;
  /** The delay queue behind back-offs and probe periods. */
  readonly timers: sqs.IQueue;
}

type Grant = (fn: lambda.IFunction, context: PermissionContext) => void;

/**
 * What each handler may do beyond reading its trigger (event sources grant stream reads and
 * failure-queue writes themselves). Keyed by every function in the wiring, so a new handler
 * does not compile until someone decides its permissions.
 */
export const grants: Record<FunctionName, Grant> = {
  apiserver: (fn, { table, runtime }) => {
    table.grantReadWriteData(fn);
    // `kubectl logs` reads the pod log group; nothing else.
    runtime.podLogGroup.grant(fn, 'logs:GetLogEvents', 'logs:FilterLogEvents');
  },
  // Reads token grants; nothing else.
  authorizer: (fn, { table }) => {
    table.grantReadData(fn);
  },
  scheduler: (fn, { table }) => {
    table.grantReadWriteData(fn);
  },
  kubelet: (fn, { table, runtime }) => {
    table.grantReadWriteData(fn);
    grantLaunchTasks(fn, runtime);
  },
  podStatus: (fn, context) => grantStatusPath(fn, context),
  // The same status path, woken by timers: ends back-offs and looks at health every probe period.
  podTimers: (fn, context) => grantStatusPath(fn, context),
  reconcile: (fn, context) => grantStatusPath(fn, context),
  nodeSync: (fn, context) => grantNodeSync(fn, context),
  containerInstanceEvents: (fn, context) => grantNodeSync(fn, context),
};

/**
 * The status path folds task state into pods, stops tasks that fail a liveness probe or whose
 * pod is gone, and schedules back-off and probe timers.
 */
function grantStatusPath(fn: lambda.IFunction, { table, runtime, timers }: PermissionContext): void {
  table.grantReadWriteData(fn);
  timers.grantSendMessages(fn);
  // Health status is not reliable in task events; the status path reads it with DescribeTasks.
  allow(fn, ['ecs:DescribeTasks', 'ecs:StopTask'], [runtime.arnInCluster('task')], inCluster(runtime));
  allow(fn, ['ecs:ListTasks'], ['*'], inCluster(runtime));
}

/** Node sync reads the cluster's container instances and writes nodes. */
function grantNodeSync(fn: lambda.IFunction, { table, runtime }: PermissionContext): void {
  table.grantReadWriteData(fn);
  allow(fn, ['ecs:ListContainerInstances'], [runtime.cluster.clusterArn]);
  allow(
    fn,
    ['ecs:DescribeContainerInstances'],
    [runtime.arnInCluster('container-instance')],
    inCluster(runtime),
  );
}

/** Register task definitions and run, watch and stop tasks, all on this stack's cluster only. */
function grantLaunchTasks(fn: lambda.IFunction, runtime: ContainerRuntime): void {
  const stack = Stack.of(runtime);
  // Families are `pp-<content hash>` (taskDefinitionFamily in functions/core/ecs/task-definition.ts);
  // test/cdk pins that the two agree.
  const podTaskDefinitions = stack.formatArn({
    service: 'ecs',
    resource: 'task-definition',
    resourceName: 'pp-*',
  });
  const tasks = runtime.arnInCluster('task');

  allow(fn, ['ecs:RunTask'], [podTaskDefinitions], inCluster(runtime));
  allow(fn, ['ecs:StopTask', 'ecs:DescribeTasks'], [tasks], inCluster(runtime));
  // ListTasks authorizes against container instances and the cluster condition, not task ARNs.
  allow(fn, ['ecs:ListTasks'], ['*'], inCluster(runtime));
  // ECS has no resource-level permissions for these two: `*` is the only resource IAM accepts.
  allow(fn, ['ecs:RegisterTaskDefinition', 'ecs:DescribeTaskDefinition'], ['*']);
  // Tags on RunTask / RegisterTaskDefinition need TagResource; the condition allows tagging only
  // as part of those calls, never retagging existing resources.
  allow(fn, ['ecs:TagResource'], [tasks, podTaskDefinitions], {
    StringEquals: { 'ecs:CreateAction': ['RunTask', 'RegisterTaskDefinition'] },
  });
  // Tasks start with the execution role; the kubelet may hand ECS that role and no other.
  allow(fn, ['iam:PassRole'], [runtime.taskExecutionRole.roleArn], {
    StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
  });
}

function inCluster(runtime: ContainerRuntime): Record<string, unknown> {
  return { ArnEquals: { 'ecs:cluster': runtime.cluster.clusterArn } };
}

function allow(
  fn: lambda.IFunction,
  actions: string[],
  resources: string[],
  conditions?: Record<string, unknown>,
): void {
  fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) }));
}
