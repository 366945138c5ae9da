import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lintTemplates } from '../../scripts/verify-aws/cfn-lint';

const path = process.env.PATH;
const dirs: string[] = [];
afterEach(() => {
  process.env.PATH = path;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A stand-in `cfn-lint` on PATH printing the given matches, with cfn-lint's exit bit mask. */
function fakeCfnLint(matches: unknown[], status: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'fake-cfn-lint-'));
  dirs.push(dir);
  const script = join(dir, 'cfn-lint');
  writeFileSync(
    script,
    `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "cfn-lint 9.9.9"; exit 0; fi\ncat <<'EOF'\n${JSON.stringify(matches)}\nEOF\nexit ${status}\n`,
  );
  chmodSync(script, 0o755);
  // It runs `cat`; the fake comes first so it is the cfn-lint found.
  process.env.PATH = [dir, '/usr/bin', '/bin'].join(delimiter);
}

const match = (id: string, level: string, resource: string, message: string) => ({
  Filename: '/tmp/out/default.template.json',
  Level: level,
  Location: { Path: ['Resources', resource, 'DependsOn', 1] },
  Message: message,
  Rule: { Id: id },
});

describe('lintTemplates', () => {
  it('says cfn-lint is missing instead of failing', () => {
    process.env.PATH = mkdtempSync(join(tmpdir(), 'empty-path-'));
    dirs.push(process.env.PATH);
    const result = lintTemplates(['a.template.json']);
    expect(result.skipped).toMatch(/^cfn-lint is not installed: /);
    expect(result.templatesLinted).toBe(0);
  });

  it('counts errors and unaccepted warnings as errors, and gives accepted warnings their reason', () => {
    fakeCfnLint(
      [
        match('E3001', 'Error', 'Table', 'Invalid resource property'),
        match(
          'W3005',
          'Warning',
          'KubeletFunction209D8982',
          "'KubeletRoleFE906B19' dependency already enforced by a 'GetAtt' at 'x'",
        ),
        match('W3005', 'Warning', 'Alarm', "'Table' dependency already enforced by a 'Ref' at 'x'"),
        match('I3042', 'Informational', 'Table', 'hard-coded partition'),
      ],
      2 | 4 | 8,
    );
    const result = lintTemplates(['/tmp/out/default.template.json', '/tmp/out/tokens.template.json']);
    expect(result.cfnLintVersion).toBe('9.9.9');
    expect(result.templatesLinted).toBe(2);
    expect(result.errors.map((e) => [e.rule, e.resource, e.template])).toEqual([
      ['E3001', 'Table', 'default.template.json'],
      ['W3005', 'Alarm', 'default.template.json'],
    ]);
    expect(result.warnings).toEqual([
      expect.objectContaining({
        rule: 'W3005',
        resource: 'KubeletFunction209D8982',
        path: 'Resources/KubeletFunction209D8982/DependsOn/1',
        allowedBecause: expect.stringMatching(/default policy/),
      }),
    ]);
  });

  it('fails when cfn-lint itself fails', () => {
    fakeCfnLint([], 1);
    expect(() => lintTemplates(['x.template.json'])).toThrow(/cfn-lint failed \(exit 1\)/);
  });
});
