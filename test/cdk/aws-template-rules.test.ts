import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CfnTemplate, resolveIntrinsics } from '../../scripts/verify-aws/intrinsics';
import { checkResourcePermissions } from '../../scripts/verify-aws/resource-permissions';
import {
  type SynthesizedVariant,
  synthesizeVariant,
  templateVariants,
} from '../../scripts/verify-aws/variants';

const outdir = mkdtempSync(join(tmpdir(), 'podplane-aws-rules-'));
const synthesized = new Map<string, SynthesizedVariant>();

// Every variant is checked and linted by `npm run verify:aws` (the last step of `npm test`);
// here, that the checks catch what they must, on the templates the cases break.
const broken = ['default', 'ec2-trunking'];
beforeAll(() => {
  for (const variant of templateVariants.filter((v) => broken.includes(v.name)))
    synthesized.set(variant.name, synthesizeVariant(variant, outdir));
}, 300_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const templateOf = (name: string): CfnTemplate => {
  const variant = synthesized.get(name);
  if (!variant) throw new Error(`variant ${name} was not synthesized`);
  return structuredClone(variant.template);
};

const idsOfType = (template: CfnTemplate, type: string) =>
  Object.entries(template.Resources ?? {})
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id);

describe('every documented configuration', () => {
  it('has distinct, kebab-case variant names', () => {
    const names = templateVariants.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it.each(broken.map((name) => [name]))('%s: every service may call what it is wired to', (name) => {
    const template = templateOf(name);
    expect(() => resolveIntrinsics(template.Resources, template)).not.toThrow();
    expect(checkResourcePermissions(template)).toEqual([]);
  });
});

describe('the permission check fails', () => {
  it('when the Lambda permission of the streaming GET method is gone', () => {
    const template = templateOf('default');
    const resources = template.Resources ?? {};
    const [streamingGet] = idsOfType(template, 'AWS::ApiGateway::Method').filter((id) =>
      JSON.stringify(resources[id]?.Properties?.Integration).includes('response-streaming-invocations'),
    );
    if (!streamingGet) throw new Error('no streaming method in the default template');
    const permission = idsOfType(template, 'AWS::Lambda::Permission').find(
      (id) => id.startsWith(streamingGet.replace(/[0-9A-F]{8}$/, '')) && !id.includes('PermissionTest'),
    );
    if (!permission) throw new Error(`no permission for ${streamingGet}`);
    delete resources[permission];
    const findings = checkResourcePermissions(template);
    expect(findings).toEqual([
      expect.objectContaining({
        resource: streamingGet,
        problem: expect.stringMatching(/API Gateway may not invoke WatchFunction[0-9A-F]{8} for GET/),
      }),
    ]);
  });

  it("when an EventBridge rule's target may not be invoked, or its dead-letter queue not written", () => {
    const template = templateOf('default');
    const resources = template.Resources ?? {};
    const [rule] = idsOfType(template, 'AWS::Events::Rule').filter((id) =>
      id.startsWith('PodStatusEventsRule'),
    );
    if (!rule) throw new Error('no pod status rule');
    for (const id of idsOfType(template, 'AWS::Lambda::Permission'))
      if (id.startsWith(`${rule.replace(/[0-9A-F]{8}$/, '')}Allow`)) delete resources[id];
    for (const id of idsOfType(template, 'AWS::SQS::QueuePolicy')) {
      const document = resources[id]?.Properties?.PolicyDocument as { Statement: { Sid?: string }[] };
      document.Statement = document.Statement.filter(
        (s) => !s.Sid?.includes(rule.replace(/[0-9A-F]{8}$/, '')),
      );
    }
    const problems = checkResourcePermissions(template)
      .filter((f) => f.resource === rule)
      .map((f) => f.problem);
    expect(problems).toEqual([
      expect.stringMatching(/^EventBridge may not invoke PodStatusFunction/),
      expect.stringMatching(/^EventBridge may not send to its dead-letter queue PodStatusEventsFailures/),
    ]);
  });

  it("when a stream consumer's role cannot read the stream", () => {
    const template = templateOf('default');
    for (const id of idsOfType(template, 'AWS::IAM::Policy').filter((p) => p.startsWith('KubeletRole'))) {
      const document = template.Resources?.[id]?.Properties?.PolicyDocument as {
        Statement: { Action: unknown }[];
      };
      document.Statement = document.Statement.filter((s) => !JSON.stringify(s.Action).includes('GetRecords'));
    }
    expect(checkResourcePermissions(template).map((f) => f.problem)).toEqual(
      ['DescribeStream', 'GetRecords', 'GetShardIterator'].map((action) =>
        expect.stringMatching(
          new RegExp(`^KubeletFunction[0-9A-F]{8}'s role .* lacks dynamodb:${action} on .*/stream/`),
        ),
      ),
    );
  });

  it('when the trunking call may not assume the instance role', () => {
    const template = templateOf('ec2-trunking');
    const [instanceRole] = idsOfType(template, 'AWS::IAM::Role').filter((id) =>
      id.startsWith('RuntimeEc2CapacityInstanceRole'),
    );
    const role = instanceRole ? template.Resources?.[instanceRole] : undefined;
    if (!role?.Properties) throw new Error('no instance role');
    const trust = role.Properties.AssumeRolePolicyDocument as { Statement: { Principal: unknown }[] };
    trust.Statement = trust.Statement.filter((s) => !JSON.stringify(s.Principal).includes('AWS'));
    expect(checkResourcePermissions(template)).toEqual([
      expect.objectContaining({
        resource: expect.stringMatching(/^RuntimeEc2CapacityAwsvpcTrunkingSetting/),
        problem: expect.stringMatching(/does not trust the provider's role/),
      }),
    ]);
  });
});
