import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The AWS calls each function makes, written down while tests run so `npm run verify:aws` can
 * check every one against the role the function would make it with on AWS (scripts/verify-aws/).
 * Off unless PODPLANE_RECORD_AWS_CALLS names a directory: nothing is recorded on Lambda.
 *
 * A record keeps only what IAM reads of a request (which table, index, cluster, task, queue, log
 * group, role passed, tag keys), never an item, a message body or a secret value.
 */
export interface RecordedCall {
  /** The wiring's function name (`kubelet`), or null for a call made outside any invocation. */
  readonly fn: string | null;
  /** The SDK client's name without `Client`: `DynamoDB`, `ECS`, `SQS`, `CloudWatchLogs`. */
  readonly service: string;
  /** The API operation: `PutItem`, `RunTask`. */
  readonly operation: string;
  readonly facts: CallFacts;
}

/** What IAM authorizes a call on, taken from its input. Absent keys: the call has none. */
export interface CallFacts {
  /**
   * DynamoDB: the tables (and index) a call touches; a transaction's members carry the action IAM
   * checks each of them as, the others are checked as the call's own operation.
   */
  readonly items?: readonly {
    readonly table: string;
    readonly index?: string;
    readonly action?: string;
    /**
     * The item's partition key (`pods/default`, `namespaces`): IAM's dynamodb:LeadingKeys, which a
     * grant may be conditioned on. A key names a resource and namespace, never a value.
     */
    readonly partitionKey?: string;
  }[];
  readonly cluster?: string;
  readonly taskDefinition?: string;
  readonly tasks?: readonly string[];
  readonly containerInstances?: readonly string[];
  readonly family?: string;
  /** Roles handed to ECS (execution and task roles, in a definition or an override). */
  readonly passedRoles?: readonly string[];
  readonly tagKeys?: readonly string[];
  /** Capacity providers a RunTask names (IAM's ecs:capacity-provider). */
  readonly capacityProviders?: readonly string[];
  readonly enableExecuteCommand?: boolean;
  /** awslogs groups the task's containers write to (the execution role's job). */
  readonly logGroups?: readonly string[];
  /** Container image registries (host part), for the execution role's pulls. */
  readonly imageRegistries?: readonly string[];
  /** Secrets Manager / SSM references the execution role reads at start. */
  readonly secretReferences?: readonly string[];
  readonly queueUrl?: string;
  readonly logGroup?: string;
  readonly secretId?: string;
  readonly stackName?: string;
}

/** The variable that turns recording on: a directory the records are appended to. */
export const recordCallsVariable = 'PODPLANE_RECORD_AWS_CALLS';

/** Which function an invocation runs, for the local runner to set around each one. */
export const invocationScope = new AsyncLocalStorage<string>();

/** Calls already written by this process: a repeat adds nothing to learn. */
const written = new Set<string>();

interface MiddlewareClient {
  readonly middlewareStack: {
    // biome-ignore lint/suspicious/noExplicitAny: the SDK's middleware types differ per client; this one only reads.
    add(middleware: any, options: { step: 'initialize'; name: string }): void;
  };
}

/**
 * Installs the recorder on a client when recording is on; returns the client either way, so an
 * adapter builds its client as `recorded(new ECSClient({}))`.
 */
export function recorded<T extends MiddlewareClient>(client: T): T {
  const directory = process.env[recordCallsVariable];
  if (!directory) return client;
  client.middlewareStack.add(
    (
      next: (args: { input: unknown }) => Promise<unknown>,
      context: { clientName?: string; commandName?: string },
    ) =>
      async (args: { input: unknown }) => {
        record(directory, {
          fn: currentFunction(),
          service: (context.clientName ?? 'Unknown').replace(/Client$/, ''),
          operation: (context.commandName ?? 'Unknown').replace(/Command$/, ''),
          facts: callFacts(args.input as Record<string, unknown>),
        });
        return next(args);
      },
    { step: 'initialize', name: 'podplaneCallRecorder' },
  );
  return client;
}

/** The function an invocation runs: the local runner's scope, or on a real runtime its name. */
function currentFunction(): string | null {
  const scoped = invocationScope.getStore();
  if (scoped) return scoped;
  const deployed = process.env.AWS_LAMBDA_FUNCTION_NAME;
  return deployed?.startsWith('podplane-') ? wiringName(deployed.slice('podplane-'.length)) : null;
}

/** `pod-status` -> `podStatus`, the wiring's spelling. */
const wiringName = (kebab: string) => kebab.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function record(directory: string, call: RecordedCall): void {
  const line = JSON.stringify(call);
  if (written.has(line)) return;
  written.add(line);
  mkdirSync(directory, { recursive: true });
  appendFileSync(join(directory, `calls-${process.pid}.jsonl`), `${line}\n`);
}

type Input = Record<string, unknown>;
const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
const texts = (values: unknown) =>
  Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string') : [];
const records = (values: unknown) =>
  Array.isArray(values) ? values.filter((v): v is Input => typeof v === 'object' && v !== null) : [];

/** Transaction and batch members as IAM authorizes them: each as the single write or read it is. */
const transactMembers: Record<string, string> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'ConditionCheckItem',
  Get: 'GetItem',
};

/** Only the identifying parts of a request: never item values, bodies or environment values. */
export function callFacts(input: Input): CallFacts {
  const facts: Record<string, unknown> = {};
  const items: { table: string; index?: string; action?: string; partitionKey?: string }[] = [];
  const table = text(input.TableName);
  const index = text(input.IndexName);
  const key = partitionKeyOf(input);
  if (table) items.push({ table, ...(index ? { index } : {}), ...(key ? { partitionKey: key } : {}) });
  for (const member of records(input.TransactItems))
    for (const [kind, action] of Object.entries(transactMembers)) {
      const body = member[kind] as Input | undefined;
      const memberTable = text(body?.TableName);
      const memberKey = body ? partitionKeyOf(body) : undefined;
      if (memberTable)
        items.push({ table: memberTable, action, ...(memberKey ? { partitionKey: memberKey } : {}) });
    }
  if (input.RequestItems && typeof input.RequestItems === 'object')
    for (const batchTable of Object.keys(input.RequestItems)) items.push({ table: batchTable });
  if (items.length > 0) facts.items = items;

  const cluster = text(input.cluster);
  if (cluster) facts.cluster = cluster;
  const taskDefinition = text(input.taskDefinition);
  if (taskDefinition) facts.taskDefinition = taskDefinition;
  const tasks = [...texts(input.tasks), ...(text(input.task) ? [text(input.task) as string] : [])];
  if (tasks.length > 0) facts.tasks = tasks;
  const instances = [
    ...texts(input.containerInstances),
    ...(text(input.containerInstance) ? [text(input.containerInstance) as string] : []),
  ];
  if (instances.length > 0) facts.containerInstances = instances;
  const family = text(input.family);
  if (family) facts.family = family;
  const overrides = (input.overrides ?? {}) as Input;
  const passedRoles = [
    text(input.executionRoleArn),
    text(input.taskRoleArn),
    text(overrides.executionRoleArn),
    text(overrides.taskRoleArn),
  ].filter((role): role is string => role !== undefined);
  if (passedRoles.length > 0) facts.passedRoles = passedRoles;
  const tagKeys = records(input.tags).map((tag) => text(tag.key) ?? text(tag.Key) ?? '');
  if (tagKeys.length > 0) facts.tagKeys = tagKeys;
  if (input.enableExecuteCommand === true) facts.enableExecuteCommand = true;
  const capacityProviders = records(input.capacityProviderStrategy).map(
    (s) => text(s.capacityProvider) ?? '',
  );
  if (capacityProviders.length > 0) facts.capacityProviders = capacityProviders;

  const containers = records(input.containerDefinitions);
  const logGroups = containers
    .map((c) =>
      text(((c.logConfiguration as Input | undefined)?.options as Input | undefined)?.['awslogs-group']),
    )
    .filter((group): group is string => group !== undefined);
  if (logGroups.length > 0) facts.logGroups = [...new Set(logGroups)];
  const registries = containers.map((c) => registryOf(text(c.image) ?? '')).filter((r) => r !== '');
  if (registries.length > 0) facts.imageRegistries = [...new Set(registries)];
  const secretReferences = containers.flatMap((c) => [
    ...records(c.secrets).map((s) => text(s.valueFrom) ?? ''),
    text((c.repositoryCredentials as Input | undefined)?.credentialsParameter) ?? '',
  ]);
  if (secretReferences.some((s) => s !== ''))
    facts.secretReferences = [...new Set(secretReferences.filter((s) => s !== ''))];

  const queueUrl = text(input.QueueUrl);
  if (queueUrl) facts.queueUrl = queueUrl;
  const logGroup = text(input.logGroupName) ?? text(input.logGroupIdentifier);
  if (logGroup) facts.logGroup = logGroup;
  const secretId = text(input.SecretId);
  if (secretId) facts.secretId = secretId;
  const stackName = text(input.StackName);
  if (stackName) facts.stackName = stackName;
  return facts as CallFacts;
}

/** The `pk` of a single-item request's Key or Item, marshalled (`{ S: 'x' }`) or not. */
function partitionKeyOf(input: Input): string | undefined {
  const pk = ((input.Key ?? input.Item) as Input | undefined)?.pk;
  return text(pk) ?? text((pk as Input | undefined)?.S);
}

/** `123.dkr.ecr.us-east-1.amazonaws.com/app:1` -> its registry host; Docker Hub images -> `docker.io`. */
function registryOf(image: string): string {
  if (!image) return '';
  const first = image.split('/')[0] ?? '';
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
    ? first
    : 'docker.io';
}
