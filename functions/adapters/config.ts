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
export const scoringStrategy = () => process.env[environmentVariables.scoringStrategy] || 'LeastAllocated';
export const fargatePools = () => parseFargatePools(process.env[environmentVariables.fargatePools]);
export const timerQueueUrl = () => required(environmentVariables.timerQueueUrl);
