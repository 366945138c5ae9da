/**
 * How many pods an EC2 container instance can hold, from EC2's published network limits.
 * STUB: the table and its generator are being written (see scripts/instance-network-limits.ts).
 */

/** What EC2 and ECS publish about one instance type's networking. */
export interface InstanceNetworkLimits {
  /** Network interfaces the instance type can attach, its primary one included. */
  readonly maximumNetworkInterfaces: number;
  /** ECS's awsvpc task limit with ENI trunking on; undefined where the type does not support trunking. */
  readonly trunkingTaskLimit?: number;
}

export function instanceNetworkLimits(_instanceType: string): InstanceNetworkLimits | undefined {
  return undefined;
}

/**
 * The awsvpc tasks ECS places on one instance: one per ENI beyond the primary without trunking,
 * the published per-type limit with it. Undefined for a type the table does not know.
 */
export function awsvpcTaskLimit(instanceType: string, trunking: boolean): number | undefined {
  const limits = instanceNetworkLimits(instanceType);
  if (!limits) return undefined;
  if (trunking && limits.trunkingTaskLimit !== undefined) return limits.trunkingTaskLimit;
  return limits.maximumNetworkInterfaces - 1;
}

/** The container instance attribute ECS sets when the instance has a trunk ENI (awsvpcTrunking on). */
export const awsvpcTrunkAttribute = 'ecs.awsvpc-trunk-id';
