import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasKubectl, type RunningControlPlane, startCli } from './control-plane';

/**
 * docs/compatibility.md's kubectl table, run as written: rows in order, in one control plane,
 * each checked for its result (works: exit 0; refused: non-zero) and for the text kubectl
 * prints. The table stays true because this test reads it.
 */
const root = join(import.meta.dirname, '..', '..');
const table = readFileSync(join(root, 'docs', 'compatibility.md'), 'utf8');

interface Row {
  readonly command: string;
  readonly result: 'works' | 'refused';
  readonly prints: string;
}

function kubectlRows(markdown: string): Row[] {
  const section = markdown.split(/^## kubectl/m)[1]?.split(/^## /m)[0] ?? '';
  const rows: Row[] = [];
  for (const line of section.split('\n')) {
    const match = /^\|\s*`(kubectl [^`]+)`\s*\|\s*(works|refused)\s*\|\s*(?:`([^`]*)`)?\s*\|$/.exec(
      line.trim(),
    );
    if (match)
      rows.push({ command: match[1] ?? '', result: match[2] as Row['result'], prints: match[3] ?? '' });
  }
  return rows;
}

const rows = kubectlRows(table);
const stateDir = mkdtempSync(join(tmpdir(), 'podplane-compat-'));
let plane: RunningControlPlane;

describe.skipIf(!hasKubectl)('docs/compatibility.md, run', () => {
  beforeAll(async () => {
    plane = await startCli(stateDir, ['--nodes', '1']);
  });

  afterAll(async () => {
    if (plane && plane.child.exitCode === null) await plane.interrupt();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('has a kubectl table to run', () => {
    expect(rows.length).toBeGreaterThan(20);
  });

  for (const row of rows)
    it(`${row.command}: ${row.result}`, () => {
      const args = row.command.split(' ').slice(1);
      const run = spawnSync(
        'kubectl',
        ['--kubeconfig', plane.kubeconfig, '--cache-dir', join(stateDir, 'cache'), ...args],
        { cwd: root, encoding: 'utf8', timeout: 60_000 },
      );
      const output = `${run.stdout}${run.stderr}`;
      if (row.result === 'works') expect(run.status, output).toBe(0);
      else expect(run.status, output).not.toBe(0);
      expect(output).toContain(row.prints);
    });
});
