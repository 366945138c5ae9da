import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** Runs `npm start`'s program in its own process on a free port, and waits for its ready line. */
export async function startCli(stateDir: string, extraArgs: string[] = []): Promise<RunningControlPlane> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bin/podplane.ts', '--port', '0', '--state-dir', stateDir, ...extraArgs],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
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
      child.kill('SIGKILL');
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

/** Polls until `accept` holds, failing with the last value seen after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last saw ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
