import { App } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { checkWithCdkNag } from '../lib/nag';
import type { FargateCapacity } from '../lib/runtime';
import { PodplaneStack } from '../lib/stack';

const app = new App();
const stackName = String(app.node.tryGetContext('podplane:stackName') ?? 'podplane');

new PodplaneStack(app, stackName, {
  stackName,
  description: 'podplane: the Kubernetes pod lifecycle on API Gateway, Lambda, DynamoDB and ECS',
  logRetention: logRetentionFromContext(app.node.tryGetContext('podplane:logRetentionDays')),
  scoringStrategy: scoringStrategyFromContext(app.node.tryGetContext('podplane:scoringStrategy')),
  ...fargateFromContext(app.node.tryGetContext('podplane:fargate')),
  // No `env`: an environment-agnostic stack synthesizes offline (no AZ or account lookups)
  // and deploys to whatever account and region the CLI credentials point at.
});

// cdk-nag's AWS Solutions rules on every synth: an unaccepted finding fails `cdk synth`/`deploy`.
checkWithCdkNag(app);

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

/** `podplane:fargate`: `{ "cpu": "64", "memory": "256Gi", "pods": 100, "spot": false }`, or absent for none. */
function fargateFromContext(value: unknown): { fargate?: FargateCapacity } {
  if (value === undefined || value === false) return {};
  const given = (typeof value === 'string' ? JSON.parse(value) : value) as Partial<FargateCapacity>;
  return {
    fargate: {
      cpu: given.cpu ?? '64',
      memory: given.memory ?? '256Gi',
      pods: given.pods ?? 100,
      spot: given.spot ?? false,
    },
  };
}
