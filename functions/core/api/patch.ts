import { ApiError, badRequest } from '../errors';
import { setOwn } from './decode';
import { strategicMerge } from './strategic-merge';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (value: unknown): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** JSON merge patch (RFC 7386). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else setOwn(result, key, mergePatch(Object.hasOwn(result, key) ? result[key] : undefined, value));
  }
  return result;
}

/** The object a non-apply patch makes of the current one, by the patch's content type. */
export function applyPatch(type: string, current: unknown, patch: unknown): unknown {
  if (type === 'application/json-patch+json') return jsonPatch(current, patch);
  if (type === 'application/strategic-merge-patch+json') return strategicMerge(current, patch);
  return mergePatch(current, patch);
}

interface Operation {
  readonly op: string;
  readonly path: string;
  readonly from?: string;
  readonly value?: unknown;
}

/** JSON patch (RFC 6902): add, remove, replace, move, copy, test. */
export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw badRequest('a JSON patch must be an array of operations');
  let document = structuredClone(target);
  for (const raw of operations) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string')
      throw badRequest('every JSON patch operation needs "op" and "path"');
    const operation = raw as unknown as Operation;
    switch (operation.op) {
      case 'add':
        document = put(document, pointer(operation.path), operation.value, 'add');
        break;
      case 'replace':
        document = put(document, pointer(operation.path), operation.value, 'replace');
        break;
      case 'remove':
        document = remove(document, pointer(operation.path));
        break;
      case 'move': {
        const value = get(document, pointer(operation.from ?? ''));
        document = put(
          remove(document, pointer(operation.from ?? '')),
          pointer(operation.path),
          value,
          'add',
        );
        break;
      }
      case 'copy':
        document = put(
          document,
          pointer(operation.path),
          structuredClone(get(document, pointer(operation.from ?? ''))),
          'add',
        );
        break;
      case 'test':
        if (JSON.stringify(get(document, pointer(operation.path))) !== JSON.stringify(operation.value))
          throw new ApiError(422, 'Invalid', `the test operation on ${operation.path} failed`);
        break;
      default:
        throw badRequest(`unknown JSON patch operation "${operation.op}"`);
    }
  }
  return document;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function get(document: unknown, tokens: string[]): unknown {
  let current = document;
  for (const token of tokens) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isObject(current)) current = Object.hasOwn(current, token) ? current[token] : undefined;
    else current = undefined;
    if (current === undefined)
      throw new ApiError(422, 'Invalid', `the path /${tokens.join('/')} does not exist`);
  }
  return current;
}

function put(document: unknown, tokens: string[], value: unknown, mode: 'add' | 'replace'): unknown {
  if (tokens.length === 0) return value;
  const parent = get(document, tokens.slice(0, -1));
  const last = tokens.at(-1) as string;
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length - (mode === 'replace' ? 1 : 0))
      throw new ApiError(422, 'Invalid', `index ${last} is out of range`);
    parent.splice(index, mode === 'replace' ? 1 : 0, value as Json);
  } else if (isObject(parent)) {
    if (mode === 'replace' && !Object.hasOwn(parent, last))
      throw new ApiError(422, 'Invalid', `the path /${tokens.join('/')} does not exist`);
    setOwn(parent, last, value);
  } else
    throw new ApiError(
      422,
      'Invalid',
      `the path /${tokens.slice(0, -1).join('/')} is not an object or array`,
    );
  return document;
}

function remove(document: unknown, tokens: string[]): unknown {
  if (tokens.length === 0) throw badRequest('cannot remove the whole document');
  const parent = get(document, tokens.slice(0, -1));
  const last = tokens.at(-1) as string;
  get(document, tokens);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isObject(parent)) delete parent[last];
  return document;
}
