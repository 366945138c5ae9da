/**
 * `npm run verify:aws`: what the first `cdk deploy` would find out, found out here. Every AWS call
 * the functions made in the last integration/e2e/chaos run (recorded by
 * functions/adapters/call-recorder.ts) is evaluated against the role the function has in each
 * documented template variant; every variant's resource-side permissions are checked and the
 * template linted with cfn-lint. Prints one JSON line last; exits 1 on any denial, lint error or
 * resource finding. `--record` runs the recording suites first instead of reading the last run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lintTemplates } from './verify-aws/cfn-lint';
import {
  leastPrivilegeReport,
  leastPrivilegeReportPath,
  unusedInEveryVariant,
} from './verify-aws/least-privilege';
import { readRecordedCalls } from './verify-aws/recording';
import { checkResourcePermissions } from './verify-aws/resource-permissions';
import { resolveStack } from './verify-aws/roles';
import { describeDenials, type SimulationReport, simulateCalls } from './verify-aws/simulate';
import { synthesizeVariant, templateVariants } from './verify-aws/variants';

const argv = process.argv.slice(2);
if (argv.includes('--record')) {
  const run = spawnSync('npx', ['vitest', 'run', '--project', 'integration'], { stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}

const calls = readRecordedCalls();
if (calls.length === 0) {
  console.error(
    'verify:aws: no recorded calls; run `npm test` or `npm run verify:aws -- --record` first (the integration and e2e suites record them)',
  );
  process.exit(1);
}

const outdir = mkdtempSync(join(tmpdir(), 'podplane-verify-aws-'));
let failed = false;
try {
  const checked = new Set<string>();
  const paths: string[] = [];
  let denied = 0;
  const reports: SimulationReport[] = [];
  for (const variant of templateVariants) {
    const { template, path } = synthesizeVariant(variant, outdir);
    paths.push(path);
    const report = await simulateCalls(calls, resolveStack(template));
    for (const key of report.checked) checked.add(key);
    reports.push(report);
    if (report.denials.length > 0) {
      denied += report.denials.length;
      console.error(
        `verify:aws: denied in the ${variant.name} template:\n${describeDenials(report.denials)}`,
      );
    }
    const findings = checkResourcePermissions(template);
    if (findings.length > 0) {
      failed = true;
      console.error(
        `verify:aws: resource permissions of the ${variant.name} template:\n${findings.map((f) => `  ${f.resource}: ${f.problem}`).join('\n')}`,
      );
    }
  }
  const lint = lintTemplates(paths);
  if (lint.skipped) console.error(`verify:aws: ${lint.skipped}`);
  for (const finding of lint.errors)
    console.error(
      `verify:aws: cfn-lint ${finding.rule} in ${finding.template} at ${finding.path}: ${finding.message}`,
    );
  const unused = unusedInEveryVariant(reports);
  if (reports[0])
    writeFileSync(leastPrivilegeReportPath, leastPrivilegeReport(reports[0], unused, calls.length));
  const unusedGrants = Object.values(unused).reduce((n, actions) => n + actions.length, 0);
  failed ||= denied > 0 || lint.errors.length > 0;
  console.log(
    JSON.stringify({
      callsChecked: checked.size,
      denied,
      templatesLinted: lint.templatesLinted,
      cfnLintErrors: lint.errors.length,
      unusedGrants,
      ...(lint.skipped ? { cfnLint: 'skipped' } : {}),
    }),
  );
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
