import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { callApi } from '../../local/api-client';

export interface RunningControlPlane {
  readonly url: string;
  readonly stateDir: string;
  readonly kubeconfig: string;
  readonly dynamoDbPid: number;
  readonly child: ChildProcess;
  output(): string;
  /** Ctrl-C, as a user would; resolves with the exit code. */
  interrupt(): Promise<number | null>;
}

/**
 * Runs `npm start`'s program in its own process on a free port, and waits for its ready line.
 * `detached`: in a process group of its own (its pid is the group's), which DynamoDB Local's
 * Java process joins, so a test can kill the whole plane at once, as a crash would.
 */
export async function startCli(
  stateDir: string,
  extraArgs: string[] = [],
  options: { detached?: boolean } = {},
): Promise<RunningControlPlane> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bin/podplane.ts', '--port', '0', '--state-dir', stateDir, ...extraArgs],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.detached ? { detached: true } : {}),
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!/ready at (https:\/\/\S+)/.test(output)) {
    if (child.exitCode !== null) throw new Error(`podplane exited early:\n${output}`);
    if (Date.now() > deadline) {
      // Ctrl-C, so the plane stops the DynamoDB Local it started (a SIGKILL would orphan it).
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      throw new Error(`podplane did not become ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /ready at (https:\/\/\S+)/.exec(output)?.[1] ?? '';
  const dynamoDbPid = Number(/DynamoDB Local: pid (\d+)/.exec(output)?.[1]);
  return {
    url,
    stateDir,
    kubeconfig: join(stateDir, 'kubeconfig'),
    dynamoDbPid,
    child,
    output: () => output,
    interrupt: async () => {
      child.kill('SIGINT');
      return exited;
    },
  };
}

/**
 * A control plane for the enclosing `describe` (or file): a fresh state directory named after
 * `prefix` now, `startCli(stateDir, args)` in beforeAll, and in afterAll Ctrl-C (unless a test
 * stopped it already) and the directory removed. What it returns stands for the running plane:
 * `stateDir` and `kubeconfig` are known at once, the rest once beforeAll has started it.
 */
export function useControlPlane(prefix: string, args: string[] = []): RunningControlPlane {
  const stateDir = mkdtempSync(join(tmpdir(), prefix));
  let started: RunningControlPlane | undefined;
  const running = (): RunningControlPlane => {
    if (!started)
      throw new Error(`the control plane in ${stateDir} has not started (use it in tests and hooks)`);
    return started;
  };
  // Longer than startCli's own deadline, so a slow start is ended (and its processes stopped)
  // by startCli, never left running behind a hook that timed out.
  beforeAll(async () => {
    started = await startCli(stateDir, args);
  }, 90_000);
  afterAll(async () => {
    if (started && started.child.exitCode === null) await started.interrupt();
    rmSync(stateDir, { recursive: true, force: true });
  });
  return {
    stateDir,
    kubeconfig: join(stateDir, 'kubeconfig'),
    get url() {
      return running().url;
    },
    get dynamoDbPid() {
      return running().dynamoDbPid;
    },
    get child() {
      return running().child;
    },
    output: () => running().output(),
    interrupt: () => running().interrupt(),
  };
}

/** Writes `text` to `name` in the plane's state directory (a manifest for `kubectl -f`); its path. */
export function writeManifest(
  plane: Pick<RunningControlPlane, 'stateDir'>,
  name: string,
  text: string,
): string {
  const file = join(plane.stateDir, name);
  writeFileSync(file, text);
  return file;
}

export interface KubectlOptions {
  /** Another kubeconfig than the plane's own (a minted token's). */
  readonly kubeconfig?: string;
  /** kubectl's --cache-dir, a directory in the state directory; false for none (kubectl's default). */
  readonly cacheDir?: string | false;
  /** Kills kubectl after this many milliseconds. */
  readonly timeout?: number;
  readonly cwd?: string;
}

export interface KubectlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout then stderr, as a terminal shows them. */
  readonly out: string;
}

/**
 * The kubectl on this machine against `plane`: its kubeconfig, and a discovery cache in its
 * state directory. `run` returns what a command prints and throws if it fails; `fails` returns
 * what a command that must fail prints (stdout then stderr) and throws if it succeeds; `status`
 * returns the exit code and output, whatever the code.
 */
export function kubectlFor(
  plane: Pick<RunningControlPlane, 'stateDir' | 'kubeconfig'>,
  options: KubectlOptions = {},
) {
  const { cacheDir = 'cache', timeout, cwd } = options;
  const withFlags = (args: string[]) => [
    '--kubeconfig',
    options.kubeconfig ?? plane.kubeconfig,
    ...(cacheDir === false ? [] : ['--cache-dir', join(plane.stateDir, cacheDir)]),
    ...args,
  ];
  const spawning = { encoding: 'utf8' as const, ...(timeout ? { timeout } : {}), ...(cwd ? { cwd } : {}) };
  const run = (...args: string[]): string =>
    execFileSync('kubectl', withFlags(args), { ...spawning, stdio: ['ignore', 'pipe', 'pipe'] });
  return {
    run,
    fails(...args: string[]): string {
      try {
        run(...args);
      } catch (error) {
        const failure = error as { stdout: string; stderr: string };
        return `${failure.stdout}${failure.stderr}`;
      }
      throw new Error(`kubectl ${args.join(' ')} succeeded`);
    },
    status(...args: string[]): KubectlResult {
      const result = spawnSync('kubectl', withFlags(args), spawning);
      return {
        code: result.status,
        stdout: result.stdout,
        stderr: result.stderr,
        out: `${result.stdout}${result.stderr}`,
      };
    },
  };
}

export interface HttpResult {
  readonly status: number;
  readonly body: string;
  json<T = Record<string, unknown>>(): T;
}

/** An HTTPS call that trusts the control plane's CA and sends its bearer token, like curl in the README. */
export async function call(
  plane: RunningControlPlane,
  method: string,
  path: string,
  options: { body?: string; contentType?: string; token?: string | null } = {},
): Promise<HttpResult> {
  const ca = readFileSync(join(plane.stateDir, 'ca.crt'));
  const token =
    options.token === undefined ? readFileSync(join(plane.stateDir, 'token'), 'utf8').trim() : options.token;
  const reply = await callApi(
    { url: plane.url, ca, ...(token ? { token } : {}) },
    method,
    path,
    options.body
      ? { text: options.body, ...(options.contentType ? { contentType: options.contentType } : {}) }
      : undefined,
  );
  return { ...reply, json: () => JSON.parse(reply.body) };
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether this machine has kubectl; the kubectl tests are skipped (and say so) without it. */
export const hasKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Polls every `intervalMs` until `accept` holds, failing with the last value seen after `timeoutMs`. */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  accept: (value: T) => boolean,
  what: string,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last saw ${JSON.stringify(value)?.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Polls what a kubectl command prints until it matches `expected` (a pattern, or the whole
 * text): every 200 ms, for up to 20 s.
 */
export const untilPrinted = (print: () => string, expected: RegExp | string, what: string): Promise<string> =>
  eventually(
    // A command that fails for now (a pod still starting has no log yet) has printed nothing yet.
    async () => {
      try {
        return print();
      } catch {
        return '';
      }
    },
    (printed) => (typeof expected === 'string' ? printed === expected : expected.test(printed)),
    what,
    20_000,
    200,
  );
