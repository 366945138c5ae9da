import { Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { namespacePartition } from '../functions/adapters/dynamodb/items';
import { type FunctionName, objectsTable } from '../functions/wiring';
import { acceptFindings, type FindingPart } from './nag';
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
    grantObjects(fn, table);
    // `kubectl logs` reads the pod log group; nothing else.
    runtime.podLogGroup.grant(fn, 'logs:GetLogEvents');
  },
  // Every GET: gets, lists and watches read the table (a watch queries the change index), and
  // `kubectl logs [-f]` reads the pod log group. Its one write: a GET of a Terminating namespace
  // whose pods are all gone removes the namespace item (functions/core/api/namespaces.ts), as
  // Kubernetes' namespace controller would; the condition keeps it to namespace items.
  watch: (fn, { table, runtime }) => {
    allow(fn, watchReadActions, tableAndIndexes(table));
    allow(fn, ['dynamodb:DeleteItem'], [table.tableArn], {
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [namespacePartition] },
    });
    runtime.podLogGroup.grant(fn, 'logs:GetLogEvents');
  },
  // Reads a token's grant by its key; nothing else (no queries, no indexes).
  authorizer: (fn, { table }) => {
    allow(fn, ['dynamodb:GetItem'], [table.tableArn]);
  },
  scheduler: (fn, { table }) => {
    grantObjects(fn, table);
    acceptListStreams(fn);
  },
  kubelet: (fn, { table, runtime, timers }) => {
    grantObjects(fn, table);
    acceptListStreams(fn);
    grantLaunchTasks(fn, runtime);
    // The activeDeadlineSeconds timer starts with the first launch.
    sendTimers(fn, timers);
  },
  // Task events carry what the status path needs; it never describes a task.
  podStatus: (fn, context) => grantStatusPath(fn, context, { describeTasks: false }),
  // The same status path, woken by timers: ends back-offs and looks at health every probe period
  // (health is not reliable in task events, so a probe reads it with DescribeTasks).
  podTimers: (fn, context) => grantStatusPath(fn, context, { describeTasks: true }),
  // Describes the tasks it finds running to fold their state into pods; when a task vanished, it
  // asks whether the task's container instance is still registered (npm run verify:aws found
  // this call ungranted).
  reconcile: (fn, context) => {
    grantStatusPath(fn, context, { describeTasks: true });
    grantContainerInstanceReads(fn, context.runtime);
  },
  nodeSync: (fn, context) => grantNodeSync(fn, context),
  containerInstanceEvents: (fn, context) => grantNodeSync(fn, context),
};

/**
 * The status path folds task state into pods, stops tasks that fail a liveness probe or whose
 * pod is gone, and schedules back-off and probe timers.
 */
function grantStatusPath(
  fn: lambda.IFunction,
  { table, runtime, timers }: PermissionContext,
  { describeTasks }: { describeTasks: boolean },
): void {
  grantObjects(fn, table);
  sendTimers(fn, timers);
  allow(
    fn,
    [...(describeTasks ? ['ecs:DescribeTasks'] : []), 'ecs:StopTask'],
    [runtime.arnInCluster('task')],
    inCluster(runtime),
  );
  acceptClusterTasks(fn);
  allow(fn, ['ecs:ListTasks'], ['*'], inCluster(runtime));
  acceptListTasks(fn);
}

/** What the adapters read with (npm run verify:aws lists a grant no call needs). */
const readActions = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
// Transactions are authorized as the puts, updates and deletes they contain.
const writeActions = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

/** The reads a GET makes: an item, a batch of items, a query (of the table or an index). */
const watchReadActions = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];

/**
 * Item access to the objects table and its indexes, named one by one: the CDK's table grants
 * add `index/*`, which would also open indexes added later without anyone deciding it.
 */
function grantObjects(fn: lambda.IFunction, table: dynamodb.ITable): void {
  allow(fn, [...readActions, ...writeActions], tableAndIndexes(table));
}

/**
 * Timers are SQS messages the function sends; the queue's own grant would add GetQueueAttributes
 * and GetQueueUrl, which no adapter calls (the URL comes from the environment).
 */
function sendTimers(fn: lambda.IFunction, timers: sqs.IQueue): void {
  allow(fn, ['sqs:SendMessage'], [timers.queueArn]);
}

/** The objects table's ARN and each of its indexes' by name. */
function tableAndIndexes(table: dynamodb.ITable): string[] {
  return [table.tableArn, ...objectsTable.indexes.map((index) => `${table.tableArn}/index/${index.name}`)];
}

/** Node sync reads the cluster's container instances and writes nodes. */
function grantNodeSync(fn: lambda.IFunction, { table, runtime }: PermissionContext): void {
  grantObjects(fn, table);
  grantContainerInstanceReads(fn, runtime);
}

/** Lists this cluster's container instances and reads them; nothing outside this cluster. */
function grantContainerInstanceReads(fn: lambda.IFunction, runtime: ContainerRuntime): void {
  allow(fn, ['ecs:ListContainerInstances'], [runtime.cluster.clusterArn]);
  allow(
    fn,
    ['ecs:DescribeContainerInstances'],
    [runtime.arnInCluster('container-instance')],
    inCluster(runtime),
  );
  accept(fn, {
    reason:
      'DescribeContainerInstances on any container instance of this cluster: instances register and go at run time, so their ids cannot be listed in advance.',
    appliesTo: [inClusterPattern('container-instance')],
  });
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
  accept(fn, {
    reason:
      'RunTask and TagResource on task definitions named pp-<content hash>: the kubelet registers one per distinct pod spec, so only the prefix is known in advance.',
    appliesTo: [{ regex: `/^Resource::${ecsArnPrefix}:task-definition\\/pp-\\*$/` }],
  });
  // Stopping a deleted pod's task; the kubelet never describes tasks (the status path does).
  allow(fn, ['ecs:StopTask'], [tasks], inCluster(runtime));
  acceptClusterTasks(fn);
  // ListTasks authorizes against container instances and the cluster condition, not task ARNs.
  allow(fn, ['ecs:ListTasks'], ['*'], inCluster(runtime));
  acceptListTasks(fn);
  // ECS has no resource-level permissions for these two: `*` is the only resource IAM accepts.
  allow(fn, ['ecs:RegisterTaskDefinition', 'ecs:DescribeTaskDefinition'], ['*']);
  accept(fn, {
    reason:
      'RegisterTaskDefinition and DescribeTaskDefinition support no resource-level permissions: `*` is the only resource IAM accepts for them.',
    appliesTo: ['Resource::*'],
  });
  // Tags on RunTask / RegisterTaskDefinition need TagResource; the condition allows tagging only
  // as part of those calls, never retagging existing resources.
  allow(fn, ['ecs:TagResource'], [tasks, podTaskDefinitions], {
    StringEquals: { 'ecs:CreateAction': ['RunTask', 'RegisterTaskDefinition'] },
  });
  // Tasks start with the execution role and, with ECS Exec on, the task role; the kubelet may
  // hand ECS those roles and no other.
  const taskRoles = [runtime.taskExecutionRole, ...(runtime.taskRole ? [runtime.taskRole] : [])];
  allow(
    fn,
    ['iam:PassRole'],
    taskRoles.map((role) => role.roleArn),
    { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
  );
}

/**
 * The delete-time teardown (lib/cluster-teardown.ts): lists this cluster's tasks, stops them and
 * watches them stop; nothing else in ECS, nothing outside this cluster.
 */
export function grantClusterTeardown(fn: lambda.IFunction, runtime: ContainerRuntime): void {
  allow(fn, ['ecs:StopTask', 'ecs:DescribeTasks'], [runtime.arnInCluster('task')], inCluster(runtime));
  acceptClusterTasks(fn);
  allow(fn, ['ecs:ListTasks'], ['*'], inCluster(runtime));
  acceptListTasks(fn);
}

function acceptClusterTasks(fn: lambda.IFunction): void {
  accept(fn, {
    reason:
      "Tasks of this stack's cluster only (ARN pattern and ecs:cluster condition): task ids are made by ECS at RunTask, so they cannot be listed in advance.",
    appliesTo: [inClusterPattern('task')],
  });
}

function acceptListTasks(fn: lambda.IFunction): void {
  accept(fn, {
    reason:
      'ListTasks is authorized against the ecs:cluster condition (set to this cluster), not a task ARN; `*` with that condition is the working form.',
    appliesTo: ['Resource::*'],
  });
}

/** The stream event source adds dynamodb:ListStreams, which has no resource-level permission. */
function acceptListStreams(fn: lambda.IFunction): void {
  accept(fn, {
    reason:
      'dynamodb:ListStreams (added by the stream event source) supports no resource-level permission; the stream reads themselves are on this table stream only.',
    appliesTo: ['Resource::*'],
  });
}

/** An ECS ARN as cdk-nag prints it: references (`<AWS::Region>`) or, with `env`, literals. */
const ecsArnPrefix = 'arn:<AWS::Partition>:ecs:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|[0-9]{12})';

/**
 * `task/<cluster>/*` or `container-instance/<cluster>/*` as cdk-nag prints it: the cluster is a
 * reference to the stack's cluster or, with `podplane:clusterName`, a literal name.
 */
function inClusterPattern(resourceType: 'task' | 'container-instance'): FindingPart {
  return {
    regex: `/^Resource::${ecsArnPrefix}:${resourceType}\\/[^/]+\\/\\*$/`,
  };
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

/** The wildcard findings of the function role's policy this grant makes on purpose. */
function accept(fn: lambda.IFunction, finding: { reason: string; appliesTo: FindingPart[] }): void {
  if (fn.role) acceptFindings(fn.role, [{ id: 'AwsSolutions-IAM5', ...finding }]);
}
