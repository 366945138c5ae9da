import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasKubectl, kubectlFor, useControlPlane } from './control-plane';

/**
 * `kubectl auth whoami` and `kubectl auth can-i` against `npm start`'s program, with its admin
 * token and with a token `npm run kubeconfig -- --local` minted for one namespace while it runs.
 */

/** `npm run kubeconfig -- --local ...`, as a user runs it beside `npm start`. */
function mintLocal(...args: string[]): { code: number; output: string } {
  try {
    const output = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'bin/kubeconfig.ts', '--local', ...args],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    return { code: 0, output };
  } catch (error) {
    const failure = error as { status: number; stdout: string; stderr: string };
    return { code: failure.status, output: `${failure.stdout}${failure.stderr}` };
  }
}

describe.skipIf(!hasKubectl)('kubectl auth against podplane', () => {
  const plane = useControlPlane('podplane-auth-', ['--nodes', '1']);
  const { stateDir } = plane;
  const aliceConfig = join(stateDir, 'alice.kubeconfig');
  /** kubectl's exit code and output (`can-i` exits 1 for "no"), with the admin token or alice's. */
  const admin = kubectlFor(plane);
  const alice = kubectlFor(plane, { kubeconfig: aliceConfig });

  it('tells the admin token who it is', () => {
    const whoami = admin.status('auth', 'whoami');
    expect(whoami.code).toBe(0);
    expect(whoami.stdout).toMatch(/^ATTRIBUTE\s+VALUE$/m);
    expect(whoami.stdout).toMatch(/^Username\s+admin$/m);
    expect(whoami.stdout).toMatch(/^Groups\s+\[system:masters system:authenticated\]$/m);
    expect(admin.status('auth', 'can-i', 'list', 'nodes').stdout).toBe('yes\n');
    expect(admin.status('auth', 'can-i', 'create', 'pods', '-n', 'anywhere').stdout).toBe('yes\n');
  });

  it('mints a token for one namespace while the control plane runs', () => {
    const minted = mintLocal(
      '--state-dir',
      stateDir,
      '--namespace',
      'team-a',
      '--subject',
      'alice',
      '--kubeconfig',
      aliceConfig,
    );
    expect(minted).toEqual({ code: 0, output: '' });
    const whoami = alice.status('auth', 'whoami');
    expect(whoami.stdout).toMatch(/^Username\s+alice$/m);
    expect(whoami.stdout).toMatch(/^Groups\s+\[system:authenticated\]$/m);
    expect(whoami.stdout).toMatch(/^Extra: podplane\.dev\/namespaces\s+\[team-a\]$/m);
  });

  it('answers can-i from the grant: yes in its namespace, no elsewhere, as the requests themselves fare', () => {
    expect(alice.status('auth', 'can-i', 'create', 'pods', '-n', 'team-a')).toMatchObject({
      code: 0,
      stdout: 'yes\n',
    });
    const elsewhere = alice.status('auth', 'can-i', 'create', 'pods', '-n', 'default');
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stdout).toMatch(
      /^no - podplane: the token grant of "alice" covers namespace team-a only/,
    );
    expect(alice.status('auth', 'can-i', 'list', 'nodes').stdout).toMatch(/^no\b/);

    const forbidden = alice.status('get', 'pods', '-n', 'default');
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain(
      'Error from server (Forbidden): forbidden: User "alice" may not act outside the namespaces its token grants',
    );
    // Discovery (with the review groups) stays open to it: no discovery errors, just the answer.
    const allowed = alice.status('get', 'pods', '-n', 'team-a');
    expect(allowed).toMatchObject({ code: 0, stderr: 'No resources found in team-a namespace.\n' });
  });

  it('says no, and why, for what podplane does not serve', () => {
    const deployments = admin.status('auth', 'can-i', 'create', 'deployments.apps');
    expect(deployments.code).toBe(1);
    expect(deployments.stdout).toBe('no - podplane does not serve deployments.apps\n');
  });

  it('lists what the token may do in a namespace (can-i --list)', () => {
    const list = alice.status('auth', 'can-i', '--list', '-n', 'team-a');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/m);
    expect(list.stdout).toMatch(
      /^pods\s+\[\]\s+\[\]\s+\[create delete deletecollection get list patch update watch\]$/m,
    );
    expect(list.stdout).toMatch(/^namespaces\s+\[\]\s+\[team-a\]\s+\[delete get patch update\]$/m);
    expect(list.stdout).not.toMatch(/^nodes\s/m);
    const elsewhere = alice.status('auth', 'can-i', '--list', '-n', 'default');
    expect(elsewhere.stdout).not.toMatch(/^pods\s/m);
  });

  it('refuses to mint without a running control plane in the state directory, and cleans up on stop', async () => {
    const other = mkdtempSync(join(tmpdir(), 'podplane-auth-none-'));
    try {
      const minted = mintLocal('--state-dir', other, '--namespace', 'team-a');
      expect(minted.code).toBe(1);
      expect(minted.output).toContain('no local control plane is running with state in');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    expect(existsSync(join(stateDir, 'control-plane.json'))).toBe(true);
    await plane.interrupt();
    expect(existsSync(join(stateDir, 'control-plane.json'))).toBe(false);
  });
});
