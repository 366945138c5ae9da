import { parseFargatePools } from '../core/nodes/fargate-pool';
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
export const fargatePools = () => parseFargatePools(process.env[environmentVariables.fargatePools]);
export const timerQueueUrl = () => required(environmentVariables.timerQueueUrl);
