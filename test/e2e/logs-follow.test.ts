import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasKubectl, kubectlFor, untilPrinted, useControlPlane, writeManifest } from './control-plane';

/**
 * `kubectl logs -f` against `npm start`'s program: lines printed as the simulated container
 * writes them (`sim.podplane.dev/log-every`), and kubectl returning by itself, 0, once the
 * container has stopped.
 */

interface Followed {
  readonly code: number | null;
  /** Each line kubectl printed, with when it arrived (epoch ms). */
  readonly lines: { readonly at: number; readonly text: string }[];
  readonly stderr: string;
}

const ticks = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `tick ${from + i}`);

describe.skipIf(!hasKubectl)('kubectl logs -f', () => {
  const plane = useControlPlane('podplane-logs-follow-', ['--nodes', '1']);
  const { run: kubectl } = kubectlFor(plane);

  /** Runs kubectl with the plane's kubeconfig until it exits by itself (killed after 30 s). */
  const follow = (args: string[], onLine?: (text: string) => void): Promise<Followed> =>
    new Promise((resolve, reject) => {
      const child = spawn(
        'kubectl',
        ['--kubeconfig', plane.kubeconfig, '--cache-dir', join(plane.stateDir, 'cache'), ...args],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const lines: { at: number; text: string }[] = [];
      let partial = '';
      let stderr = '';
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        const at = Date.now();
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        for (const text of parts) {
          lines.push({ at, text });
          onLine?.(text);
        }
      });
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      child.once('error', reject);
      child.once('exit', (code) => {
        clearTimeout(killer);
        if (partial) lines.push({ at: Date.now(), text: partial });
        resolve({ code, lines, stderr });
      });
    });

  const pod = (name: string, annotations: Record<string, string>, containers = [name]) =>
    writeManifest(
      plane,
      `${name}.yaml`,
      `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  annotations:
${Object.entries(annotations)
  .map(([key, value]) => `    ${key}: "${value}"`)
  .join('\n')}
spec:
  restartPolicy: Never
  containers:
${containers.map((c) => `    - { name: ${c}, image: busybox:1.37, resources: { requests: { cpu: 50m, memory: 32Mi } } }`).join('\n')}
`,
    );

  const phase = (name: string) => kubectl('get', 'pod', name, '-o', 'jsonpath={.status.phase}');

  it('prints each line as it is written and returns 0 once the container has stopped', async () => {
    kubectl(
      'apply',
      '-f',
      pod('ticker', { 'sim.podplane.dev/log-every': '300ms', 'sim.podplane.dev/exit-after': '3s' }),
    );
    await untilPrinted(() => phase('ticker'), 'Running', 'ticker to run');
    // What the pod shows when the first line comes out: the container is still running then.
    let phaseAtFirstLine: string | undefined;
    const followed = await follow(['logs', '-f', 'ticker'], () => {
      phaseAtFirstLine ??= phase('ticker');
    });
    expect(followed.stderr).toBe('');
    expect(followed.code).toBe(0);
    expect(followed.lines.map((l) => l.text)).toEqual(ticks(1, 10));
    expect(phaseAtFirstLine).toBe('Running');
    // Lines came out over the container's life, not all at its end.
    const first = followed.lines[0]?.at ?? 0;
    const last = followed.lines.at(-1)?.at ?? 0;
    expect(last - first).toBeGreaterThanOrEqual(1000);
    expect(phase('ticker')).toBe('Succeeded');
  });

  it('starts from the last lines with --tail and stamps each with --timestamps', async () => {
    kubectl(
      'apply',
      '-f',
      pod('stamped', { 'sim.podplane.dev/log-every': '300ms', 'sim.podplane.dev/exit-after': '3s' }),
    );
    await untilPrinted(() => kubectl('logs', 'stamped'), /tick 4\n/, 'four ticks');
    const followed = await follow(['logs', '-f', '--timestamps', '--tail=2', 'stamped']);
    expect(followed.code).toBe(0);
    const printed = followed.lines.map((l) => l.text);
    for (const line of printed) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z tick \d+$/);
    const numbers = printed.map((line) => Number(line.split(' tick ')[1]));
    // The two last of at least four, then every one after, up to the exit.
    expect(numbers[0]).toBeGreaterThanOrEqual(3);
    expect(numbers).toEqual(ticks(numbers[0] ?? 0, 10).map((t) => Number(t.slice(5))));
    const stamps = printed.map((line) => Date.parse(line.split(' ')[0] ?? ''));
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
  });

  it('follows the container named with -c in a pod of two', async () => {
    kubectl(
      'apply',
      '-f',
      pod('pair', { 'sim.podplane.dev/log-every': '300ms', 'sim.podplane.dev/exit-after': '2s' }, [
        'app',
        'sidecar',
      ]),
    );
    await untilPrinted(() => phase('pair'), 'Running', 'pair to run');
    const followed = await follow(['logs', '-f', 'pair', '-c', 'sidecar']);
    expect(followed.code).toBe(0);
    expect(followed.lines.map((l) => l.text)).toEqual(ticks(1, 6));
  });

  it('waits for a pod still starting, then follows it to its end', async () => {
    kubectl(
      'apply',
      '-f',
      pod('late', {
        'sim.podplane.dev/start-delay': '3s',
        'sim.podplane.dev/log-every': '300ms',
        'sim.podplane.dev/exit-after': '2s',
      }),
    );
    expect(phase('late')).toBe('Pending');
    const followed = await follow(['logs', '-f', 'late']);
    expect(followed.stderr).toBe('');
    expect(followed.code).toBe(0);
    expect(followed.lines.map((l) => l.text)).toEqual(ticks(1, 6));
  });
});
