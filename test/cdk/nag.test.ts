import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkWithCdkNag } from '../../lib/nag';
import { PodplaneStack, type PodplaneStackProps } from '../../lib/stack';
import { account, region, vpcId, vpcLookupContext } from './vpc-lookup';

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** The AWS Solutions findings cdk-nag leaves on a stack after its accepted ones. */
function findings(props: Partial<PodplaneStackProps>) {
  const outdir = mkdtempSync(join(tmpdir(), 'podplane-cdk-nag-'));
  outdirs.push(outdir);
  // The rules read resources, not handler code: skip bundling.
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...vpcLookupContext } });
  const stack = new PodplaneStack(app, 'Nag', {
    stackName: 'podplane-nag',
    logRetention: logs.RetentionDays.ONE_WEEK,
    ...props,
  });
  checkWithCdkNag(app);
  const template = app.synth().getStackByName(stack.stackName).template as {
    Resources: Record<
      string,
      { Metadata?: { cdk_nag?: { rules_to_suppress: { id: string; reason: string }[] } } }
    >;
  };
  const annotations = Annotations.fromStack(stack);
  const summary = (m: { id: string; entry: { data?: unknown } }) => `${m.id}: ${String(m.entry.data)}`;
  return {
    errors: annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-')).map(summary),
    warnings: annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-')).map(summary),
    accepted: Object.values(template.Resources).flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? []),
  };
}

const fargate = { cpu: '16', memory: '32Gi', pods: 20, spot: true };
describe.each<[string, Partial<PodplaneStackProps>]>([
  ['default stack', {}],
  [
    'stack with every option',
    {
      fargate,
      // A type ECS trunks, so the trunking custom resource is in the stack too.
      ec2Capacity: { instanceType: 'm7g.large', minCapacity: 0, maxCapacity: 4, desiredCapacity: 1 },
      podNetworking: 'awsvpc',
      awsvpcTrunking: true,
      tokens: [
        { subject: 'admin', namespaces: ['*'] },
        { subject: 'alice', namespaces: ['team-a'] },
      ],
      scoringStrategy: 'MostAllocated',
    },
  ],
  [
    'stack with EC2 capacity in an existing VPC (awsvpc pods in its private subnets)',
    {
      env: { account, region },
      vpcId,
      ec2Capacity: { instanceType: 't4g.medium', minCapacity: 0, maxCapacity: 2 },
    },
  ],
  [
    'stack in an existing VPC and cluster, without watch streaming (as on LocalStack)',
    {
      env: { account, region },
      vpcId,
      clusterName: 'shared-ecs',
      fargate,
      ecsEndpoint: 'http://172.17.0.1:4599',
      watchStreaming: false,
    },
  ],
])('cdk-nag AwsSolutions on the %s', (_, props) => {
  let result: ReturnType<typeof findings>;
  beforeAll(() => {
    result = findings(props);
  }, 120_000);

  it('leaves no error and no unaccepted warning', () => {
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  it('gives every accepted finding a concrete reason and keeps IAM wildcards to named parts', () => {
    expect(result.accepted.length).toBeGreaterThan(0);
    for (const rule of result.accepted) {
      expect(rule.reason.length, rule.id).toBeGreaterThan(40);
      if (rule.id === 'AwsSolutions-IAM5' || rule.id === 'AwsSolutions-IAM4')
        expect((rule as { applies_to?: unknown[] }).applies_to?.length, rule.id).toBeGreaterThan(0);
    }
  });
});
