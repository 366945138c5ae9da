import { type App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** One part of a finding: a literal like `Resource::*`, or a `/regex/` for ARNs with references. */
export type FindingPart = string | { readonly regex: string };

/** A cdk-nag finding the stack accepts on purpose, and why. */
export interface DeliberateFinding {
  readonly id: `AwsSolutions-${string}`;
  readonly reason: string;
  /** For findings with parts (IAM4, IAM5): exactly which ones, e.g. `Resource::*`. */
  readonly appliesTo?: readonly FindingPart[];
}

/**
 * Runs the AWS Solutions rules over the app at synth: an error fails `cdk synth`, so a change
 * that opens something up is caught before it is deployed.
 */
export function checkWithCdkNag(app: App): void {
  Aspects.of(app).add(new AwsSolutionsChecks());
}

/**
 * Accepts findings on a construct and the resources inside it. Narrow on purpose: call it on the
 * construct that has the finding, and give IAM wildcard findings `appliesTo`.
 */
export function acceptFindings(construct: IConstruct, findings: readonly DeliberateFinding[]): void {
  NagSuppressions.addResourceSuppressions(
    construct,
    findings.map(({ id, reason, appliesTo }) => ({
      id,
      reason,
      ...(appliesTo ? { appliesTo: [...appliesTo] } : {}),
    })),
    true,
  );
}
