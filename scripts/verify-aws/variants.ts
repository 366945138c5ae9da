import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { stackPropsFromContext } from '../../lib/context';
import { PodplaneStack } from '../../lib/stack';
import { vpcId, vpcLookupContext } from '../../test/cdk/vpc-lookup';
import type { CfnTemplate } from './intrinsics';

/** One configuration the README documents, as the `-c podplane:*` context that deploys it. */
export interface TemplateVariant {
  readonly name: string;
  readonly description: string;
  readonly context: Record<string, unknown>;
}

const fargate = { cpu: '8', memory: '16Gi', pods: 10, spot: false };

/**
 * Every documented configuration that changes the stack's resources or permissions. Options that
 * only change a value (log retention, scoring strategy) ride along in variants that exist anyway.
 */
export const templateVariants: readonly TemplateVariant[] = [
  { name: 'default', description: 'no context: a new VPC and cluster, no capacity', context: {} },
  {
    name: 'fargate-pools',
    description: 'Fargate pools (on demand) in the new VPC',
    context: { 'podplane:fargate': fargate, 'podplane:scoringStrategy': 'MostAllocated' },
  },
  {
    name: 'existing-cluster',
    description: 'an existing ECS cluster: no VPC, no capacity, no cluster',
    context: { 'podplane:clusterName': 'shared-ecs' },
  },
  {
    name: 'existing-vpc-and-cluster',
    description: 'an existing VPC (cdk.context.json lookup fixture) and cluster, with Fargate Spot pools',
    context: {
      ...vpcLookupContext,
      'podplane:vpcId': vpcId,
      'podplane:clusterName': 'shared-ecs',
      'podplane:fargate': { ...fargate, spot: true },
    },
  },
  {
    name: 'existing-vpc-ec2',
    description:
      'an existing VPC with private subnets: EC2 capacity, awsvpc pods in an existing security group',
    context: {
      ...vpcLookupContext,
      'podplane:vpcId': vpcId,
      'podplane:ec2Capacity': { instanceType: 't4g.medium', minCapacity: 0, maxCapacity: 2 },
      'podplane:podSecurityGroupId': 'sg-0123456789abcdef0',
    },
  },
  {
    name: 'ec2-trunking',
    description: 'EC2 capacity with awsvpc pods and ENI trunking on',
    context: {
      'podplane:ec2Capacity': {
        instanceType: 'm6g.large',
        minCapacity: 0,
        maxCapacity: 2,
        desiredCapacity: 1,
      },
      'podplane:podNetworking': 'awsvpc',
      'podplane:awsvpcTrunking': true,
      'podplane:logRetentionDays': 7,
    },
  },
  {
    name: 'bridge-networking',
    description: 'EC2 capacity with bridge-mode pods and host ports',
    context: {
      'podplane:ec2Capacity': { instanceType: 't4g.medium', minCapacity: 0, maxCapacity: 2 },
      'podplane:podNetworking': 'bridge',
    },
  },
  {
    name: 'tokens',
    description: 'deploy-time bearer tokens in Secrets Manager, granted by a custom resource',
    context: {
      'podplane:tokens': [
        { subject: 'admin', namespaces: ['*'] },
        { subject: 'alice', namespaces: ['team-a'] },
      ],
    },
  },
  {
    name: 'no-watch-streaming',
    description: 'podplane:watchStreaming=false: every GET on the apiserver, no watch function',
    context: { 'podplane:watchStreaming': false },
  },
  {
    name: 'no-ecs-exec',
    description: 'podplane:ecsExec=false: no exec task role, tasks without execute command',
    context: { 'podplane:ecsExec': false },
  },
  {
    name: 'simulator-endpoints',
    description: 'what `npm run deploy:local` deploys: ECS and pod logs on the simulator, no streaming',
    context: {
      'podplane:ecsEndpoint': 'http://host.docker.internal:4599',
      'podplane:podLogsEndpoint': 'http://host.docker.internal:4599',
      'podplane:watchStreaming': false,
    },
  },
];

/** A variant's synthesized template, and the file it was written to. */
export interface SynthesizedVariant {
  readonly name: string;
  readonly template: CfnTemplate;
  readonly path: string;
}

/**
 * The account and region of a `vpc-provider:` lookup in the context (how cdk.context.json keys
 * record them): a stack looking up an existing VPC must be synthesized in that environment.
 */
function lookupEnvironment(
  context: Record<string, unknown>,
): { account: string; region: string } | undefined {
  for (const key of Object.keys(context)) {
    const match = /^vpc-provider:account=(\d+):.*:region=([a-z0-9-]+)/.exec(key);
    if (match?.[1] && match[2]) return { account: match[1], region: match[2] };
  }
  return undefined;
}

/**
 * Synthesizes the podplane stack as `bin/app.ts` does from the variant's context, without
 * bundling the handlers (the template is what is checked, not the code), and writes the template
 * to `<outdir>/<name>.template.json`. Returns the template and that path.
 */
export function synthesizeVariant(variant: TemplateVariant, outdir: string): SynthesizedVariant {
  const assembly = mkdtempSync(join(tmpdir(), `podplane-variant-${variant.name}-`));
  try {
    const app = new App({
      outdir: assembly,
      context: { 'aws:cdk:bundling-stacks': [], ...variant.context },
    });
    const props = stackPropsFromContext((key) => app.node.tryGetContext(key));
    const env = props.vpcId ? lookupEnvironment(variant.context) : undefined;
    if (props.vpcId && !env)
      throw new Error(`variant ${variant.name}: podplane:vpcId needs a vpc-provider lookup in its context`);
    const stack = new PodplaneStack(app, props.stackName, { ...props, ...(env ? { env } : {}) });
    const template = app.synth().getStackArtifact(stack.artifactId).template as CfnTemplate;
    mkdirSync(outdir, { recursive: true });
    const path = join(outdir, `${variant.name}.template.json`);
    writeFileSync(path, `${JSON.stringify(template, null, 1)}\n`);
    return { name: variant.name, template, path };
  } finally {
    rmSync(assembly, { recursive: true, force: true });
  }
}
