import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { ClientRequest, IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type ApiReply, callApi } from '../../local/api-client';
import { type ControlPlane, startControlPlane } from '../../local/control-plane';
import { eventually } from './control-plane';

/**
 * A control plane in the test's own process (what `npm start` runs, without the CLI around it),
 * for tests that must see the server side: its Lambda invocation counts, and the handlers'
 * DynamoDB calls. The server shares the test's event loop, so nothing here may block it:
 * kubectl runs asynchronously (`kubectlAsync`), never with execFileSync.
 */
export interface InProcessPlane {
  readonly stateDir: string;
  readonly kubeconfig: string;
  readonly handle: ControlPlane;
}

export function useInProcessPlane(prefix: string, nodes = 3): InProcessPlane {
  const stateDir = mkdtempSync(join(tmpdir(), prefix));
  let started: ControlPlane | undefined;
  beforeAll(async () => {
    started = await startControlPlane({ port: 0, stateDir, nodes });
  });
  afterAll(async () => {
    await started?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });
  return {
    stateDir,
    kubeconfig: join(stateDir, 'kubeconfig'),
    get handle() {
      if (!started) throw new Error(`the control plane in ${stateDir} has not started`);
      return started;
    },
  };
}

/** One HTTPS call with the plane's CA and token; `ms` is how long until the whole body arrived. */
export async function api(
  plane: InProcessPlane,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiReply & { ms: number; json<T = Record<string, unknown>>(): T }> {
  const started = Date.now();
  const reply = await callApi(
    { url: plane.handle.url, ca: readFileSync(plane.handle.caCertPath), token: plane.handle.token },
    method,
    path,
    body === undefined ? undefined : { text: JSON.stringify(body) },
  );
  return { ...reply, ms: Date.now() - started, json: () => JSON.parse(reply.body) };
}

export interface WatchEvent {
  readonly type: string;
  // biome-ignore lint/suspicious/noExplicitAny: a watch event's object is whatever kind was watched.
  readonly object: any;
  /** When its line arrived (Date.now()). */
  readonly at: number;
}

/** A raw streaming GET, read line by line as the bytes arrive. */
export interface OpenWatch {
  readonly request: ClientRequest;
  /** Resolves with the status and headers as soon as they arrive. */
  readonly response: Promise<{ status: number; headers: IncomingHttpHeaders; at: number }>;
  readonly events: WatchEvent[];
  /** When the first body bytes arrived, if they have. */
  firstByteAt(): number | undefined;
  /** When the body ended (the server closed it), if it has. */
  endedAt(): number | undefined;
  /** Resolves when the body ends or the request fails (then with the error's message). */
  readonly done: Promise<string | undefined>;
  text(): string;
}

export function openWatch(plane: InProcessPlane, path: string): OpenWatch {
  const events: WatchEvent[] = [];
  let text = '';
  let pending = '';
  let firstByteAt: number | undefined;
  let endedAt: number | undefined;
  let resolveResponse!: (value: { status: number; headers: IncomingHttpHeaders; at: number }) => void;
  let resolveDone!: (error: string | undefined) => void;
  const response = new Promise<{ status: number; headers: IncomingHttpHeaders; at: number }>((resolve) => {
    resolveResponse = resolve;
  });
  const done = new Promise<string | undefined>((resolve) => {
    resolveDone = resolve;
  });
  const req = request(
    new URL(path, plane.handle.url),
    {
      method: 'GET',
      ca: readFileSync(plane.handle.caCertPath),
      headers: { authorization: `Bearer ${plane.handle.token}` },
    },
    (res) => {
      resolveResponse({ status: res.statusCode ?? 0, headers: res.headers, at: Date.now() });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = Date.now();
        firstByteAt ??= at;
        text += chunk;
        pending += chunk;
        for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          if (line) {
            try {
              const parsed = JSON.parse(line) as { type: string; object: unknown };
              events.push({ type: parsed.type, object: parsed.object, at });
            } catch {
              // a non-streamed body (a Status) is read whole from text()
            }
          }
        }
      });
      res.on('end', () => {
        endedAt = Date.now();
        resolveDone(undefined);
      });
      res.on('error', (error) => resolveDone(error.message));
    },
  );
  req.on('error', (error) => resolveDone(error.message));
  req.end();
  return {
    request: req,
    response,
    events,
    firstByteAt: () => firstByteAt,
    endedAt: () => endedAt,
    done,
    text: () => text,
  };
}

export interface KubectlRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** kubectl against the plane, run asynchronously (the server shares this process's event loop). */
export function kubectlAsync(plane: InProcessPlane, args: string[], timeoutMs = 90_000): Promise<KubectlRun> {
  const started = Date.now();
  const child = spawnKubectl(plane, args);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

export function spawnKubectl(plane: InProcessPlane, args: string[]) {
  return spawn(
    'kubectl',
    ['--kubeconfig', plane.kubeconfig, '--cache-dir', join(plane.stateDir, 'cache'), ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** `eventually` with the longer deadline the watch tests need on a loaded machine. */
export const until = <T>(
  probe: () => T | Promise<T>,
  accept: (value: T) => boolean,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> => eventually(probe, accept, what, timeoutMs, intervalMs);
