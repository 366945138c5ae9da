import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkWithCdkNag } from '../../lib/nag';
import { PodplaneStack, type PodplaneStackProps } from '../../lib/stack';

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** The AWS Solutions findings cdk-nag leaves on a stack after its accepted ones. */
function findings(props: Partial<PodplaneStackProps>) {
  const outdir = mkdtempSync(join(tmpdir(), 'podplane-cdk-nag-'));
  outdirs.push(outdir);
  const app = new App({ outdir });
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

describe.each<[string, Partial<PodplaneStackProps>]>([['default stack', {}]])(
  'cdk-nag AwsSolutions on the %s',
  (_, props) => {
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
  },
);
