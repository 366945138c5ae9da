import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callFacts, type RecordedCall } from '../../functions/adapters/call-recorder';
import { toTaskDefinition } from '../../functions/core/ecs/task-definition';
import { type ResolvedStack, resolveStack, type Template } from '../../scripts/verify-aws/roles';
import { describeDenials, simulateCalls } from '../../scripts/verify-aws/simulate';
import { synthesizeVariant, templateVariants } from '../../scripts/verify-aws/variants';
import { storedPod } from '../fixtures';

const outdir = mkdtempSync(join(tmpdir(), 'podplane-verify-aws-test-'));
let template: Template;
let stack: ResolvedStack;

beforeAll(() => {
  const variant = templateVariants.find((v) => v.name === 'default');
  if (!variant) throw new Error('no default template variant');
  template = synthesizeVariant(variant, outdir).template;
  stack = resolveStack(template);
}, 120_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** The kubelet's launch of a pod as its adapter makes it locally (no roles: the plane has none). */
function kubeletLaunch(): RecordedCall[] {
  const definition = toTaskDefinition(storedPod('web'), {
    logGroup: '/podplane/local/pods',
    region: 'us-east-1',
    fargate: false,
    networking: 'awsvpc',
  });
  const call = (operation: string, input: Record<string, unknown>): RecordedCall => ({
    fn: 'kubelet',
    service: 'ECS',
    operation,
    facts: callFacts(input),
  });
  return [
    call('RegisterTaskDefinition', definition as unknown as Record<string, unknown>),
    call('RunTask', {
      cluster: 'podplane',
      taskDefinition: `arn:aws:ecs:us-east-1:000000000000:task-definition/${definition.family}:1`,
      enableExecuteCommand: true,
      tags: [{ key: 'podplane.dev/namespace', value: 'default' }],
    }),
    {
      fn: 'watch',
      service: 'DynamoDB',
      operation: 'Query',
      facts: callFacts({ TableName: 'podplane-objects', IndexName: 'byChangeWindow' }),
    },
  ];
}

/** A copy of the template whose `principal`'s policies no longer grant `action`. */
function withoutGrant(principal: string, action: string): Template {
  const copy = structuredClone(template) as Template;
  const roleId = stack.roles[principal]?.logicalId;
  for (const resource of Object.values(copy.Resources as Record<string, Template>)) {
    if (
      resource.Type !== 'AWS::IAM::Policy' ||
      !JSON.stringify(resource.Properties.Roles).includes(`"${roleId}"`)
    )
      continue;
    const document = resource.Properties.PolicyDocument;
    document.Statement = document.Statement.map((statement: Template) => {
      const actions = [statement.Action].flat().filter((a: string) => a !== action);
      return { ...statement, Action: actions };
    }).filter((statement: Template) => statement.Action.length > 0);
  }
  return copy;
}

describe('verify:aws on the default template', () => {
  it('allows the kubelet launch, its platform needs and a watch query as the stack grants them', async () => {
    const report = await simulateCalls(kubeletLaunch(), stack);
    expect(describeDenials(report.denials)).toBe('');
    // The launch asks for the execution role and the task role: each needs iam:PassRole.
    expect(report.checked.filter((key) => key.startsWith('kubelet iam:PassRole'))).toHaveLength(2);
    expect(report.checked).toContain(
      `kubelet ecs:TagResource ${stack.deployment.clusterArn.replace(':cluster/', ':task/')}/*`,
    );
    expect(report.checked.some((key) => key.startsWith('taskExecutionRole logs:PutLogEvents'))).toBe(true);
  });

  it('names the function, call, resource and missing statement when iam:PassRole is taken out', async () => {
    const report = await simulateCalls(
      kubeletLaunch(),
      resolveStack(withoutGrant('kubelet', 'iam:PassRole')),
    );
    const denied = report.denials.filter((d) => d.action === 'iam:PassRole');
    expect(denied.map((d) => d.resource).sort()).toEqual(
      [
        stack.deployment.environments.kubelet?.PODPLANE_TASK_EXECUTION_ROLE_ARN,
        stack.deployment.environments.kubelet?.PODPLANE_TASK_ROLE_ARN,
      ].sort(),
    );
    const message = describeDenials(denied);
    expect(message).toContain('kubelet (role KubeletRole');
    expect(message).toContain('ECS:RegisterTaskDefinition needs iam:PassRole');
    expect(message).toContain('ImplicitlyDenied');
    expect(message).toContain('"iam:PassedToService":"ecs-tasks.amazonaws.com"');
  });

  it('denies an index query once the index is no longer granted', async () => {
    const copy = structuredClone(template) as Template;
    for (const resource of Object.values(copy.Resources as Record<string, Template>))
      if (resource.Type === 'AWS::IAM::Policy')
        resource.Properties.PolicyDocument.Statement = resource.Properties.PolicyDocument.Statement.map(
          (statement: Template) => ({
            ...statement,
            Resource: [statement.Resource]
              .flat()
              .filter((r: unknown) => !JSON.stringify(r).includes('/index/byChangeWindow')),
          }),
        ).filter((statement: Template) => statement.Resource.length > 0);
    const report = await simulateCalls(kubeletLaunch(), resolveStack(copy));
    expect(report.denials.map((d) => `${d.principal} ${d.action} ${d.resource}`)).toEqual([
      `watch dynamodb:Query ${stack.deployment.tableArn}/index/byChangeWindow`,
    ]);
  });

  it('lets the watch remove a namespace item and no other', async () => {
    const deleteBy = (partitionKey: string): RecordedCall => ({
      fn: 'watch',
      service: 'DynamoDB',
      operation: 'DeleteItem',
      facts: callFacts({ TableName: 'podplane-objects', Key: { pk: partitionKey, sk: 'x' } }),
    });
    const report = await simulateCalls([deleteBy('namespaces'), deleteBy('pods/default')], stack);
    expect(report.denials.map((d) => [d.principal, d.action, d.result])).toEqual([
      ['watch', 'dynamodb:DeleteItem', 'ImplicitlyDenied'],
    ]);
    expect(describeDenials(report.denials)).toContain('"dynamodb:LeadingKeys":["pods/default"]');
  });

  it('lists a granted action no call needs as unused', async () => {
    const report = await simulateCalls(kubeletLaunch(), stack);
    // These calls never stop a task: the kubelet's ecs:StopTask grant is unused by them.
    expect(report.unusedGrants.kubelet).toContain('ecs:StopTask');
    expect(report.unusedGrants.kubelet).not.toContain('ecs:RunTask');
  });
});
