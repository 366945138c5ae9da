import { podNetworkingOf } from '../core/ecs/task-definition';
import { parseFargatePools } from '../core/nodes/fargate-pool';
import { schedulerNamesFrom } from '../core/scheduler/scheduler-names';
import { environmentVariables } from '../wiring';

/** Configuration every adapter reads from its environment; the same names on Lambda and locally. */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

export const tableName = () => required(environmentVariables.table);
export const clusterName = () => required(environmentVariables.cluster);
export const podLogGroup = () => required(environmentVariables.logGroup);
export const region = () => process.env.AWS_REGION ?? 'us-east-1';
export const taskExecutionRoleArn = () => process.env[environmentVariables.taskExecutionRole] || undefined;
/**
 * The role pod tasks run with, allowed only ECS Exec's Session Manager channels: with it, tasks
 * start with execute command enabled, so `aws ecs execute-command` (what kubectl exec is pointed
 * to) reaches their containers. Unset when the stack's podplane:ecsExec is off, and locally.
 */
export const taskRoleArn = () => process.env[environmentVariables.taskRole] || undefined;
export const scoringStrategy = () => process.env[environmentVariables.scoringStrategy] || 'LeastAllocated';
/** `default-scheduler` and the further scheduler names configured for the scheduler to answer to. */
export const schedulerNames = () => schedulerNamesFrom(process.env[environmentVariables.schedulerNames]);
export const fargatePools = () => parseFargatePools(process.env[environmentVariables.fargatePools]);
export const timerQueueUrl = () => required(environmentVariables.timerQueueUrl);
/** How EC2 pods are networked: awsvpc (the default) or bridge. */
export const podNetworking = () => podNetworkingOf(process.env[environmentVariables.podNetworking]);

/** The subnets and security groups awsvpc pods on EC2 get their ENIs in. */
export function podNetwork(): { subnets: string[]; securityGroups: string[] } {
  const text = process.env[environmentVariables.podNetwork];
  if (!text) return { subnets: [], securityGroups: [] };
  const parsed = JSON.parse(text) as { subnets?: unknown; securityGroups?: unknown };
  const strings = (value: unknown) =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  return { subnets: strings(parsed.subnets), securityGroups: strings(parsed.securityGroups) };
}
