import generated from './instance-network-limits.generated.json' with { type: 'json' };

/**
 * How many pods an EC2 container instance can hold, from EC2's and ECS's published network limits.
 * The table (`instance-network-limits.generated.json`) is made by `npm run generate:network-limits`
 * (scripts/instance-network-limits.ts) from EC2's DescribeInstanceTypes as aws/amazon-vpc-cni-k8s
 * publishes it and from the ECS developer guide's ENI trunking table; its `source` says which
 * commits.
 */

/** What EC2 and ECS publish about one instance type's networking. */
export interface InstanceNetworkLimits {
  /** Network interfaces the instance type can attach, its primary one included. */
  readonly maximumNetworkInterfaces: number;
  /** ECS's awsvpc task limit with ENI trunking on; undefined where the type does not support trunking. */
  readonly trunkingTaskLimit?: number;
}

const instanceTypes: Readonly<Record<string, InstanceNetworkLimits>> = generated.instanceTypes;

export function instanceNetworkLimits(instanceType: string): InstanceNetworkLimits | undefined {
  return Object.hasOwn(instanceTypes, instanceType) ? instanceTypes[instanceType] : undefined;
}

/**
 * The awsvpc tasks ECS places on one instance: one per ENI beyond the primary without trunking,
 * the published per-type limit with it. ECS counts that limit in tasks, so it already leaves out
 * both the primary and the trunk ENI (a c5.large has 3 ENIs: 2 tasks; trunked, 12 ENIs: 10 tasks).
 * A type ECS does not trunk keeps its plain limit. Undefined for a type the table does not know.
 */
export function awsvpcTaskLimit(instanceType: string, trunking: boolean): number | undefined {
  const limits = instanceNetworkLimits(instanceType);
  if (!limits) return undefined;
  if (trunking && limits.trunkingTaskLimit !== undefined) return limits.trunkingTaskLimit;
  return limits.maximumNetworkInterfaces - 1;
}

/** The container instance attribute ECS sets when the instance has a trunk ENI (awsvpcTrunking on). */
export const awsvpcTrunkAttribute = 'ecs.awsvpc-trunk-id';
