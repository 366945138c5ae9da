import { badRequest } from '../errors';
import type { ApiRequest, ApiResponse } from './http';
import type { FieldSchema, ObjectSchemas } from './object-schema';
import schemas from './object-schema.generated.json' with { type: 'json' };

const known = schemas as unknown as ObjectSchemas;

/**
 * Splits an incoming object into what the kind defines and the paths of fields it does not,
 * as Kubernetes' strict decoding names them (`spec.containers[0].imagePullPolicyy`). The kept
 * object is what gets stored: like the apiserver, podplane never stores unknown fields.
 */
export function pruneUnknownFields(kind: keyof typeof known.roots & string, input: Record<string, unknown>) {
  const root = known.roots[kind];
  if (!root) throw new Error(`no schema for ${kind}`);
  const unknown: string[] = [];
  const walk = (value: unknown, schema: FieldSchema, path: string): unknown => {
    if (value === null || typeof value !== 'object') return value;
    switch (schema.kind) {
      case 'list':
        return Array.isArray(value)
          ? value.map((item, i) => walk(item, schema.items, `${path}[${i}]`))
          : value;
      case 'map':
        return Array.isArray(value)
          ? value
          : Object.fromEntries(
              Object.entries(value).map(([k, v]) => [k, walk(v, schema.values, `${path}.${k}`)]),
            );
      case 'object': {
        if (Array.isArray(value)) return value;
        const fields = known.types[schema.ref] ?? {};
        const kept: Record<string, unknown> = {};
        for (const [key, child] of Object.entries(value)) {
          const field = fields[key];
          const at = path ? `${path}.${key}` : key;
          if (!field) unknown.push(at);
          else kept[key] = walk(child, field, at);
        }
        return kept;
      }
      default:
        return value;
    }
  };
  const object = walk(input, { kind: 'object', ref: root }, '') as Record<string, unknown>;
  return { object, unknown };
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** `?fieldValidation=`: Strict rejects unknown fields, Warn (the default) reports them, Ignore drops them. */
export function fieldValidationOf(request: ApiRequest): FieldValidation {
  const value = request.query.fieldValidation ?? 'Warn';
  if (value !== 'Strict' && value !== 'Warn' && value !== 'Ignore')
    throw badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict"; got "${value}"`);
  return value;
}

/**
 * Applies the request's fieldValidation to an incoming object: the pruned object, and the
 * warnings to send back (as HTTP Warning headers) when unknown fields were dropped.
 */
export function admitFields(kind: 'Pod' | 'Namespace', input: Record<string, unknown>, request: ApiRequest) {
  const mode = fieldValidationOf(request);
  const { object, unknown } = pruneUnknownFields(kind, input);
  const messages = unknown.map((path) => `unknown field "${path}"`);
  if (mode === 'Strict' && messages.length > 0)
    throw badRequest(
      `${kind} in version "v1" cannot be handled as a ${kind}: strict decoding error: ${messages.join(', ')}`,
    );
  return { object, warnings: mode === 'Warn' ? messages : [] };
}

/** Adds `Warning: 299 - "..."` headers, which kubectl prints as `Warning: ...`. */
export function withWarnings(response: ApiResponse, warnings: readonly string[]): ApiResponse {
  if (warnings.length === 0) return response;
  return {
    ...response,
    headers: { ...response.headers, warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') },
  };
}
