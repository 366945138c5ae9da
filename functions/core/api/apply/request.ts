import { isScalar, LineCounter, parseDocument, visit } from 'yaml';
import { ApiError, badRequest } from '../../errors';
import { maxRequestBytes } from '../body';
import { fieldValidationOf } from '../decode';
import type { ApiRequest } from '../http';
import { queryBool } from '../query';
import type { JsonObject } from './managed-fields';

/**
 * What a PATCH request says before any object is read: its patch type, its PatchOptions, who
 * manages the fields it writes, and, for server-side apply, the configuration it applies.
 */

export const applyPatchType = 'application/apply-patch+yaml';

/** The patch types kube-apiserver accepts on a resource, in the order its 415 lists them. */
export const patchTypes = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  applyPatchType,
] as const;

export type PatchType = (typeof patchTypes)[number];

/**
 * The request's patch type, its body size and its PatchOptions checked in apiserver's order:
 * 415 for a type it does not take, 413 for a body over the limit, then ValidatePatchOptions'
 * 422s: apply needs a fieldManager, and `force` belongs to apply alone.
 */
export function patchTypeOf(request: ApiRequest): PatchType {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (!patchTypes.includes(type as PatchType))
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${patchTypes.join(', ')}`,
    );
  if (Buffer.byteLength(request.body ?? '') > maxRequestBytes)
    throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
  if (type === applyPatchType) {
    if (!request.query.fieldManager)
      throw invalidPatchOptions(
        'fieldManager',
        'FieldValueRequired',
        'Required value: is required for apply patch',
      );
  } else if (request.query.force !== undefined)
    throw invalidPatchOptions(
      'force',
      'FieldValueForbidden',
      'Forbidden: may not be specified for non-apply patch',
    );
  return type as PatchType;
}

/** `PatchOptions.meta.k8s.io "" is invalid: ...`, with the cause's own reason. */
function invalidPatchOptions(field: string, reason: string, message: string): ApiError {
  return new ApiError(422, 'Invalid', `PatchOptions.meta.k8s.io "" is invalid: ${field}: ${message}`, {
    group: 'meta.k8s.io',
    kind: 'PatchOptions',
    causes: [{ reason, message, field }],
  });
}

/** `force` (a Go bool, type-checked by checkQuery): whether an apply takes fields from others. */
export const forceOf = (request: ApiRequest): boolean => queryBool(request, 'force') ?? false;

/**
 * The field manager of a write: `fieldManager` when given, else what the User-Agent names before
 * its first `/`, printable characters only, at most 128 bytes (apiserver's managerOrUserAgent;
 * kubectl/v1.32.4 (linux/amd64) is `kubectl`).
 */
export function fieldManagerOf(request: ApiRequest): string {
  if (request.query.fieldManager) return request.query.fieldManager;
  const prefix = (request.headers['user-agent'] ?? '').split('/')[0] ?? '';
  let manager = '';
  for (const char of prefix) {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(char)) continue;
    if (Buffer.byteLength(manager + char) > 128) break;
    manager += char;
  }
  return manager;
}

export interface ApplyConfiguration {
  readonly config: JsonObject;
  /** Strict-decoding complaints (duplicate keys), for fieldValidation to refuse or warn about. */
  readonly strictErrors: readonly string[];
}

/**
 * The body of an apply patch: YAML (JSON is YAML). Undecodable YAML is apiserver's 400 "error
 * encoding patch", a document that is not a mapping its 400 "error decoding patch".
 */
export function parseApplyConfiguration(request: ApiRequest): ApplyConfiguration {
  const lineCounter = new LineCounter();
  const document = parseDocument(request.body ?? '', {
    uniqueKeys: false,
    logLevel: 'error',
    lineCounter,
  });
  const [error] = document.errors;
  if (error) throw badRequest(`error encoding patch: ${error.message.split('\n')[0]}`);
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (failure) {
    throw badRequest(
      `error encoding patch: ${failure instanceof Error ? failure.message.split('\n')[0] : 'invalid'}`,
    );
  }
  if (value === null || value === undefined) value = {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw badRequest(
      `error decoding patch: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${Array.isArray(value) ? 'array' : typeof value === 'string' ? 'string' : typeof value === 'boolean' ? 'bool' : 'number'} into Go value of type map[string]interface {}`,
    );
  const strictErrors: string[] = [];
  visit(document, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const item of map.items) {
        const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
        if (seen.has(key)) {
          const line = lineCounter.linePos(
            item.key && isScalar(item.key) ? (item.key.range?.[0] ?? 0) : 0,
          ).line;
          strictErrors.push(`line ${line}: key ${JSON.stringify(key)} already set in map`);
        }
        seen.add(key);
      }
    },
  });
  return { config: sanitized(value) as JsonObject, strictErrors };
}

/** Plain JSON from what the YAML parser made: own properties only, no prototypes reached. */
function sanitized(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sanitized);
  if (value instanceof Map) return sanitized(Object.fromEntries(value));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value))
      Object.defineProperty(out, key, {
        value: sanitized(child),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  return value;
}

/**
 * The apply patcher's strict decoding after a successful apply: with fieldValidation=Strict a
 * duplicated key is a 400, with Warn (the default) a warning, with Ignore nothing.
 */
export function strictApplyWarnings(parsed: ApplyConfiguration, request: ApiRequest): string[] {
  if (parsed.strictErrors.length === 0) return [];
  const message = `yaml: unmarshal errors:\n  ${parsed.strictErrors.join('\n  ')}`;
  const mode = fieldValidationOf(request);
  if (mode === 'Strict') throw badRequest(`error strict decoding patch: ${message}`);
  return mode === 'Warn' ? [message] : [];
}
