import { functionDefinitions } from '../../functions/wiring';
import { environmentOf, resolveIntrinsics, type SampleEnvironment } from './intrinsics';
import type { Deployment, IamRequest } from './requests';
import { taskExecutionPrincipal, taskPrincipal } from './requests';

// biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template is untyped JSON.
export type Template = Record<string, any>;

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** A role as the template gives it: its ARN and every statement of its policies, resolved. */
export interface Role {
  readonly logicalId: string;
  readonly arn: string;
  /** Each statement with the policy resource it came from, for naming what to add or remove. */
  readonly statements: readonly { readonly policy: string; readonly statement: PolicyStatement }[];
}

/** A function's name as the wiring spells it: `podStatus`. */
export type Principal = string;

export interface ResolvedStack {
  readonly deployment: Deployment;
  /** Roles by principal: every wiring function, the task execution role and the task role. */
  readonly roles: Readonly<Record<Principal, Role>>;
  /**
   * Functions this variant does not deploy, by the one that serves their requests instead: with
   * podplane:watchStreaming off, the apiserver answers the GETs the watch function would.
   */
  readonly servedBy: Readonly<Record<Principal, Principal>>;
  /** What Lambda itself does with each function's role: read its trigger, write its logs. */
  readonly platformRequests: readonly IamRequest[];
}

const serviceNameOf = (name: string) => `podplane-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * The template as it would be deployed for a sample account, region and stack: each function's
 * role and environment, the names the adapters read, and the platform's own needs.
 */
export function resolveStack(
  template: Template,
  env: SampleEnvironment = environmentOf(template),
): ResolvedStack {
  const resources = template.Resources as Record<string, { Type: string; Properties?: Template }>;
  const resolve = (value: unknown) => resolveIntrinsics(value, template, env);
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  const roles: Record<string, Role> = {};
  const environments: Record<string, Record<string, string>> = {};
  const platformRequests: IamRequest[] = [];
  const functionIds: Record<string, string> = {};
  const servedBy: Record<string, string> = {};
  const httpFunction = Object.entries(functionDefinitions).find(([, d]) => d.trigger.kind === 'http')?.[0];
  for (const [name, definition] of Object.entries(functionDefinitions)) {
    const found = ofType('AWS::Lambda::Function').find(
      ([, r]) => r.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === serviceNameOf(name),
    );
    if (!found && definition.trigger.kind === 'http-stream' && httpFunction) {
      servedBy[name] = httpFunction;
      continue;
    }
    if (!found) throw new Error(`the template has no function for ${name} (${serviceNameOf(name)})`);
    const [functionId, fn] = found;
    functionIds[name] = functionId;
    roles[name] = roleOf(roleIdOf(fn.Properties?.Role), template, resolve);
    environments[name] = Object.fromEntries(
      Object.entries((fn.Properties?.Environment?.Variables ?? {}) as Record<string, unknown>).map(
        ([key, value]) => [key, String(resolve(value))],
      ),
    );
    platformRequests.push(...lambdaRuntimeRequests(name, fn.Properties ?? {}, env, resolve));
  }
  const functionOf = (properties: Template | undefined) =>
    Object.entries(functionIds).find(([, id]) => refersTo(properties?.FunctionName, id))?.[0];
  for (const [, mapping] of ofType('AWS::Lambda::EventSourceMapping')) {
    const target = functionOf(mapping.Properties);
    if (target) platformRequests.push(...eventSourceRequests(target, mapping.Properties ?? {}, resolve));
  }
  // An asynchronous invocation that fails for good goes to its on-failure destination, sent by
  // Lambda with the function's role.
  for (const [, config] of ofType('AWS::Lambda::EventInvokeConfig')) {
    const target = functionOf(config.Properties);
    const destination = config.Properties?.DestinationConfig?.OnFailure?.Destination;
    if (target && destination)
      platformRequests.push(
        platformRequest(target, 'the on-failure destination of asynchronous invocations')(
          'sqs:SendMessage',
          String(resolve(destination)),
        ),
      );
  }

  const anyEnvironment = Object.values(environments)[0] ?? {};
  const executionRoleArn = anyEnvironment.PODPLANE_TASK_EXECUTION_ROLE_ARN;
  const taskRoleArn = anyEnvironment.PODPLANE_TASK_ROLE_ARN;
  const roleByArn = (arn: string | undefined) =>
    arn
      ? ofType('AWS::IAM::Role').find(([id]) => resolve({ 'Fn::GetAtt': [id, 'Arn'] }) === arn)?.[0]
      : undefined;
  const executionRoleId = roleByArn(executionRoleArn);
  if (executionRoleId) roles[taskExecutionPrincipal] = roleOf(executionRoleId, template, resolve);
  const taskRoleId = roleByArn(taskRoleArn);
  if (taskRoleId) roles[taskPrincipal] = roleOf(taskRoleId, template, resolve);

  // The names the adapters read from their environment; ARNs built as AWS builds them, so an
  // existing cluster (podplane:clusterName, not in the template) is named like a created one.
  const arn = (service: string, resource: string) =>
    `arn:${env.partition}:${service}:${env.region}:${env.account}:${resource}`;
  const clusterName = anyEnvironment.PODPLANE_CLUSTER ?? '';
  const tableName = anyEnvironment.PODPLANE_TABLE ?? '';
  const deployment: Deployment = {
    partition: env.partition,
    region: env.region,
    account: env.account,
    tableArn: arn('dynamodb', `table/${tableName}`),
    clusterName,
    clusterArn: arn('ecs', `cluster/${clusterName}`),
    podLogGroupName: anyEnvironment.PODPLANE_LOG_GROUP ?? '',
    timerQueueArn: queueArnOf(anyEnvironment.PODPLANE_TIMER_QUEUE_URL ?? '', template, resolve),
    environments,
  };
  for (const [absent, server] of Object.entries(servedBy)) environments[absent] = environments[server] ?? {};
  return { deployment, roles, servedBy, platformRequests };
}

function roleIdOf(role: unknown): string {
  const getAtt = (role as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
  if (!getAtt) throw new Error(`a function's role is not a role of this template: ${JSON.stringify(role)}`);
  return getAtt[0];
}

const refersTo = (value: unknown, logicalId: string) =>
  JSON.stringify(value ?? null).includes(`"${logicalId}"`);

function roleOf(roleId: string, template: Template, resolve: (value: unknown) => unknown): Role {
  const resources = template.Resources as Record<string, { Type: string; Properties?: Template }>;
  const role = resources[roleId];
  if (!role) throw new Error(`no role ${roleId} in the template`);
  const statements: { policy: string; statement: PolicyStatement }[] = [];
  for (const inline of (role.Properties?.Policies ?? []) as {
    PolicyName: string;
    PolicyDocument: Template;
  }[])
    for (const statement of inline.PolicyDocument.Statement)
      statements.push({
        policy: `${roleId}/${inline.PolicyName}`,
        statement: resolve(statement) as PolicyStatement,
      });
  for (const [policyId, policy] of Object.entries(resources))
    if (
      policy.Type === 'AWS::IAM::Policy' &&
      ((policy.Properties?.Roles ?? []) as unknown[]).some((r) => refersTo(r, roleId))
    )
      for (const statement of policy.Properties?.PolicyDocument.Statement ?? [])
        statements.push({ policy: policyId, statement: resolve(statement) as PolicyStatement });
  if ((role.Properties?.ManagedPolicyArns ?? []).length > 0)
    throw new Error(
      `${roleId} has managed policies, whose statements the check cannot read: grant inline instead`,
    );
  return { logicalId: roleId, arn: String(resolve({ 'Fn::GetAtt': [roleId, 'Arn'] })), statements };
}

/** The timer queue's ARN: the queue whose URL the environment names. */
function queueArnOf(url: string, template: Template, resolve: (value: unknown) => unknown): string {
  const resources = template.Resources as Record<string, { Type: string }>;
  const id = Object.keys(resources).find(
    (key) => resources[key]?.Type === 'AWS::SQS::Queue' && resolve({ Ref: key }) === url,
  );
  if (!id) throw new Error(`no queue in the template has the URL ${url}`);
  return String(resolve({ 'Fn::GetAtt': [id, 'Arn'] }));
}

/** A request Lambda makes with a function's role, without condition values. */
const platformRequest =
  (principal: string, because: string) =>
  (action: string, resource: string): IamRequest => ({ principal, action, resource, context: {}, because });

/** Lambda writes the function's logs (to its own group) and, with active tracing, its traces. */
function lambdaRuntimeRequests(
  name: string,
  properties: Template,
  env: SampleEnvironment,
  resolve: (value: unknown) => unknown,
): IamRequest[] {
  const because = 'the Lambda runtime';
  const made = platformRequest(name, because);
  const requests: IamRequest[] = [];
  const group = properties.LoggingConfig?.LogGroup;
  if (group) {
    const stream = `arn:${env.partition}:logs:${env.region}:${env.account}:log-group:${String(
      resolve(group),
    )}:log-stream:2026/01/01/[$LATEST]sample`;
    requests.push(made('logs:CreateLogStream', stream), made('logs:PutLogEvents', stream));
  }
  if (properties.TracingConfig?.Mode === 'Active')
    requests.push(made('xray:PutTraceSegments', '*'), made('xray:PutTelemetryRecords', '*'));
  return requests;
}

/** What an event source mapping reads with the function's role, and where it sends failures. */
function eventSourceRequests(
  name: string,
  properties: Template,
  resolve: (value: unknown) => unknown,
): IamRequest[] {
  const source = String(resolve(properties.EventSourceArn));
  const because = `the event source mapping from ${source}`;
  const made = platformRequest(name, because);
  const requests: IamRequest[] = [];
  if (source.includes(':dynamodb:'))
    requests.push(
      made('dynamodb:DescribeStream', source),
      made('dynamodb:GetRecords', source),
      made('dynamodb:GetShardIterator', source),
      made('dynamodb:ListStreams', '*'),
    );
  else if (source.includes(':sqs:'))
    requests.push(
      made('sqs:ReceiveMessage', source),
      made('sqs:DeleteMessage', source),
      made('sqs:GetQueueAttributes', source),
    );
  const destination = properties.DestinationConfig?.OnFailure?.Destination;
  if (destination) requests.push(made('sqs:SendMessage', String(resolve(destination))));
  return requests;
}
