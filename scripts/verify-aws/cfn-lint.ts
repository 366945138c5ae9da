import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';

/** One cfn-lint match, flattened. `allowedBecause` is set on accepted warnings. */
export interface LintFinding {
  readonly rule: string;
  readonly level: string;
  readonly template: string;
  /** The logical id the finding is under, when it is under `Resources`. */
  readonly resource?: string;
  /** The template path of the finding, `/`-joined, e.g. `Resources/Fn/DependsOn/1`. */
  readonly path: string;
  readonly message: string;
  readonly allowedBecause?: string;
}

/**
 * `errors`: cfn-lint's errors and every warning not on the allow-list; `warnings`: the accepted
 * warnings, each with the reason it is accepted.
 */
export interface LintResult {
  readonly templatesLinted: number;
  readonly errors: LintFinding[];
  readonly warnings: LintFinding[];
  readonly cfnLintVersion?: string;
  readonly skipped?: string;
}

interface AcceptedWarning {
  readonly rule: string;
  /** Matched against the logical id the warning is under. */
  readonly resource: RegExp;
  /** Matched against cfn-lint's message. */
  readonly message: RegExp;
  readonly reason: string;
}

/** Warnings podplane's templates keep on purpose; docs/decisions.md ("stack") says why. */
export const acceptedWarnings: readonly AcceptedWarning[] = [
  {
    rule: 'W3005',
    resource: /.*/,
    message: /^'\w*Role\w*' dependency already enforced by a 'GetAtt'/,
    reason:
      'CDK makes a function (or custom resource) depend on its role construct, which is the role and its default policy: the policy edge, which no Ref implies, keeps the function from running before its permissions exist and from losing them before it is deleted; only the role edge is redundant',
  },
  {
    rule: 'W3005',
    resource: /^ClusterTeardown[0-9A-F]{8}$/,
    message: /^'RuntimeCluster[0-9A-F]{8}' dependency already enforced by a 'Ref'/,
    reason:
      "the cluster teardown depends on the cluster construct as a whole, so it stops pods before the capacity provider associations (children of that construct, not referenced) are deleted; only the cluster's own edge is redundant",
  },
];

interface CfnLintMatch {
  Filename: string;
  Level: string;
  Location?: { Path?: (string | number)[] };
  Message: string;
  Rule: { Id: string };
}

function finding(match: CfnLintMatch): LintFinding {
  const path = match.Location?.Path ?? [];
  const resource = path[0] === 'Resources' && typeof path[1] === 'string' ? path[1] : undefined;
  return {
    rule: match.Rule.Id,
    level: match.Level,
    template: basename(match.Filename),
    ...(resource ? { resource } : {}),
    path: path.join('/'),
    message: match.Message,
  };
}

function acceptance(lint: LintFinding): string | undefined {
  return acceptedWarnings.find(
    (a) => a.rule === lint.rule && a.resource.test(lint.resource ?? '') && a.message.test(lint.message),
  )?.reason;
}

/** `cfn-lint --version` says `cfn-lint 1.51.0`. */
function cfnLintVersion(): string | undefined {
  const run = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim().replace(/^cfn-lint\s+/, '') : undefined;
}

/**
 * Lints the templates with AWS's cfn-lint in one run (it takes seconds to start). Missing
 * cfn-lint skips the check rather than failing it: it is a Python tool, not an npm dependency.
 */
export function lintTemplates(paths: string[]): LintResult {
  if (paths.length === 0) return { templatesLinted: 0, errors: [], warnings: [] };
  const run = spawnSync('cfn-lint', ['--format', 'json', '--', ...paths], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) {
    const code = (run.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      return {
        templatesLinted: 0,
        errors: [],
        warnings: [],
        skipped: 'cfn-lint is not installed: `pip install cfn-lint` puts it on PATH',
      };
    throw run.error;
  }
  // Its exit status is a bit mask of the levels found (2 error, 4 warning, 8 informational);
  // 1 is a failure of cfn-lint itself, which leaves no JSON to read.
  let matches: CfnLintMatch[];
  try {
    matches = JSON.parse(run.stdout || '[]') as CfnLintMatch[];
  } catch {
    throw new Error(`cfn-lint exited ${run.status} without JSON: ${run.stderr.trim() || run.stdout.trim()}`);
  }
  if (run.status !== null && run.status & 1)
    throw new Error(`cfn-lint failed (exit ${run.status}): ${run.stderr.trim()}`);
  const errors: LintFinding[] = [];
  const warnings: LintFinding[] = [];
  for (const match of matches) {
    const lint = finding(match);
    if (lint.rule.startsWith('I')) continue;
    const reason = lint.rule.startsWith('W') ? acceptance(lint) : undefined;
    if (reason) warnings.push({ ...lint, allowedBecause: reason });
    else errors.push(lint);
  }
  const version = cfnLintVersion();
  return { templatesLinted: paths.length, errors, warnings, ...(version ? { cfnLintVersion: version } : {}) };
}
