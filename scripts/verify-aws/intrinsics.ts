import { createHash } from 'node:crypto';

/**
 * Resolves a synthesized template's intrinsic functions into the strings CloudFormation would
 * produce in one sample account, so IAM policies can be simulated and ARNs compared before any
 * deploy. Names CloudFormation would generate are made deterministic: `<stack>-<LogicalId>-SAMPLE`.
 */

export interface SampleEnvironment {
  readonly account: string;
  readonly region: string;
  readonly stackName: string;
  readonly partition: string;
}

export const sampleEnvironment: SampleEnvironment = {
  account: '111122223333',
  region: 'us-east-1',
  stackName: 'podplane',
  partition: 'aws',
};

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
}

/** A synthesized CloudFormation template, as much of it as resolution reads. */
export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Parameters?: Record<string, { Type?: string; Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  [section: string]: unknown;
}

type Template = CfnTemplate;

/**
 * The environment to resolve a template in: a stack synthesized for a fixed account and region
 * (one that looks up an existing VPC) has them as literals in its ARNs, and values resolved from
 * intrinsics must agree with those. Environment-agnostic templates get the sample account.
 */
export function environmentOf(
  template: Template,
  fallback: SampleEnvironment = sampleEnvironment,
): SampleEnvironment {
  // CDK writes such ARNs as joins: `":execute-api:eu-west-1:123456789012:"` beside a partition Ref.
  const arn = /:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):/.exec(
    JSON.stringify(template.Resources ?? {}),
  );
  if (!arn?.[1] || !arn[2]) return fallback;
  return { ...fallback, region: arn[1], account: arn[2] };
}
type Resource = CfnResource;

/** A value resolution cannot produce; the message names the template path that needs it. */
export class UnresolvableIntrinsic extends Error {}

/** `Ref: AWS::NoValue` removes the property or list item it stands in. */
const noValue = Symbol('AWS::NoValue');

/** The property that names each resource type when the template gives one explicitly. */
const nameProperties: Record<string, string> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::ECS::Cluster': 'ClusterName',
  'AWS::ECS::CapacityProvider': 'Name',
  'AWS::ECS::Service': 'ServiceName',
  'AWS::ECS::TaskDefinition': 'Family',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::User': 'UserName',
  'AWS::IAM::Policy': 'PolicyName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::IAM::InstanceProfile': 'InstanceProfileName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Events::Rule': 'Name',
  'AWS::Events::EventBus': 'Name',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::AutoScaling::AutoScalingGroup': 'AutoScalingGroupName',
  'AWS::EC2::LaunchTemplate': 'LaunchTemplateName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::CloudWatch::Dashboard': 'DashboardName',
  'AWS::SSM::Parameter': 'Name',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::ApiGateway::Stage': 'StageName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::KMS::Alias': 'AliasName',
};

/** EC2-style ids (`sg-…`, `subnet-…`) for types whose Ref is an id, not a name. */
const idPrefixes: Record<string, string> = {
  'AWS::EC2::SecurityGroup': 'sg',
  'AWS::EC2::Subnet': 'subnet',
  'AWS::EC2::VPC': 'vpc',
  'AWS::EC2::RouteTable': 'rtb',
  'AWS::EC2::InternetGateway': 'igw',
  'AWS::EC2::NatGateway': 'nat',
  'AWS::EC2::LaunchTemplate': 'lt',
  'AWS::EC2::NetworkAcl': 'acl',
  'AWS::EC2::VPCEndpoint': 'vpce',
  'AWS::EC2::FlowLog': 'fl',
  'AWS::EC2::Instance': 'i',
  'AWS::EC2::EIP': 'eipalloc',
};

const hex = (seed: string, length: number) =>
  createHash('sha256').update(seed).digest('hex').slice(0, length);

function resourceOf(logicalId: string, template: Template): Resource {
  const resource = template.Resources?.[logicalId];
  if (!resource) throw new UnresolvableIntrinsic(`no resource ${logicalId} in the template`);
  return resource;
}

/**
 * The physical name of a resource: its explicit name property (resolved) when the template gives
 * one, otherwise the deterministic stand-in for the name CloudFormation would generate.
 */
export function physicalName(
  logicalId: string,
  template: Template,
  env: SampleEnvironment = sampleEnvironment,
): string {
  const resource = resourceOf(logicalId, template);
  const property = nameProperties[resource.Type];
  const given = property ? resource.Properties?.[property] : undefined;
  if (given !== undefined) return String(resolveIntrinsics(given, template, env));
  const generated = `${env.stackName}-${logicalId}-SAMPLE`;
  // CloudFormation keeps the `.fifo` suffix a FIFO queue's name must have.
  if (resource.Type === 'AWS::SQS::Queue' && resource.Properties?.FifoQueue === true)
    return `${generated}.fifo`;
  return generated;
}

function sampleId(type: string, logicalId: string): string | undefined {
  const prefix = idPrefixes[type];
  return prefix ? `${prefix}-${hex(logicalId, 17)}` : undefined;
}

/** A stable UUID-shaped id, e.g. for KMS keys. */
const uuid = (seed: string) => {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/** API Gateway's ids are 10 lower-case letters and digits. */
const apiGatewayId = (logicalId: string) => hex(logicalId, 10);

function arnPrefix(service: string, env: SampleEnvironment, global = false): string {
  return `arn:${env.partition}:${service}:${global ? '' : env.region}:${env.account}`;
}

const urlSuffix = (env: SampleEnvironment) =>
  env.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';

function queueUrl(name: string, env: SampleEnvironment) {
  return `https://sqs.${env.region}.${urlSuffix(env)}/${env.account}/${name}`;
}

function iamPath(resource: Resource, template: Template, env: SampleEnvironment): string {
  const path = resource.Properties?.Path;
  return path === undefined ? '/' : String(resolveIntrinsics(path, template, env));
}

/** What `Ref` of a resource returns, per its type's CloudFormation documentation. */
export function refOf(
  logicalId: string,
  template: Template,
  env: SampleEnvironment = sampleEnvironment,
): string {
  const resource = resourceOf(logicalId, template);
  const name = () => physicalName(logicalId, template, env);
  switch (resource.Type) {
    case 'AWS::SQS::Queue':
      return queueUrl(name(), env);
    case 'AWS::SNS::Topic':
      return `${arnPrefix('sns', env)}:${name()}`;
    case 'AWS::SecretsManager::Secret':
      return secretArn(name(), env);
    case 'AWS::KMS::Key':
      return uuid(logicalId);
    case 'AWS::ECS::TaskDefinition':
      return `${arnPrefix('ecs', env)}:task-definition/${name()}:1`;
    case 'AWS::ECS::Service':
      return `${arnPrefix('ecs', env)}:service/${name()}`;
    case 'AWS::IAM::ManagedPolicy':
      return `${arnPrefix('iam', env, true)}:policy${iamPath(resource, template, env)}${name()}`;
    case 'AWS::StepFunctions::StateMachine':
      return `${arnPrefix('states', env)}:stateMachine:${name()}`;
    case 'AWS::ApiGateway::RestApi':
    case 'AWS::ApiGateway::Resource':
    case 'AWS::ApiGateway::Deployment':
    case 'AWS::ApiGateway::Authorizer':
    case 'AWS::ApiGateway::Method':
      return apiGatewayId(logicalId);
    case 'AWS::Events::Rule': {
      const bus = resource.Properties?.EventBusName;
      const busName = bus === undefined ? 'default' : String(resolveIntrinsics(bus, template, env));
      return busName === 'default' ? name() : `${busName}|${name()}`;
    }
    default:
      return sampleId(resource.Type, logicalId) ?? name();
  }
}

// Secrets Manager appends a hyphen and six random characters to a secret's name in its ARN.
const secretArn = (name: string, env: SampleEnvironment) =>
  `${arnPrefix('secretsmanager', env)}:secret:${name}-Sample`;

/** What `Fn::GetAtt` of a resource's attribute returns. */
export function getAtt(
  logicalId: string,
  attribute: string,
  template: Template,
  env: SampleEnvironment = sampleEnvironment,
): unknown {
  const resource = resourceOf(logicalId, template);
  const name = () => physicalName(logicalId, template, env);
  const key = `${resource.Type}.${attribute}`;
  switch (key) {
    case 'AWS::DynamoDB::Table.Arn':
    case 'AWS::DynamoDB::GlobalTable.Arn':
      return `${arnPrefix('dynamodb', env)}:table/${name()}`;
    case 'AWS::DynamoDB::Table.StreamArn':
    case 'AWS::DynamoDB::GlobalTable.StreamArn':
      return `${arnPrefix('dynamodb', env)}:table/${name()}/stream/2026-01-01T00:00:00.000`;
    case 'AWS::IAM::Role.Arn':
      return `${arnPrefix('iam', env, true)}:role${iamPath(resource, template, env)}${name()}`;
    case 'AWS::IAM::Role.RoleId':
      return `AROA${hex(logicalId, 17).toUpperCase()}`;
    case 'AWS::IAM::InstanceProfile.Arn':
      return `${arnPrefix('iam', env, true)}:instance-profile${iamPath(resource, template, env)}${name()}`;
    case 'AWS::IAM::User.Arn':
      return `${arnPrefix('iam', env, true)}:user${iamPath(resource, template, env)}${name()}`;
    case 'AWS::Lambda::Function.Arn':
      return `${arnPrefix('lambda', env)}:function:${name()}`;
    case 'AWS::SQS::Queue.Arn':
      return `${arnPrefix('sqs', env)}:${name()}`;
    case 'AWS::SQS::Queue.QueueName':
      return name();
    case 'AWS::SQS::Queue.QueueUrl':
      return queueUrl(name(), env);
    case 'AWS::SNS::Topic.TopicArn':
      return `${arnPrefix('sns', env)}:${name()}`;
    case 'AWS::SNS::Topic.TopicName':
      return name();
    case 'AWS::ECS::Cluster.Arn':
      return `${arnPrefix('ecs', env)}:cluster/${name()}`;
    case 'AWS::ECS::TaskDefinition.TaskDefinitionArn':
      return refOf(logicalId, template, env);
    case 'AWS::ECS::Service.ServiceArn':
      return refOf(logicalId, template, env);
    case 'AWS::ECS::Service.Name':
      return name();
    case 'AWS::Logs::LogGroup.Arn':
      return `${arnPrefix('logs', env)}:log-group:${name()}:*`;
    case 'AWS::SecretsManager::Secret.Id':
      return secretArn(name(), env);
    case 'AWS::KMS::Key.Arn':
      return `${arnPrefix('kms', env)}:key/${uuid(logicalId)}`;
    case 'AWS::KMS::Key.KeyId':
      return uuid(logicalId);
    case 'AWS::Events::Rule.Arn': {
      const ref = refOf(logicalId, template, env);
      return `${arnPrefix('events', env)}:rule/${ref.replace('|', '/')}`;
    }
    case 'AWS::Events::EventBus.Arn':
      return `${arnPrefix('events', env)}:event-bus/${name()}`;
    case 'AWS::Events::EventBus.Name':
      return name();
    case 'AWS::CloudWatch::Alarm.Arn':
      return `${arnPrefix('cloudwatch', env)}:alarm:${name()}`;
    case 'AWS::EC2::SecurityGroup.GroupId':
      return refOf(logicalId, template, env);
    case 'AWS::EC2::SecurityGroup.VpcId':
      return resolveIntrinsics(resource.Properties?.VpcId, template, env);
    case 'AWS::EC2::Subnet.SubnetId':
    case 'AWS::EC2::VPC.VpcId':
    case 'AWS::EC2::LaunchTemplate.LaunchTemplateId':
      return refOf(logicalId, template, env);
    case 'AWS::EC2::Subnet.AvailabilityZone':
      return resolveIntrinsics(resource.Properties?.AvailabilityZone ?? `${env.region}a`, template, env);
    case 'AWS::EC2::VPC.CidrBlock':
      return resolveIntrinsics(resource.Properties?.CidrBlock, template, env);
    case 'AWS::EC2::VPC.DefaultSecurityGroup':
      return `sg-${hex(`${logicalId}.DefaultSecurityGroup`, 17)}`;
    case 'AWS::EC2::LaunchTemplate.LatestVersionNumber':
    case 'AWS::EC2::LaunchTemplate.DefaultVersionNumber':
      return '1';
    case 'AWS::ApiGateway::RestApi.RootResourceId':
      return apiGatewayId(`${logicalId}.RootResourceId`);
    case 'AWS::ApiGateway::RestApi.RestApiId':
    case 'AWS::ApiGateway::Resource.ResourceId':
    case 'AWS::ApiGateway::Authorizer.AuthorizerId':
    case 'AWS::ApiGateway::Deployment.DeploymentId':
      return apiGatewayId(logicalId);
    case 'AWS::StepFunctions::StateMachine.Arn':
      return refOf(logicalId, template, env);
  }
  // A custom resource's attributes are whatever its provider returns: a recognizable stand-in.
  if (resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource')
    return `${logicalId}.${attribute}-SAMPLE`;
  throw new UnresolvableIntrinsic(`Fn::GetAtt ${logicalId}.${attribute} (${resource.Type}) is not modelled`);
}

function pseudoParameter(name: string, env: SampleEnvironment): unknown {
  switch (name) {
    case 'AWS::AccountId':
      return env.account;
    case 'AWS::Region':
      return env.region;
    case 'AWS::Partition':
      return env.partition;
    case 'AWS::URLSuffix':
      return urlSuffix(env);
    case 'AWS::StackName':
      return env.stackName;
    case 'AWS::StackId':
      return `${arnPrefix('cloudformation', env)}:stack/${env.stackName}/${uuid(env.stackName)}`;
    case 'AWS::NotificationARNs':
      return [];
    case 'AWS::NoValue':
      return noValue;
  }
  return undefined;
}

/** A parameter's value: SSM-backed AMI ids get a sample AMI, others their default. */
function parameterValue(name: string, template: Template): unknown {
  const parameter = template.Parameters?.[name];
  if (!parameter) return undefined;
  const type = parameter.Type ?? 'String';
  if (type.includes('AWS::EC2::Image::Id')) return `ami-${hex(name, 17)}`;
  if (type.startsWith('AWS::SSM::Parameter::Value')) return `${name}-SAMPLE`;
  if (type.startsWith('List<') || type.startsWith('CommaDelimitedList'))
    return String(parameter.Default ?? `${name}-SAMPLE`).split(',');
  return parameter.Default ?? `${name}-SAMPLE`;
}

function ref(name: string, template: Template, env: SampleEnvironment): unknown {
  const pseudo = pseudoParameter(name, env);
  if (pseudo !== undefined) return pseudo;
  if (template.Parameters?.[name]) return parameterValue(name, template);
  return refOf(name, template, env);
}

/** `${Name}`, `${Logical.Attr}` and `${!Literal}` of `Fn::Sub`. */
function substitute(
  text: string,
  variables: Record<string, unknown>,
  template: Template,
  env: SampleEnvironment,
): string {
  return text.replace(/\$\{([^}]*)\}/g, (_, inner: string) => {
    if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
    const name = inner.trim();
    if (name in variables) return String(resolveIntrinsics(variables[name], template, env));
    const dot = name.indexOf('.');
    if (dot > 0 && !name.startsWith('AWS::'))
      return String(getAtt(name.slice(0, dot), name.slice(dot + 1), template, env));
    return String(ref(name, template, env));
  });
}

function condition(name: string, template: Template, env: SampleEnvironment): boolean {
  const definition = template.Conditions?.[name];
  if (definition === undefined) throw new UnresolvableIntrinsic(`no condition ${name} in the template`);
  return Boolean(resolveIntrinsics(definition, template, env));
}

const asList = (value: unknown, fn: string): unknown[] => {
  if (!Array.isArray(value))
    throw new UnresolvableIntrinsic(`${fn} needs a list, got ${JSON.stringify(value)}`);
  return value;
};

/** One intrinsic function, its arguments unresolved. */
function intrinsic(fn: string, args: unknown, template: Template, env: SampleEnvironment): unknown {
  const resolve = (value: unknown) => resolveAny(value, template, env);
  switch (fn) {
    case 'Ref':
      return ref(String(args), template, env);
    case 'Fn::GetAtt': {
      const [logicalId, ...attribute] =
        typeof args === 'string' ? args.split('.') : asList(args, fn).map((a) => String(resolve(a)));
      return getAtt(String(logicalId), attribute.join('.'), template, env);
    }
    case 'Fn::Join': {
      const [delimiter, items] = asList(args, fn);
      return asList(resolve(items), fn)
        .map((item) => String(item))
        .join(String(delimiter));
    }
    case 'Fn::Sub': {
      const [text, variables] = typeof args === 'string' ? [args, {}] : asList(args, fn);
      return substitute(String(text), (variables ?? {}) as Record<string, unknown>, template, env);
    }
    case 'Fn::Select': {
      const [index, list] = asList(args, fn);
      const items = asList(resolve(list), fn);
      const at = Number(resolve(index));
      if (!(at in items)) throw new UnresolvableIntrinsic(`Fn::Select index ${at} of ${items.length} items`);
      return items[at];
    }
    case 'Fn::Split': {
      const [delimiter, text] = asList(args, fn);
      return String(resolve(text)).split(String(delimiter));
    }
    case 'Fn::If': {
      const [name, whenTrue, whenFalse] = asList(args, fn);
      return resolve(condition(String(name), template, env) ? whenTrue : whenFalse);
    }
    case 'Condition':
      return condition(String(args), template, env);
    case 'Fn::Equals': {
      const [a, b] = asList(args, fn).map(resolve);
      return JSON.stringify(a) === JSON.stringify(b);
    }
    case 'Fn::And':
      return asList(args, fn).every((c) => Boolean(resolve(c)));
    case 'Fn::Or':
      return asList(args, fn).some((c) => Boolean(resolve(c)));
    case 'Fn::Not':
      return !resolve(asList(args, fn)[0]);
    case 'Fn::ImportValue':
      // Another stack's export: its name stands in for its value.
      return `imported:${String(resolve(args))}`;
    case 'Fn::GetAZs':
      return ['a', 'b', 'c'].map((zone) => `${env.region}${zone}`);
    case 'Fn::Base64':
      return Buffer.from(String(resolve(args))).toString('base64');
    case 'Fn::FindInMap': {
      const [map, top, second] = asList(args, fn).map(resolve);
      const value = template.Mappings?.[String(map)]?.[String(top)]?.[String(second)];
      if (value === undefined) throw new UnresolvableIntrinsic(`Fn::FindInMap ${map}.${top}.${second}`);
      return value;
    }
    case 'Fn::ToJsonString':
      return JSON.stringify(resolve(args));
    case 'Fn::Length':
      return asList(resolve(args), fn).length;
  }
  return undefined;
}

const isIntrinsic = (key: string) => key === 'Ref' || key === 'Condition' || key.startsWith('Fn::');

/**
 * Resolves every intrinsic function in `value` (deeply) against the template, as CloudFormation
 * would in `env`. `Ref: AWS::NoValue` drops the property or list item holding it.
 */
export function resolveIntrinsics(
  value: unknown,
  template: Template,
  env: SampleEnvironment = sampleEnvironment,
): unknown {
  const resolved = resolveAny(value, template, env);
  return resolved === noValue ? undefined : resolved;
}

function resolveAny(value: unknown, template: Template, env: SampleEnvironment): unknown {
  if (Array.isArray(value))
    return value.map((item) => resolveAny(item, template, env)).filter((item) => item !== noValue);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const [only] = entries;
  if (entries.length === 1 && only && isIntrinsic(only[0])) {
    const [fn, args] = only;
    // `Condition` is also a plain property name (e.g. of IAM statements): only a string is one.
    if (!(fn === 'Condition' && typeof args !== 'string')) {
      const result = intrinsic(fn, args, template, env);
      if (result === undefined) throw new UnresolvableIntrinsic(`${fn} is not modelled`);
      return result === noValue ? noValue : resolveAny(result, template, env);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    const resolved = resolveAny(item, template, env);
    if (resolved !== noValue) out[key] = resolved;
  }
  return out;
}
