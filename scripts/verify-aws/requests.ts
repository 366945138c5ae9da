import type { CallFacts, RecordedCall } from '../../functions/adapters/call-recorder';

/**
 * What one recorded call asks of IAM once deployed: each action with the resource and the
 * condition values AWS evaluates it with, under the role that makes it. A call can need several
 * (a transaction needs each member's action; RunTask with tags needs ecs:TagResource too; a task
 * definition naming roles needs iam:PassRole for each), and some are made later by another role
 * (the execution role writes the pod's logs and pulls its image).
 */
export interface IamRequest {
  /** Whose role: a wiring function name, or `taskExecutionRole` / `taskRole`. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, string | string[]>>;
  /** Why this request is made: the recorded call it stands for, in words. */
  readonly because: string;
}

/** The deployed names and ARNs a local call is translated to (a resolved template). */
export interface Deployment {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly tableArn: string;
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly podLogGroupName: string;
  readonly timerQueueArn: string;
  /** Each wiring function's environment as the template sets it, references resolved. */
  readonly environments: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** Names of the pod-side roles, for requests the function's call makes ECS make later. */
export const taskExecutionPrincipal = 'taskExecutionRole';
export const taskPrincipal = 'taskRole';

const executionRoleVariable = 'PODPLANE_TASK_EXECUTION_ROLE_ARN';
const taskRoleVariable = 'PODPLANE_TASK_ROLE_ARN';

/** A stand-in id where AWS makes one at run time (a task's, a container instance's). */
const sampleId = '0123456789abcdef0123456789abcdef';

export function iamRequests(call: RecordedCall, deployment: Deployment): IamRequest[] {
  const fn = call.fn ?? '';
  const because = `${call.service}:${call.operation}`;
  const request = (action: string, resource: string, context: Record<string, string | string[]> = {}) => ({
    principal: fn,
    action,
    resource,
    context,
    because,
  });
  switch (call.service) {
    case 'DynamoDB':
      return dynamoRequests(call, deployment).map(({ action, resource, context }) =>
        request(action, resource, context),
      );
    case 'ECS':
      return ecsRequests(call, deployment, request);
    case 'SQS':
      return [request(`sqs:${call.operation}`, deployment.timerQueueArn)];
    case 'CloudWatchLogs':
      return logsRequests(call, deployment).map(({ action, resource }) => request(action, resource));
    default:
      throw new Error(
        `verify-aws has no IAM mapping for ${because}: add one in scripts/verify-aws/requests.ts`,
      );
  }
}

/** Each table or index a call touches, with the action IAM checks: a transaction's per member. */
function dynamoRequests(call: RecordedCall, deployment: Deployment) {
  return (call.facts.items ?? []).map((item) => ({
    action: `dynamodb:${item.action ?? call.operation}`,
    // podplane has one table: every table a test names stands for the stack's objects table.
    resource: item.index ? `${deployment.tableArn}/index/${item.index}` : deployment.tableArn,
    context: (item.partitionKey ? { 'dynamodb:LeadingKeys': [item.partitionKey] } : {}) as Record<
      string,
      string[]
    >,
  }));
}

type Request = (action: string, resource: string, context?: Record<string, string | string[]>) => IamRequest;

function ecsRequests(call: RecordedCall, deployment: Deployment, request: Request): IamRequest[] {
  const { facts } = call;
  const arn = (type: string, name: string) =>
    `arn:${deployment.partition}:ecs:${deployment.region}:${deployment.account}:${type}/${name}`;
  const inCluster = { 'ecs:cluster': deployment.clusterArn };
  const taskArn = (task: string) => arn('task', `${deployment.clusterName}/${lastSegment(task)}`);
  const instanceArn = (instance: string) =>
    arn('container-instance', `${deployment.clusterName}/${lastSegment(instance)}`);
  const action = `ecs:${call.operation}`;
  switch (call.operation) {
    case 'RunTask': {
      const definition = arn('task-definition', familyAndRevision(facts.taskDefinition ?? ''));
      const context = {
        ...inCluster,
        ...tagContext(facts),
        ...(facts.capacityProviders
          ? { 'ecs:capacity-provider': facts.capacityProviders.map((p) => arn('capacity-provider', p)) }
          : {}),
      };
      return [
        request(action, definition, context),
        ...(facts.tagKeys
          ? [
              request('ecs:TagResource', taskArn(sampleId), {
                ...tagContext(facts),
                'ecs:CreateAction': 'RunTask',
              }),
            ]
          : []),
        ...passRoles(facts.passedRoles ?? [], deployment, request),
        // The adapter turns ECS Exec on whenever its environment names a task role.
        ...(facts.enableExecuteCommand || environmentOf(call, deployment)[taskRoleVariable]
          ? execChannels(call)
          : []),
      ];
    }
    case 'StopTask':
    case 'DescribeTasks':
      return (facts.tasks ?? []).map((task) => request(action, taskArn(task), inCluster));
    case 'ListTasks':
      return [request(action, instanceArn(facts.containerInstances?.[0] ?? sampleId), inCluster)];
    case 'ListContainerInstances':
      return [request(action, deployment.clusterArn)];
    case 'DescribeContainerInstances':
      return (facts.containerInstances ?? []).map((instance) =>
        request(action, instanceArn(instance), inCluster),
      );
    case 'DescribeTaskDefinition':
      return [request(action, '*')];
    case 'RegisterTaskDefinition': {
      const definition = arn('task-definition', `${facts.family ?? 'pp-sample'}:1`);
      // On AWS the adapter names the roles its environment gives (functions/adapters/config.ts);
      // the local plane has none, so the template's values stand in for them.
      const environment = environmentOf(call, deployment);
      const roles = [
        ...(facts.passedRoles ?? []),
        ...[environment[executionRoleVariable], environment[taskRoleVariable]].filter(
          (role): role is string => typeof role === 'string' && role !== '',
        ),
      ];
      return [
        request(action, definition, tagContext(facts)),
        ...(facts.tagKeys
          ? [
              request('ecs:TagResource', definition, {
                ...tagContext(facts),
                'ecs:CreateAction': 'RegisterTaskDefinition',
              }),
            ]
          : []),
        ...passRoles(roles, deployment, request),
        ...(environment[executionRoleVariable] ? executionRoleRequests(call, deployment) : []),
      ];
    }
    default:
      throw new Error(
        `verify-aws has no IAM mapping for ECS:${call.operation}: add one in scripts/verify-aws/requests.ts`,
      );
  }
}

const environmentOf = (call: RecordedCall, deployment: Deployment) =>
  deployment.environments[call.fn ?? ''] ?? {};

/** iam:PassRole for each distinct role handed to ECS, as ECS checks it against the caller. */
function passRoles(roles: readonly string[], deployment: Deployment, request: Request): IamRequest[] {
  return [...new Set(roles)].map((role) =>
    request('iam:PassRole', deployedRole(role, deployment), {
      'iam:PassedToService': 'ecs-tasks.amazonaws.com',
    }),
  );
}

/** A role ARN the local plane made up keeps its name, in the deployment's account. */
function deployedRole(role: string, deployment: Deployment): string {
  return `arn:${deployment.partition}:iam::${deployment.account}:role/${role.slice(role.indexOf(':role/') + 6)}`;
}

/**
 * What ECS does with the execution role once a pod's task starts: the awslogs driver creates the
 * container's stream and writes to it, and the agent pulls the image, which for an image in this
 * account's ECR needs the registry's read actions (any pod may name one).
 */
function executionRoleRequests(call: RecordedCall, deployment: Deployment): IamRequest[] {
  const because = `${call.service}:${call.operation} (the task's start, by ECS)`;
  const stream = `arn:${deployment.partition}:logs:${deployment.region}:${deployment.account}:log-group:${deployment.podLogGroupName}:log-stream:pod/app/${sampleId}`;
  const repository = `arn:${deployment.partition}:ecr:${deployment.region}:${deployment.account}:repository/sample`;
  const made = (action: string, resource: string) => ({
    principal: taskExecutionPrincipal,
    action,
    resource,
    context: {},
    because,
  });
  return [
    ...(call.facts.logGroups ?? [deployment.podLogGroupName]).flatMap(() => [
      made('logs:CreateLogStream', stream),
      made('logs:PutLogEvents', stream),
    ]),
    made('ecr:GetAuthorizationToken', '*'),
    made('ecr:BatchCheckLayerAvailability', repository),
    made('ecr:GetDownloadUrlForLayer', repository),
    made('ecr:BatchGetImage', repository),
  ];
}

/** A task started with ECS Exec opens Session Manager channels with its task role. */
function execChannels(call: RecordedCall): IamRequest[] {
  const because = `${call.service}:${call.operation} with enableExecuteCommand (ECS Exec, by the task)`;
  return ['CreateControlChannel', 'CreateDataChannel', 'OpenControlChannel', 'OpenDataChannel'].map((op) => ({
    principal: taskPrincipal,
    action: `ssmmessages:${op}`,
    resource: '*',
    context: {},
    because,
  }));
}

function logsRequests(call: RecordedCall, deployment: Deployment) {
  const group = `arn:${deployment.partition}:logs:${deployment.region}:${deployment.account}:log-group:${deployment.podLogGroupName}`;
  // Log-group actions are evaluated against the group's ARN with `:*`; stream actions
  // against the stream's.
  const resource =
    call.operation === 'FilterLogEvents' ? `${group}:*` : `${group}:log-stream:pod/app/${sampleId}`;
  return [{ action: `logs:${call.operation}`, resource }];
}

function tagContext(facts: CallFacts): Record<string, string[]> {
  return facts.tagKeys ? { 'aws:TagKeys': [...facts.tagKeys] } : {};
}

/** `arn:...:task-definition/pp-abc:3` or `pp-abc:3` or `pp-abc` -> `pp-abc:3` (`:1` when absent). */
function familyAndRevision(taskDefinition: string): string {
  const name = taskDefinition.slice(taskDefinition.lastIndexOf('/') + 1);
  return name.includes(':') ? name : `${name}:1`;
}

const lastSegment = (arnOrId: string) => arnOrId.slice(arnOrId.lastIndexOf('/') + 1);
