import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasKubectl, kubectlFor, useControlPlane } from './control-plane';

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

describe.skipIf(!hasKubectl)('docs/compatibility.md, run', () => {
  const kubectl = kubectlFor(useControlPlane('podplane-compat-', ['--nodes', '1']), {
    cwd: root,
    timeout: 60_000,
  });

  it('has a kubectl table to run', () => {
    expect(rows.length).toBeGreaterThan(20);
  });

  for (const row of rows)
    it(`${row.command}: ${row.result}`, () => {
      const args = row.command.split(' ').slice(1);
      const run = kubectl.status(...args);
      if (row.result === 'works') expect(run.code, run.out).toBe(0);
      else expect(run.code, run.out).not.toBe(0);
      expect(run.out).toContain(row.prints);
    });
});
