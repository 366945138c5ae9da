import { App } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { PodplaneStack } from '../lib/stack';

const app = new App();
const stackName = String(app.node.tryGetContext('podplane:stackName') ?? 'podplane');

new PodplaneStack(app, stackName, {
  stackName,
  description: 'podplane: the Kubernetes pod lifecycle on API Gateway, Lambda, DynamoDB and ECS',
  logRetention: logRetentionFromContext(app.node.tryGetContext('podplane:logRetentionDays')),
  scoringStrategy: scoringStrategyFromContext(app.node.tryGetContext('podplane:scoringStrategy')),
  // No `env`: an environment-agnostic stack synthesizes offline (no AZ or account lookups)
  // and deploys to whatever account and region the CLI credentials point at.
});

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
