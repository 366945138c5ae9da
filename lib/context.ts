import * as logs from 'aws-cdk-lib/aws-logs';
import type { TokenGrant } from '../functions/core/auth/tokens';
import type { Ec2Capacity } from './capacity';
import type { PodNetworking } from './pod-network';
import type { FargateCapacity } from './runtime';
import type { PodplaneStackProps } from './stack';

/** Reads one context key; `cdk.json` gives JSON values, `-c key=value` gives strings. */
export type ContextReader = (key: string) => unknown;

/** Every `podplane:*` context key, as stack props (README "Deploying to AWS" lists them). */
export function stackPropsFromContext(context: ContextReader): PodplaneStackProps & { stackName: string } {
  const stackName = String(context('podplane:stackName') ?? 'podplane');
  const vpcId = optionalString(context('podplane:vpcId'), 'podplane:vpcId');
  const clusterName = optionalString(context('podplane:clusterName'), 'podplane:clusterName');
  const ecsEndpoint = optionalString(context('podplane:ecsEndpoint'), 'podplane:ecsEndpoint');
  const podLogsEndpoint = optionalString(context('podplane:podLogsEndpoint'), 'podplane:podLogsEndpoint');
  const fargate = fargateFromContext(context('podplane:fargate'));
  const ec2Capacity = ec2CapacityFromContext(context('podplane:ec2Capacity'));
  const tokens = tokensFromContext(context('podplane:tokens'));
  const ecsExec = booleanFromContext(context('podplane:ecsExec'), 'podplane:ecsExec', true);
  const podNetworking = podNetworkingFromContext(context('podplane:podNetworking'));
  const podSecurityGroupId = podSecurityGroupIdFromContext(context('podplane:podSecurityGroupId'));
  const awsvpcTrunking = booleanFromContext(
    context('podplane:awsvpcTrunking'),
    'podplane:awsvpcTrunking',
    false,
  );
  const watchStreaming = booleanFromContext(
    context('podplane:watchStreaming'),
    'podplane:watchStreaming',
    true,
  );
  return {
    stackName,
    description: 'podplane: the Kubernetes pod lifecycle on API Gateway, Lambda, DynamoDB and ECS',
    logRetention: logRetentionFromContext(context('podplane:logRetentionDays')),
    scoringStrategy: scoringStrategyFromContext(context('podplane:scoringStrategy')),
    schedulerNames: schedulerNamesFromContext(context('podplane:schedulerNames')),
    ecsExec,
    awsvpcTrunking,
    watchStreaming,
    ...(podNetworking ? { podNetworking } : {}),
    ...(podSecurityGroupId ? { podSecurityGroupId } : {}),
    ...(fargate ? { fargate } : {}),
    ...(vpcId ? { vpcId } : {}),
    ...(clusterName ? { clusterName } : {}),
    ...(ec2Capacity ? { ec2Capacity } : {}),
    ...(tokens.length ? { tokens } : {}),
    ...(ecsEndpoint ? { ecsEndpoint } : {}),
    ...(podLogsEndpoint ? { podLogsEndpoint } : {}),
  };
}

const json = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);

function optionalString(value: unknown, key: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`${key} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

/** `true`/`false` from cdk.json, `"true"`/`"false"` from `-c`; the default when absent. */
function booleanFromContext(value: unknown, key: string, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`${key} must be true or false, got ${JSON.stringify(value)}`);
}

/** `-c podplane:logRetentionDays=7` arrives as a string; cdk.json gives a number. */
function logRetentionFromContext(value: unknown): logs.RetentionDays {
  const days = Number(value ?? 30);
  const valid = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');
  if (!valid.includes(days)) {
    throw new Error(`podplane:logRetentionDays must be one of ${valid.join(', ')}, got ${String(value)}`);
  }
  return days as logs.RetentionDays;
}

/** `podplane:scoringStrategy`: LeastAllocated (default) spreads pods, MostAllocated packs them. */
function scoringStrategyFromContext(value: unknown): 'LeastAllocated' | 'MostAllocated' {
  if (value === undefined || value === 'LeastAllocated' || value === 'MostAllocated')
    return value ?? 'LeastAllocated';
  throw new Error(
    `podplane:scoringStrategy must be LeastAllocated or MostAllocated, not ${JSON.stringify(value)}`,
  );
}

/** `podplane:schedulerNames`: further scheduler names podplane answers to (a list, or comma-separated). */
function schedulerNamesFromContext(value: unknown): string[] {
  if (value === undefined || value === '') return [];
  const names = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
  if (!names?.every((name) => typeof name === 'string'))
    throw new Error(`podplane:schedulerNames must be a list of names, not ${JSON.stringify(value)}`);
  return names.map((name: string) => name.trim()).filter((name: string) => name !== '');
}

/**
 * `podplane:podNetworking`: `awsvpc` or `bridge`; absent lets the stack choose (awsvpc where pods'
 * subnets have egress, bridge otherwise: see lib/pod-network.ts).
 */
function podNetworkingFromContext(value: unknown): PodNetworking | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'awsvpc' || value === 'bridge') return value;
  throw new Error(`podplane:podNetworking must be awsvpc or bridge, not ${JSON.stringify(value)}`);
}

/** `podplane:podSecurityGroupId`: an existing security group for pods' ENIs instead of the stack's. */
function podSecurityGroupIdFromContext(value: unknown): string | undefined {
  const id = optionalString(value, 'podplane:podSecurityGroupId');
  if (id !== undefined && !/^sg-[0-9a-f]{8,17}$/.test(id))
    throw new Error(
      `podplane:podSecurityGroupId must be a security group id like sg-0123456789abcdef0, got ${JSON.stringify(id)}`,
    );
  return id;
}

/** `podplane:fargate`: `{ "cpu": "64", "memory": "256Gi", "pods": 100, "spot": false }`, or absent for none. */
function fargateFromContext(value: unknown): FargateCapacity | undefined {
  if (value === undefined || value === false || value === 'false') return undefined;
  const given = json(value) as Partial<FargateCapacity>;
  return {
    cpu: given.cpu ?? '64',
    memory: given.memory ?? '256Gi',
    pods: given.pods ?? 100,
    spot: given.spot ?? false,
  };
}

/** `podplane:ec2Capacity`: `{ "instanceType": "t4g.medium", "minCapacity": 0, "maxCapacity": 4, "desiredCapacity": 1 }`. */
function ec2CapacityFromContext(value: unknown): Ec2Capacity | undefined {
  if (value === undefined || value === false || value === 'false') return undefined;
  const given = json(value) as Partial<Ec2Capacity>;
  if (typeof given.instanceType !== 'string' || !/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(given.instanceType))
    throw new Error(`podplane:ec2Capacity.instanceType must be an EC2 instance type like t4g.medium`);
  const minCapacity = given.minCapacity ?? 0;
  return {
    instanceType: given.instanceType,
    minCapacity,
    maxCapacity: given.maxCapacity ?? Math.max(minCapacity, given.desiredCapacity ?? 1),
    ...(given.desiredCapacity === undefined ? {} : { desiredCapacity: given.desiredCapacity }),
  };
}

/** `podplane:tokens`: `[{ "subject": "admin", "namespaces": ["*"] }]`; subjects are unique. */
function tokensFromContext(value: unknown): TokenGrant[] {
  if (value === undefined) return [];
  const given = json(value);
  if (!Array.isArray(given)) throw new Error('podplane:tokens must be a list of {subject, namespaces}');
  const subjects = new Set<string>();
  return given.map((entry: Partial<TokenGrant>) => {
    const { subject, namespaces } = entry;
    if (typeof subject !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$/.test(subject))
      throw new Error(`podplane:tokens: subject ${JSON.stringify(subject)} must be letters, digits, . _ @ -`);
    if (subjects.has(subject)) throw new Error(`podplane:tokens: subject ${subject} appears twice`);
    subjects.add(subject);
    if (
      !Array.isArray(namespaces) ||
      namespaces.length === 0 ||
      !namespaces.every((ns) => typeof ns === 'string')
    )
      throw new Error(`podplane:tokens: ${subject} needs namespaces, e.g. ["*"] for all or ["team-a"]`);
    return { subject, namespaces: [...namespaces] };
  });
}
