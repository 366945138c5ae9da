import { fileURLToPath } from 'node:url';
import type { SimulationReport } from './simulate';

export const leastPrivilegeReportPath = fileURLToPath(
  new URL('../../docs/least-privilege.md', import.meta.url),
);

/** One object grant serves every function that uses the stores (lib/permissions.ts grantObjects). */
const sharedObjectGrant =
  'part of the one item grant on the objects table that every function using the pod, node and event stores gets; trimming it per function is left for the generic object store';

/**
 * Grants that no recorded call needs but that stay, each with why: paths the recorded runs do not
 * take as that function, or grants the CDK makes with a construct. Keyed `<principal> <action>`,
 * `*` for any principal.
 */
export const keptOnPurpose: Readonly<Record<string, string>> = {
  '* dynamodb:BatchGetItem': sharedObjectGrant,
  '* dynamodb:BatchWriteItem': sharedObjectGrant,
  '* dynamodb:DeleteItem': sharedObjectGrant,
  '* dynamodb:PutItem': sharedObjectGrant,
  'podStatus ecs:StopTask':
    'stops the task of an event whose pod is gone or deleted (functions/core/controllers/pod-status.ts); the recorded runs let the kubelet stop them first',
  'podStatus ecs:ListTasks':
    'finds the task to stop when it has no ARN for it (stopPod in functions/adapters/ecs/runtime.ts)',
  'reconcile ecs:StopTask':
    'stops a running task whose pod no longer exists (functions/core/controllers/reconcile.ts)',
  'podTimers sqs:ChangeMessageVisibility':
    "granted by the CDK's SqsEventSource with the timer queue's event source mapping (grantConsumeMessages)",
  'podTimers sqs:GetQueueUrl':
    "granted by the CDK's SqsEventSource with the timer queue's event source mapping (grantConsumeMessages)",
};

const reasonFor = (principal: string, action: string) =>
  keptOnPurpose[`${principal} ${action}`] ?? keptOnPurpose[`* ${action}`];

type Unused = Readonly<Record<string, readonly string[]>>;

/**
 * What no variant needed: a grant one configuration uses (the apiserver reads logs only when it
 * serves GETs, without watch streaming) is needed, even if the default leaves it idle.
 */
export function unusedInEveryVariant(reports: readonly SimulationReport[]): Unused {
  const [first, ...rest] = reports;
  const unused: Record<string, string[]> = {};
  for (const [principal, actions] of Object.entries(first?.unusedGrants ?? {})) {
    const everywhere = actions.filter((action) =>
      rest.every((report) => report.unusedGrants[principal]?.includes(action) ?? true),
    );
    if (everywhere.length > 0) unused[principal] = everywhere;
  }
  return unused;
}

/** docs/least-privilege.md: per role, what is granted and no recorded call needed. */
export function leastPrivilegeReport(
  report: SimulationReport,
  unusedGrants: Unused,
  recordedCalls: number,
): string {
  const lines = [
    '# Least privilege: grants no recorded call needs',
    '',
    'Written by `npm run verify:aws` (scripts/verify-aws/) from the calls the integration, e2e and chaos',
    'suites made, evaluated against every template variant; do not edit by hand. A grant is listed when',
    'no variant needed it; each is either kept on purpose (the reason is given) or a candidate for',
    'removal from `lib/permissions.ts`.',
    '',
    `Recorded calls: ${recordedCalls} distinct; requests checked: ${report.checked.length}; calls made outside any function (test setup, not checked): ${report.unattributed}.`,
    '',
  ];
  const rows = Object.entries(unusedGrants).flatMap(([principal, actions]) =>
    actions.map((action) => [
      principal,
      `\`${action}\``,
      reasonFor(principal, action) ?? 'not needed by any recorded call: remove, or say why it stays',
    ]),
  );
  const table = markdownTable(
    ['role', 'action', 'why it stays'],
    rows.length > 0 ? rows : [['(none)', '', '']],
  );
  return `${[...lines, ...table].join('\n')}\n`;
}

/** A table padded as the formatter (Biome) pads it, so the written file is already formatted. */
function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];
}
