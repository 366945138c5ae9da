import { vi } from 'vitest';
import type { ApiRequest } from '../../functions/core/api/http';
import { handleApiRequest, type ServerDeps } from '../../functions/core/api/server';
import { type FakeStores, fakeStores } from './fakes';

export const now = new Date('2026-03-01T12:00:00Z');

/** The API over in-memory stores, and a `call` that sends one request the way a client would. */
export const apiHarness = (override: Partial<ServerDeps> = {}) => {
  const stores: FakeStores = fakeStores();
  const logError = vi.fn();
  const deps: ServerDeps = {
    pods: stores.pods,
    nodes: stores.nodes,
    namespaces: stores.namespaces,
    events: stores.events,
    logs: { read: async () => '' },
    now: () => now,
    sleep: async () => {},
    logError,
    ...override,
  };
  const call = async (
    method: string,
    path: string,
    options: { body?: unknown; query?: Record<string, string>; headers?: Record<string, string> } = {},
  ) => {
    const request: ApiRequest = {
      method,
      path,
      query: options.query ?? {},
      headers: { 'content-type': 'application/json', ...options.headers },
      ...(options.body === undefined
        ? {}
        : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
    };
    const response = await handleApiRequest(request, deps);
    const json = response.headers['content-type']?.startsWith('application/json')
      ? JSON.parse(response.body)
      : undefined;
    return { ...response, json };
  };
  return { stores, deps, logError, call };
};
