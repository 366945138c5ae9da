import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, describe, expect, it } from 'vitest';
import { stackPropsFromContext } from '../../lib/context';
import { PodplaneStack, type PodplaneStackProps } from '../../lib/stack';
import { account, region, vpcId, vpcLookupContext } from './vpc-lookup';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };
type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Principal?: unknown };

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** Synthesizes a stack without bundling the handlers: these tests look at resources, not code. */
function synth(props: Partial<PodplaneStackProps>, env?: { account: string; region: string }) {
  const outdir = mkdtempSync(join(tmpdir(), 'podplane-cdk-options-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...vpcLookupContext } });
  const stack = new PodplaneStack(app, 'Options', {
    stackName: 'podplane-options',
    logRetention: logs.RetentionDays.ONE_WEEK,
    ...(env ? { env } : {}),
    ...props,
  });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const outputs = (template.toJSON().Outputs ?? {}) as Record<string, { Value: unknown }>;
  /** The environment variables of one of the wiring's functions, e.g. `kubelet`. */
  const variablesOf = (service: string) =>
    ofType('AWS::Lambda::Function')
      .map(([, f]) => (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables)
      .find((v) => v.POWERTOOLS_SERVICE_NAME === `podplane-${service}`);
  /** Policy statements on a role, by the role's logical id. */
  const statementsOf = (roleId: string) =>
    ofType('AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
      .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  const warnings = () =>
    Annotations.fromStack(stack)
      .findWarning('*', Match.anyValue())
      .map((m) => String(m.entry.data));
  return { template, resources, ofType, outputs, variablesOf, statementsOf, warnings };
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

const defaults = synth({});

describe('podplane:vpcId', () => {
  const existing = synth(
    { vpcId, fargate: { cpu: '8', memory: '16Gi', pods: 10, spot: false } },
    { account, region },
  );

  it('creates a VPC (public subnets, no NAT) only when none is named', () => {
    defaults.template.resourceCountIs('AWS::EC2::VPC', 1);
    defaults.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    existing.template.resourceCountIs('AWS::EC2::VPC', 0);
    existing.template.resourceCountIs('AWS::EC2::Subnet', 0);
  });

  it("puts Fargate pools in the named VPC's subnets", () => {
    existing.template.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: vpcId });
    const pools = JSON.stringify(existing.resources);
    expect(pools).toContain('subnet-public-a');
    expect(pools).toContain('subnet-public-b');
  });

  it('needs an account and region to look the VPC up', () => {
    expect(() => synth({ vpcId })).toThrow(/account\/region|environment/i);
  });
});

describe('podplane:clusterName', () => {
  const existing = synth({ clusterName: 'shared-ecs' });

  it('creates a cluster only when none is named, and then no VPC unless Fargate pools need one', () => {
    defaults.template.resourceCountIs('AWS::ECS::Cluster', 1);
    existing.template.resourceCountIs('AWS::ECS::Cluster', 0);
    existing.template.resourceCountIs('AWS::EC2::VPC', 0);
    synth({
      clusterName: 'shared-ecs',
      fargate: { cpu: '8', memory: '16Gi', pods: 10, spot: false },
    }).template.resourceCountIs('AWS::EC2::VPC', 1);
  });

  it('points the functions, the task event rule and the ECS permissions at the named cluster', () => {
    existing.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PODPLANE_CLUSTER: 'shared-ecs' }) },
    });
    const [[, taskEvents] = []] = existing
      .ofType('AWS::Events::Rule')
      .filter(([, r]) => JSON.stringify(r.Properties.EventPattern ?? {}).includes('ECS Task State Change'));
    const pattern = taskEvents?.Properties.EventPattern as { detail: { clusterArn: unknown } };
    expect(JSON.stringify(pattern.detail.clusterArn)).toMatch(/:cluster\/shared-ecs"\]/);
    const runTask = existing
      .ofType('AWS::IAM::Policy')
      .flatMap(
        ([, p]) =>
          (p.Properties.PolicyDocument as { Statement: { Action: unknown; Condition?: unknown }[] })
            .Statement,
      )
      .find((s) => JSON.stringify(s.Action).includes('ecs:RunTask'));
    if (!runTask) throw new Error('no RunTask statement');
    const condition = (runTask.Condition as { ArnEquals: { 'ecs:cluster': unknown } }).ArnEquals[
      'ecs:cluster'
    ];
    expect(condition).toEqual((pattern.detail.clusterArn as unknown[])[0]);
  });

  it('refuses EC2 capacity on a cluster it does not own', () => {
    expect(() =>
      synth({
        clusterName: 'shared-ecs',
        ec2Capacity: { instanceType: 't4g.medium', minCapacity: 0, maxCapacity: 2 },
      }),
    ).toThrow(/podplane:ec2Capacity/);
  });
});

describe('podplane:ec2Capacity', () => {
  const arm = synth({
    ec2Capacity: { instanceType: 't4g.medium', minCapacity: 0, maxCapacity: 4, desiredCapacity: 1 },
  });
  const x86 = synth({ ec2Capacity: { instanceType: 'm7i.large', minCapacity: 1, maxCapacity: 3 } });
  /** The launch template's user data script, the cluster's name in it as `podplane-cluster`. */
  const userData = (stack: typeof arm) => {
    const [[, template] = []] = stack.ofType('AWS::EC2::LaunchTemplate');
    const data = template?.Properties.LaunchTemplateData as { UserData: { 'Fn::Base64': unknown } };
    const {
      'Fn::Join': [, parts],
    } = data.UserData['Fn::Base64'] as { 'Fn::Join': [string, unknown[]] };
    return parts.map((part) => (typeof part === 'string' ? part : 'podplane-cluster')).join('');
  };
  const amiParameter = (stack: typeof arm) =>
    Object.values(stack.template.toJSON().Parameters as Record<string, { Default?: string }>)
      .map((p) => p.Default ?? '')
      .find((d) => d.includes('ecs/optimized-ami'));

  it('adds no instances without it', () => {
    defaults.template.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 0);
    defaults.template.resourceCountIs('AWS::ECS::CapacityProvider', 0);
  });

  it('sizes an Auto Scaling group as configured', () => {
    arm.template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '0',
      MaxSize: '4',
      DesiredCapacity: '1',
      NewInstancesProtectedFromScaleIn: false,
    });
    x86.template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '1',
      MaxSize: '3',
      DesiredCapacity: Match.absent(),
    });
  });

  it("boots the ECS-optimized AMI of the instance type's architecture", () => {
    expect(amiParameter(arm)).toBe(
      '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id',
    );
    expect(amiParameter(x86)).toBe('/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id');
    arm.template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 't4g.medium',
        MetadataOptions: { HttpTokens: 'required' },
        BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true }) })],
      }),
    });
  });

  it('joins the cluster through a capacity provider with managed draining, no managed scaling', () => {
    arm.template.hasResourceProperties('AWS::ECS::CapacityProvider', {
      AutoScalingGroupProvider: Match.objectLike({
        ManagedScaling: Match.absent(),
        ManagedTerminationProtection: 'DISABLED',
        ManagedDraining: 'ENABLED',
      }),
    });
    const [[, associations] = []] = arm.ofType('AWS::ECS::ClusterCapacityProviderAssociations');
    expect(JSON.stringify(associations?.Properties.CapacityProviders)).toContain('Ref');
    arm.template.resourceCountIs('AWS::Lambda::Function', defaults.ofType('AWS::Lambda::Function').length);
  });

  it('registers each instance with its private IPv4 address, read from IMDSv2 before the agent starts', () => {
    const script = userData(arm);
    expect(script).toMatch(/^#!\/bin\/bash\n/);
    expect(script).toContain('echo ECS_CLUSTER=podplane-cluster >> /etc/ecs/ecs.config');
    expect(script).toContain(
      `printf 'ECS_INSTANCE_ATTRIBUTES={"podplane.private-ipv4-address":"%s"}\\n' "$private_ipv4" >> /etc/ecs/ecs.config`,
    );
    // An IMDSv2 session token first (the launch template requires tokens), then local-ipv4.
    const token = script.indexOf('-X PUT');
    expect(token).toBeGreaterThan(0);
    expect(script.indexOf('http://169.254.169.254/latest/api/token')).toBeGreaterThan(token);
    expect(script.indexOf('/latest/meta-data/local-ipv4')).toBeGreaterThan(token);
    // User data runs in cloud-final and ecs.service starts after it, reading ecs.config then;
    // starting or restarting the agent from user data would wait on cloud-final, which waits on it.
    expect(script).not.toMatch(/systemctl|service ecs/);
  });

  it('writes the attribute line from the address IMDS gives, and none when IMDS gives none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podplane-user-data-'));
    outdirs.push(dir);
    // A curl that plays IMDSv2: a token for the PUT, an address only to a request that carries it.
    writeFileSync(
      join(dir, 'curl'),
      `#!/bin/sh
case "$*" in
  *"-X PUT"*api/token*) echo imds-token ;;
  *"X-aws-ec2-metadata-token: imds-token"*meta-data/local-ipv4*) [ -n "$ADDRESS" ] && echo "$ADDRESS" || exit 22 ;;
  *) exit 22 ;;
esac
`,
    );
    chmodSync(join(dir, 'curl'), 0o755);
    const run = (address: string) => {
      const config = join(dir, `ecs-${address || 'none'}.config`);
      writeFileSync(config, '');
      execFileSync('bash', ['-c', userData(arm).replaceAll('/etc/ecs/ecs.config', config)], {
        env: { PATH: `${dir}:${process.env.PATH}`, ADDRESS: address },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return readFileSync(config, 'utf8');
    };
    expect(run('10.0.1.23')).toBe(
      'ECS_INSTANCE_ATTRIBUTES={"podplane.private-ipv4-address":"10.0.1.23"}\nECS_CLUSTER=podplane-cluster\n',
    );
    expect(run('')).toBe('ECS_CLUSTER=podplane-cluster\n');
  });

  it('refuses sizes out of order', () => {
    expect(() =>
      synth({ ec2Capacity: { instanceType: 't4g.medium', minCapacity: 3, maxCapacity: 2 } }),
    ).toThrow(/minCapacity/);
  });
});

describe('podplane:tokens', () => {
  const tokens = synth({
    tokens: [
      { subject: 'admin', namespaces: ['*'] },
      { subject: 'team-a', namespaces: ['team-a', 'team-b'] },
    ],
  });
  const grants = () => tokens.ofType('Custom::PodplaneTokenGrant').map(([, r]) => r.Properties);

  it('makes no secrets, grants or output without it', () => {
    defaults.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(defaults.ofType('Custom::PodplaneTokenGrant')).toHaveLength(0);
    expect(Object.keys(defaults.outputs)).not.toContain('TokenSecrets');
  });

  it('generates each token in Secrets Manager, never in the template', () => {
    tokens.template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    tokens.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false },
    });
    for (const [, secret] of tokens.ofType('AWS::SecretsManager::Secret'))
      expect(secret.Properties.SecretString).toBeUndefined();
  });

  it("writes each subject's grant from its secret through the custom resource", () => {
    expect(grants()).toEqual([
      expect.objectContaining({
        Subject: 'admin',
        Namespaces: ['*'],
        SecretArn: { Ref: expect.any(String) },
      }),
      expect.objectContaining({ Subject: 'team-a', Namespaces: ['team-a', 'team-b'] }),
    ]);
  });

  it('lets the grant writer read only those secrets and only put and delete table items', () => {
    const [writer] = tokens
      .ofType('AWS::Lambda::Function')
      .filter(([, f]) => String(f.Properties.Description).includes('deploy-time tokens'));
    if (!writer) throw new Error('no grant writer function');
    const role = (writer[1].Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    const statements = tokens
      .ofType('AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(role))
      .flatMap(
        ([, p]) =>
          (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement,
      );
    const table = tokens.ofType('AWS::DynamoDB::Table')[0]?.[0];
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
        Resource: { 'Fn::GetAtt': [table, 'Arn'] },
      }),
    );
    const secretReads = statements.filter((s) =>
      JSON.stringify(s.Action).includes('secretsmanager:GetSecretValue'),
    );
    expect(secretReads).toHaveLength(2);
    for (const s of secretReads) expect(s.Resource).toEqual({ Ref: expect.stringMatching(/Token/) });
  });

  it('fails a deploy in minutes, not an hour, when the grant writer does not answer', () => {
    expect(tokens.ofType('Custom::PodplaneTokenGrant').map(([, r]) => r.Properties.ServiceTimeout)).toEqual([
      '300',
      '300',
    ]);
  });

  it('outputs where each token is kept, for npm run kubeconfig --subject', () => {
    const value = JSON.stringify(tokens.outputs.TokenSecrets?.Value);
    expect(value).toContain('admin');
    expect(value).toContain('team-a');
    expect(value).toContain('secretArn');
  });
});

describe('podplane:ecsEndpoint', () => {
  const local = synth({
    ecsEndpoint: 'http://172.17.0.1:4599',
    podLogsEndpoint: 'http://172.17.0.1:4599',
    clusterName: 'podplane-local',
  });

  it("sends every function's ECS calls (and, with podplane:podLogsEndpoint, pod log reads) there", () => {
    const functions = local.ofType('AWS::Lambda::Function');
    for (const [, fn] of functions.filter(([, f]) =>
      String(f.Properties.Description).startsWith('podplane '),
    ))
      expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        AWS_ENDPOINT_URL_ECS: 'http://172.17.0.1:4599',
        AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: 'http://172.17.0.1:4599',
      });
  });

  it('leaves the ECS endpoint alone without it', () => {
    for (const [, fn] of defaults.ofType('AWS::Lambda::Function'))
      expect(JSON.stringify(fn.Properties.Environment)).not.toContain('AWS_ENDPOINT_URL');
  });
});

describe('podplane:ecsExec', () => {
  const off = synth({ ecsExec: false });
  const taskRoles = (stack: typeof off) =>
    stack.ofType('AWS::IAM::Role').filter(([id]) => /TaskRole/.test(id) && !/Execution/.test(id));
  const passRole = (stack: typeof off) =>
    stack
      .ofType('AWS::IAM::Policy')
      .flatMap(
        ([, p]) =>
          (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement,
      )
      .filter((s) => JSON.stringify(s.Action).includes('iam:PassRole'));
  const kubeletTaskRole = (stack: typeof off) =>
    stack
      .ofType('AWS::Lambda::Function')
      .map(([, f]) => (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables)
      .find((v) => v.POWERTOOLS_SERVICE_NAME === 'podplane-kubelet')?.PODPLANE_TASK_ROLE_ARN;

  it('gives pod tasks a task role for ECS Exec by default, and the kubelet may pass it', () => {
    expect(taskRoles(defaults)).toHaveLength(1);
    const [[roleId] = []] = taskRoles(defaults);
    expect(kubeletTaskRole(defaults)).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
    expect(JSON.stringify(passRole(defaults))).toContain(`"${roleId}"`);
  });

  it('makes no task role when off: tasks start without execute command', () => {
    expect(taskRoles(off)).toHaveLength(0);
    expect(JSON.stringify(off.template.toJSON())).not.toContain('ssmmessages:');
    // An empty variable: the kubelet registers task definitions without a task role and runs
    // tasks without enableExecuteCommand.
    expect(kubeletTaskRole(off)).toBe('');
    expect(passRole(off)).toEqual([
      expect.objectContaining({
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/TaskExecutionRole/), 'Arn'] },
      }),
    ]);
  });
});

describe('podplane:watchStreaming', () => {
  const off = synth({ watchStreaming: false });
  const methods = (stack: typeof off) => stack.ofType('AWS::ApiGateway::Method').map(([, m]) => m.Properties);
  const functionId = (stack: typeof off, service: string) =>
    stack
      .ofType('AWS::Lambda::Function')
      .find(
        ([, f]) =>
          (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables
            .POWERTOOLS_SERVICE_NAME === `podplane-${service}`,
      )?.[0];

  it('streams GETs from the watch function by default', () => {
    expect(defaults.variablesOf('watch')).toBeDefined();
    const streamed = methods(defaults).filter(
      (m) => (m.Integration as { ResponseTransferMode?: string }).ResponseTransferMode === 'STREAM',
    );
    expect(streamed.map((m) => m.HttpMethod)).toEqual(['GET', 'GET']);
    for (const method of streamed)
      expect(JSON.stringify(method.Integration)).toContain(`"${functionId(defaults, 'watch')}"`);
  });

  it('when false, creates no watch function and leaves every method on the apiserver (watches long-poll)', () => {
    expect(off.variablesOf('watch')).toBeUndefined();
    expect(functionId(off, 'watch')).toBeUndefined();
    const apiserver = functionId(off, 'apiserver');
    expect(apiserver).toBeDefined();
    // ANY on / and /{proxy+}; GET on the health paths only.
    expect(
      methods(off)
        .map((m) => m.HttpMethod)
        .sort(),
    ).toEqual(['ANY', 'ANY', 'GET', 'GET', 'GET']);
    for (const method of methods(off)) {
      expect(method.Integration).not.toHaveProperty('ResponseTransferMode');
      expect(JSON.stringify(method.Integration)).toContain('/invocations');
      expect(JSON.stringify(method.Integration)).toContain(`"${apiserver}"`);
    }
    expect(JSON.stringify(off.template.toJSON())).not.toContain('response-streaming-invocations');
  });
});

describe('podplane:scoringStrategy, podplane:schedulerNames and podplane:logRetentionDays', () => {
  const packed = synth({
    scoringStrategy: 'MostAllocated',
    logRetention: logs.RetentionDays.ONE_MONTH,
    schedulerNames: ['my-scheduler'],
  });
  const schedulerVariables = (stack: typeof packed) =>
    stack
      .ofType('AWS::Lambda::Function')
      .map(([, f]) => (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables)
      .find((v) => v.POWERTOOLS_SERVICE_NAME === 'podplane-scheduler');

  it('hands the scheduler its scoring strategy, LeastAllocated when not given', () => {
    expect(schedulerVariables(defaults)?.PODPLANE_SCORING_STRATEGY).toBe('LeastAllocated');
    expect(schedulerVariables(packed)?.PODPLANE_SCORING_STRATEGY).toBe('MostAllocated');
  });

  it('hands the scheduler its further names, and lets only their pods through its stream filter', () => {
    expect(schedulerVariables(defaults)?.PODPLANE_SCHEDULER_NAMES).toBe('');
    expect(schedulerVariables(packed)?.PODPLANE_SCHEDULER_NAMES).toBe('my-scheduler');
    const patterns = (stack: typeof packed) =>
      stack
        .ofType('AWS::Lambda::EventSourceMapping')
        .flatMap(([, m]) =>
          ((m.Properties.FilterCriteria as { Filters?: { Pattern: string }[] })?.Filters ?? []).map(
            (f) => JSON.parse(f.Pattern) as { dynamodb?: { NewImage?: { schedulerName?: { S: string[] } } } },
          ),
        )
        .flatMap((p) => p.dynamodb?.NewImage?.schedulerName?.S ?? []);
    expect(patterns(defaults)).toEqual(['default-scheduler']);
    expect(patterns(packed)).toEqual(['default-scheduler', 'my-scheduler']);
  });

  it('keeps every log group for the configured retention', () => {
    const retentions = (stack: typeof packed) =>
      new Set(stack.ofType('AWS::Logs::LogGroup').map(([, g]) => g.Properties.RetentionInDays));
    expect(retentions(defaults)).toEqual(new Set([7]));
    expect(retentions(packed)).toEqual(new Set([30]));
  });
});

/** A JSON variable as the functions read it, references shown as `<LogicalId>` or `<LogicalId.Attribute>`. */
function resolvedJson(value: unknown): unknown {
  if (typeof value === 'string') return JSON.parse(value);
  const [, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = part as { Ref?: string; 'Fn::GetAtt'?: string[] };
      return ref.Ref ? `<${ref.Ref}>` : `<${(ref['Fn::GetAtt'] ?? []).join('.')}>`;
    })
    .join('');
  return JSON.parse(text);
}

const t4g = { instanceType: 't4g.medium', minCapacity: 0, maxCapacity: 4 };
const logicalIdOf = (stack: ReturnType<typeof synth>, type: string, pattern: RegExp) => {
  const found = stack.ofType(type).filter(([id]) => pattern.test(id));
  if (found.length !== 1) throw new Error(`expected one ${type} matching ${pattern}, found ${found.length}`);
  return found[0]?.[0] ?? '';
};
/** The role of the function with this Powertools service name, e.g. `podplane-kubelet`. */
const roleOf = (stack: ReturnType<typeof synth>, service: string) => {
  const fn = stack
    .ofType('AWS::Lambda::Function')
    .find(
      ([, f]) =>
        (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables
          .POWERTOOLS_SERVICE_NAME === service,
    );
  if (!fn) throw new Error(`no function ${service}`);
  return (fn[1].Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
};
const podGroupId = (stack: ReturnType<typeof synth>) =>
  logicalIdOf(stack, 'AWS::EC2::SecurityGroup', /PodNetworkPods/);

describe('podplane:podNetworking', () => {
  const publicOnly = synth({ ec2Capacity: t4g });
  const inPublic = synth({ ec2Capacity: t4g, podNetworking: 'awsvpc' });
  const existing = synth(
    { vpcId, ec2Capacity: t4g, fargate: { cpu: '8', memory: '16Gi', pods: 10, spot: false } },
    { account, region },
  );
  const bridged = synth({ vpcId, ec2Capacity: t4g, podNetworking: 'bridge' }, { account, region });
  const ownGroup = synth(
    { vpcId, ec2Capacity: t4g, podSecurityGroupId: 'sg-0123456789abcdef0' },
    { account, region },
  );
  const networking = (stack: typeof existing) => ({
    mode: stack.variablesOf('kubelet')?.PODPLANE_POD_NETWORKING,
    network: resolvedJson(stack.variablesOf('kubelet')?.PODPLANE_POD_NETWORK),
  });

  it('defaults to awsvpc in a VPC of public subnets only (the one the stack makes), and says what pods give up there', () => {
    expect(networking(publicOnly)).toEqual({
      mode: 'awsvpc',
      network: {
        subnets: expect.arrayContaining([expect.anything()]),
        securityGroups: [`<${podGroupId(publicOnly)}.GroupId>`],
      },
    });
    expect(networking(publicOnly)).toEqual(networking(inPublic));
    expect(publicOnly.warnings()).toContainEqual(
      expect.stringMatching(
        /EC2 pods use awsvpc networking .* in public subnets: ECS gives such tasks no public IP/,
      ),
    );
    // No capacity of its own, no EC2 pods to warn about.
    expect(defaults.warnings().filter((w) => w.includes('podNetworking'))).toEqual([]);
  });

  it("defaults to awsvpc where the VPC has private subnets in the instances' zones: pods there, instances public", () => {
    expect(networking(existing)).toEqual({
      mode: 'awsvpc',
      network: {
        subnets: ['subnet-private-a', 'subnet-private-b'],
        securityGroups: [`<${podGroupId(existing)}.GroupId>`],
      },
    });
    existing.template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      VPCZoneIdentifier: ['subnet-public-a', 'subnet-public-b'],
    });
    expect(existing.warnings().filter((w) => w.includes('podNetworking'))).toEqual([]);
  });

  it('hands every function the same networking and network', () => {
    const handlers = existing
      .ofType('AWS::Lambda::Function')
      .map(([, f]) => (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables)
      .filter((v) => String(v.POWERTOOLS_SERVICE_NAME).startsWith('podplane-'));
    expect(handlers.length).toBeGreaterThan(1);
    for (const variables of handlers) {
      expect(variables.PODPLANE_POD_NETWORKING).toBe('awsvpc');
      expect(variables.PODPLANE_POD_NETWORK).toEqual(existing.variablesOf('kubelet')?.PODPLANE_POD_NETWORK);
    }
  });

  it('lets pods in from pods and from the nodes only, and out anywhere', () => {
    const pods = podGroupId(existing);
    const instances = logicalIdOf(existing, 'AWS::EC2::SecurityGroup', /Ec2CapacityInstances/);
    const group = existing.resources[pods];
    expect(group?.Properties.SecurityGroupIngress).toBeUndefined();
    expect(group?.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: '-1' }),
    ]);
    const ingress = existing
      .ofType('AWS::EC2::SecurityGroupIngress')
      .map(([, r]) => r.Properties)
      .filter((p) => JSON.stringify(p.GroupId).includes(pods));
    expect(ingress).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          IpProtocol: '-1',
          SourceSecurityGroupId: { 'Fn::GetAtt': [pods, 'GroupId'] },
        }),
        expect.objectContaining({
          IpProtocol: '-1',
          SourceSecurityGroupId: { 'Fn::GetAtt': [instances, 'GroupId'] },
        }),
      ]),
    );
    expect(ingress).toHaveLength(2);
    for (const rule of ingress) expect(rule.CidrIp).toBeUndefined();
  });

  it('puts Fargate pods in the pods group too, so EC2 and Fargate pods reach each other', () => {
    const pools = resolvedJson(existing.variablesOf('node-sync')?.PODPLANE_FARGATE_POOLS) as {
      securityGroups: string[];
    }[];
    const fargate = logicalIdOf(existing, 'AWS::EC2::SecurityGroup', /FargateTasks/);
    expect(pools).toHaveLength(2);
    for (const pool of pools)
      expect(pool.securityGroups).toEqual([`<${fargate}.GroupId>`, `<${podGroupId(existing)}.GroupId>`]);
  });

  it('takes awsvpc in public subnets when asked, warning that such pods get no internet', () => {
    const { mode, network } = networking(inPublic) as {
      mode: unknown;
      network: { subnets: string[]; securityGroups: string[] };
    };
    expect(mode).toBe('awsvpc');
    expect(network.subnets).toEqual([
      expect.stringMatching(/^<RuntimeVpcPublicSubnet1/),
      expect.stringMatching(/^<RuntimeVpcPublicSubnet2/),
    ]);
    expect(network.securityGroups).toEqual([`<${podGroupId(inPublic)}.GroupId>`]);
    expect(inPublic.warnings()).toContainEqual(
      expect.stringMatching(/awsvpc networking .* in public subnets/),
    );
  });

  it('makes no pod security group with bridge and no Fargate', () => {
    expect(networking(bridged)).toEqual({ mode: 'bridge', network: { subnets: [], securityGroups: [] } });
    expect(bridged.ofType('AWS::EC2::SecurityGroup').map(([id]) => id)).not.toContainEqual(
      expect.stringMatching(/PodNetworkPods/),
    );
  });

  it('puts pods in podplane:podSecurityGroupId instead of a group of its own', () => {
    expect(networking(ownGroup)).toEqual({
      mode: 'awsvpc',
      network: {
        subnets: ['subnet-private-a', 'subnet-private-b'],
        securityGroups: ['sg-0123456789abcdef0'],
      },
    });
    expect(ownGroup.ofType('AWS::EC2::SecurityGroup').map(([id]) => id)).not.toContainEqual(
      expect.stringMatching(/PodNetworkPods/),
    );
    expect(JSON.stringify(ownGroup.ofType('AWS::EC2::SecurityGroupIngress'))).not.toContain(
      'sg-0123456789abcdef0',
    );
  });

  it('refuses awsvpc where the stack has no VPC to put pods in', () => {
    expect(() => synth({ clusterName: 'shared-ecs', podNetworking: 'awsvpc' })).toThrow(
      /podplane:podNetworking awsvpc needs the VPC.*podplane:vpcId/,
    );
  });

  it("gives no function an EC2 permission: ECS's service-linked role makes and deletes pods' ENIs", () => {
    for (const stack of [existing, inPublic]) {
      const kubeletRole = roleOf(stack, 'podplane-kubelet');
      const kubelet = stack.statementsOf(kubeletRole).flatMap(actionsOf);
      expect(kubelet).toContain('ecs:RunTask');
      expect(kubelet.filter((a) => a.startsWith('ec2:') || a === '*')).toEqual([]);
      for (const [, fn] of stack.ofType('AWS::Lambda::Function')) {
        const role = (fn.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
        expect(
          stack
            .statementsOf(role)
            .flatMap(actionsOf)
            .filter((a) => a.startsWith('ec2:')),
        ).toEqual([]);
      }
    }
  });
});

describe('podplane:awsvpcTrunking', () => {
  const graviton = { instanceType: 'c6g.large', minCapacity: 0, maxCapacity: 4 };
  const trunked = synth({ vpcId, ec2Capacity: graviton, awsvpcTrunking: true }, { account, region });
  const plain = synth({ vpcId, ec2Capacity: graviton }, { account, region });
  const ids = (stack: typeof plain) => ({
    setting: logicalIdOf(stack, 'Custom::PodplaneAwsvpcTrunking', /AwsvpcTrunking/),
    instanceRole: logicalIdOf(stack, 'AWS::IAM::Role', /Ec2CapacityInstanceRole/),
    trunkingRole: logicalIdOf(stack, 'AWS::IAM::Role', /AwsvpcTrunkingRole/),
    group: logicalIdOf(stack, 'AWS::AutoScaling::AutoScalingGroup', /Ec2CapacityGroup/),
  });

  it('is off by default: no custom resource, and only EC2 may assume the instance role', () => {
    expect(plain.ofType('Custom::PodplaneAwsvpcTrunking')).toEqual([]);
    expect(JSON.stringify(plain.resources)).not.toContain('PutAccountSetting');
    const role = plain.resources[logicalIdOf(plain, 'AWS::IAM::Role', /Ec2CapacityInstanceRole/)];
    expect(role?.Properties.AssumeRolePolicyDocument).toEqual(
      expect.objectContaining({
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' } },
        ],
      }),
    );
  });

  it('turns awsvpcTrunking on as the instance role before the Auto Scaling group launches an instance', () => {
    const { setting, instanceRole, group } = ids(trunked);
    const resource = trunked.resources[setting];
    const call = resolvedJson(resource?.Properties.Create) as Record<string, unknown>;
    expect(call).toEqual({
      service: 'ECS',
      action: 'PutAccountSetting',
      // No principalArn: only the root user or the principal itself may set a principal's setting.
      parameters: { name: 'awsvpcTrunking', value: 'enabled' },
      assumedRoleArn: `<${instanceRole}.Arn>`,
      physicalResourceId: { id: 'awsvpcTrunking' },
    });
    expect(resolvedJson(resource?.Properties.Update)).toEqual(call);
    expect(resource?.Properties.Delete).toBeUndefined();
    expect(resource?.Properties).toMatchObject({ ServiceTimeout: '300', InstallLatestAwsSdk: false });
    expect(trunked.resources[group]?.DependsOn).toContain(setting);
    // The role holds PutAccountSetting before the call.
    expect(resource?.DependsOn).toEqual(
      expect.arrayContaining([expect.stringMatching(/Ec2CapacityInstanceRoleDefaultPolicy/), instanceRole]),
    );
  });

  it('lets the instance role set awsvpcTrunking and nothing else, and only the custom resource assume it besides EC2', () => {
    const { instanceRole, trunkingRole } = ids(trunked);
    expect(trunked.statementsOf(instanceRole)).toContainEqual(
      expect.objectContaining({
        Action: 'ecs:PutAccountSetting',
        Resource: '*',
        Condition: { StringEquals: { 'ecs:account-setting': 'awsvpcTrunking' } },
      }),
    );
    const document = trunked.resources[instanceRole]?.Properties.AssumeRolePolicyDocument as
      | { Statement: Statement[] }
      | undefined;
    const trust = document?.Statement ?? [];
    expect(trust.map((s) => s.Principal)).toEqual([
      { Service: 'ec2.amazonaws.com' },
      { AWS: { 'Fn::GetAtt': [trunkingRole, 'Arn'] } },
    ]);
    const custom = trunked
      .statementsOf(trunkingRole)
      .filter((s) => !actionsOf(s).some((a) => a.startsWith('logs:')));
    expect(custom).toEqual([
      expect.objectContaining({
        Action: 'sts:AssumeRole',
        Resource: { 'Fn::GetAtt': [instanceRole, 'Arn'] },
      }),
    ]);
  });

  it('launches instances without resource-name DNS A records, as ECS trunking requires', () => {
    trunked.template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        PrivateDnsNameOptions: { EnableResourceNameDnsARecord: false },
      }),
    });
    plain.template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ PrivateDnsNameOptions: Match.absent() }),
    });
  });

  it('refuses instance types ECS does not trunk, and trunking without instances of its own', () => {
    expect(() => synth({ ec2Capacity: t4g, awsvpcTrunking: true })).toThrow(
      /does not support ENI trunking on t4g\.medium/,
    );
    expect(() => synth({ awsvpcTrunking: true })).toThrow(/needs podplane:ec2Capacity/);
  });
});

describe('cdk destroy with pods running (the cluster teardown)', () => {
  const full = synth({
    ec2Capacity: { instanceType: 'c6g.large', minCapacity: 0, maxCapacity: 2 },
    fargate: { cpu: '8', memory: '16Gi', pods: 10, spot: false },
    podNetworking: 'awsvpc',
  });
  const shared = synth({ clusterName: 'shared-ecs' });
  const teardownId = (stack: typeof full) =>
    logicalIdOf(stack, 'Custom::PodplaneClusterTeardown', /ClusterTeardown/);
  const stopper = (stack: typeof full) => {
    const found = stack
      .ofType('AWS::Lambda::Function')
      .find(([, f]) => String(f.Properties.Description).includes("stops the cluster's tasks"));
    if (!found) throw new Error('no teardown function');
    return found;
  };

  it('is a custom resource on the stack cluster, whose service timeout outlasts its function', () => {
    const resource = full.resources[teardownId(full)];
    const cluster = logicalIdOf(full, 'AWS::ECS::Cluster', /RuntimeCluster/);
    expect(resource?.Properties).toMatchObject({
      ClusterName: { Ref: cluster },
      ServiceTimeout: '660',
      ServiceToken: { 'Fn::GetAtt': [stopper(full)[0], 'Arn'] },
    });
    expect(stopper(full)[1].Properties.Timeout).toBe(600);
    expect(defaults.ofType('Custom::PodplaneClusterTeardown')).toHaveLength(1);
  });

  it("is deleted before the cluster, the instances, the pods' security groups and the VPC", () => {
    const dependsOn = full.resources[teardownId(full)]?.DependsOn ?? [];
    for (const [type, pattern] of [
      ['AWS::ECS::Cluster', /RuntimeCluster/],
      ['AWS::AutoScaling::AutoScalingGroup', /Ec2CapacityGroup/],
      ['AWS::ECS::CapacityProvider', /Ec2CapacityProvider/],
      ['AWS::EC2::SecurityGroup', /PodNetworkPods/],
      ['AWS::EC2::SecurityGroup', /FargateTasks/],
      ['AWS::EC2::SecurityGroup', /Ec2CapacityInstances/],
      ['AWS::EC2::VPC', /RuntimeVpc/],
    ] as const)
      expect(dependsOn).toContain(logicalIdOf(full, type, pattern));
    for (const [id] of full.ofType('AWS::EC2::Subnet')) expect(dependsOn).toContain(id);
  });

  it('outlives every handler function, so nothing restarts pods while it stops them', () => {
    const handlers = full
      .ofType('AWS::Lambda::Function')
      .filter(([, f]) =>
        String(
          (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables
            .POWERTOOLS_SERVICE_NAME,
        ).startsWith('podplane-'),
      );
    expect(handlers.length).toBeGreaterThan(5);
    for (const [, fn] of handlers) expect(fn.DependsOn).toContain(teardownId(full));
  });

  it("may only list, stop and describe this cluster's tasks, and read its own stack's status", () => {
    const role = (stopper(full)[1].Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    const cluster = logicalIdOf(full, 'AWS::ECS::Cluster', /RuntimeCluster/);
    const inCluster = { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [cluster, 'Arn'] } } };
    const statements = full
      .statementsOf(role)
      .filter((s) => !actionsOf(s).some((a) => a.startsWith('logs:') || a.startsWith('xray:')));
    expect(statements).toEqual([
      expect.objectContaining({
        Action: ['ecs:StopTask', 'ecs:DescribeTasks'],
        Condition: inCluster,
        Resource: {
          'Fn::Join': ['', expect.arrayContaining([':task/', { Ref: cluster }, '/*'])],
        },
      }),
      expect.objectContaining({ Action: 'ecs:ListTasks', Condition: inCluster, Resource: '*' }),
      expect.objectContaining({ Action: 'cloudformation:DescribeStacks', Resource: { Ref: 'AWS::StackId' } }),
    ]);
  });

  it('leaves a cluster the stack does not own alone', () => {
    expect(shared.ofType('Custom::PodplaneClusterTeardown')).toEqual([]);
    expect(
      shared
        .ofType('AWS::Lambda::Function')
        .filter(([, f]) => String(f.Properties.Description).includes("stops the cluster's tasks")),
    ).toEqual([]);
  });
});

describe('context keys', () => {
  const read = (context: Record<string, unknown>) => stackPropsFromContext((key) => context[key]);

  it('defaults to a plain stack named podplane', () => {
    expect(read({})).toMatchObject({
      stackName: 'podplane',
      logRetention: 30,
      scoringStrategy: 'LeastAllocated',
      ecsExec: true,
      awsvpcTrunking: false,
      watchStreaming: true,
    });
    expect(read({})).not.toHaveProperty('tokens');
    // Absent: the stack picks awsvpc or bridge from the VPC (lib/pod-network.ts).
    expect(read({})).not.toHaveProperty('podNetworking');
    expect(read({})).not.toHaveProperty('podSecurityGroupId');
  });

  it('takes JSON from cdk.json and strings from -c alike', () => {
    const capacity = { instanceType: 't4g.medium', minCapacity: 0, maxCapacity: 4, desiredCapacity: 1 };
    const tokens = [{ subject: 'admin', namespaces: ['*'] }];
    const fromJson = read({ 'podplane:ec2Capacity': capacity, 'podplane:tokens': tokens });
    const fromStrings = read({
      'podplane:ec2Capacity': JSON.stringify(capacity),
      'podplane:tokens': JSON.stringify(tokens),
      'podplane:logRetentionDays': '7',
    });
    expect(fromJson).toMatchObject({ ec2Capacity: capacity, tokens });
    expect(fromStrings).toMatchObject({ ec2Capacity: capacity, tokens, logRetention: 7 });
    expect(
      read({ 'podplane:vpcId': vpcId, 'podplane:clusterName': 'c', 'podplane:ecsEndpoint': 'http://x' }),
    ).toMatchObject({ vpcId, clusterName: 'c', ecsEndpoint: 'http://x' });
  });

  it('turns ECS Exec off with false from cdk.json or -c, and refuses anything but true or false', () => {
    expect(read({ 'podplane:ecsExec': false }).ecsExec).toBe(false);
    expect(read({ 'podplane:ecsExec': 'false' }).ecsExec).toBe(false);
    expect(read({ 'podplane:ecsExec': 'true' }).ecsExec).toBe(true);
    expect(() => read({ 'podplane:ecsExec': 'no' })).toThrow(/podplane:ecsExec must be true or false/);
  });

  it('turns watch streaming off with false from cdk.json or -c (LocalStack), and refuses anything but true or false', () => {
    expect(read({ 'podplane:watchStreaming': false }).watchStreaming).toBe(false);
    expect(read({ 'podplane:watchStreaming': 'false' }).watchStreaming).toBe(false);
    expect(read({ 'podplane:watchStreaming': true }).watchStreaming).toBe(true);
    expect(read({ 'podplane:watchStreaming': 'true' }).watchStreaming).toBe(true);
    expect(() => read({ 'podplane:watchStreaming': 'off' })).toThrow(
      /podplane:watchStreaming must be true or false, got "off"/,
    );
  });

  it('reads pod networking, the pods security group and ENI trunking, refusing anything else', () => {
    expect(read({ 'podplane:podNetworking': 'bridge' }).podNetworking).toBe('bridge');
    expect(read({ 'podplane:podNetworking': 'awsvpc' }).podNetworking).toBe('awsvpc');
    expect(() => read({ 'podplane:podNetworking': 'host' })).toThrow(
      /podplane:podNetworking must be awsvpc or bridge, not "host"/,
    );
    expect(() => read({ 'podplane:podNetworking': true })).toThrow(/podplane:podNetworking/);
    expect(read({ 'podplane:awsvpcTrunking': true }).awsvpcTrunking).toBe(true);
    expect(read({ 'podplane:awsvpcTrunking': 'true' }).awsvpcTrunking).toBe(true);
    expect(read({ 'podplane:awsvpcTrunking': 'false' }).awsvpcTrunking).toBe(false);
    expect(() => read({ 'podplane:awsvpcTrunking': 'on' })).toThrow(
      /podplane:awsvpcTrunking must be true or false/,
    );
    expect(read({ 'podplane:podSecurityGroupId': 'sg-0123456789abcdef0' }).podSecurityGroupId).toBe(
      'sg-0123456789abcdef0',
    );
    expect(() => read({ 'podplane:podSecurityGroupId': 'default' })).toThrow(
      /podplane:podSecurityGroupId must be a security group id/,
    );
  });

  it('refuses tokens without namespaces, repeated subjects and odd instance types', () => {
    expect(() => read({ 'podplane:tokens': [{ subject: 'admin' }] })).toThrow(/namespaces/);
    expect(() =>
      read({
        'podplane:tokens': [
          { subject: 'a', namespaces: ['*'] },
          { subject: 'a', namespaces: ['x'] },
        ],
      }),
    ).toThrow(/twice/);
    expect(() => read({ 'podplane:ec2Capacity': { instanceType: 'big' } })).toThrow(/instanceType/);
    expect(() => read({ 'podplane:logRetentionDays': 8 })).toThrow(/logRetentionDays/);
  });
});
