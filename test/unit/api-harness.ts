import { expect, vi } from 'vitest';
import type { ApiRequest, ApiResponse } from '../../functions/core/api/http';
import { handleApiRequest, type ServerDeps } from '../../functions/core/api/server';
import type { User } from '../../functions/core/auth/identity';
import { type FakeStores, fakeStores } from './fakes';

export const now = new Date('2026-03-01T12:00:00Z');

export interface CallOptions {
  /** A string is sent as it is, anything else as JSON. */
  readonly body?: unknown;
  /** A binary body (protobuf), as API Gateway hands it over; it wins over `body`. */
  readonly bytes?: Buffer;
  readonly query?: Record<string, string>;
  /** Every value of the parameters a client repeats (`query` keeps the last). */
  readonly queryValues?: Record<string, string[]>;
  /** Over `content-type: application/json`. */
  readonly headers?: Record<string, string>;
  /** The caller, as the authorizer names it. */
  readonly user?: User;
}

/** The API over in-memory stores, and a `call` that sends one request the way a client would. */
export const apiHarness = (override: Partial<ServerDeps> = {}) => {
  const stores: FakeStores = fakeStores();
  const logError = vi.fn();
  // Time stands still but for sleeps, which pass at once and move the clock: a watch held until
  // its deadline ends after its hold, not never.
  let slept = 0;
  const deps: ServerDeps = {
    pods: stores.pods,
    nodes: stores.nodes,
    namespaces: stores.namespaces,
    events: stores.events,
    objects: stores.objects,
    logs: { read: async () => ({ events: [] }) },
    now: () => new Date(now.getTime() + slept),
    sleep: async (ms) => {
      slept += ms;
    },
    logError,
    ...override,
  };
  const call = async (method: string, path: string, options: CallOptions = {}) => {
    const request: ApiRequest = {
      method,
      path,
      query: options.query ?? {},
      ...(options.queryValues ? { queryValues: options.queryValues } : {}),
      headers: { 'content-type': 'application/json', ...options.headers },
      ...(options.bytes
        ? { body: options.bytes.toString('utf8'), bodyBytes: options.bytes }
        : options.body === undefined
          ? {}
          : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
      ...(options.user ? { user: options.user } : {}),
    };
    const answered = await handleApiRequest(request, deps);
    const response = await collected(answered);
    // A watch answers JSON lines (only empty ones when nothing changed): not one JSON value.
    const json =
      response.headers['content-type']?.startsWith('application/json') && !answered.stream
        ? JSON.parse(response.body)
        : undefined;
    return { ...response, json };
  };
  return { stores, deps, logError, call };
};

/**
 * A streamed body (a watch, a log follow) read to its end: with sleeps that pass at once, a
 * watch runs until its timeout on the harness's clock in moments.
 */
export async function collected(response: ApiResponse): Promise<ApiResponse> {
  if (!response.stream) return response;
  const chunks = [response.body];
  await response.stream(async (chunk) => {
    chunks.push(chunk);
  }, new AbortController().signal);
  const { stream: _, ...whole } = response;
  return { ...whole, body: chunks.join('') };
}

/**
 * What the API answers whatever it is sent: never a 5xx, and each 4xx a Status with its own
 * code. Returns whether the request was refused (4xx), when it must have changed nothing.
 */
export const expectNoFault = (response: ApiResponse): boolean => {
  expect(response.statusCode).toBeLessThan(500);
  if (response.statusCode < 400) return false;
  expect(JSON.parse(response.body)).toMatchObject({
    kind: 'Status',
    status: 'Failure',
    code: response.statusCode,
  });
  return true;
};
