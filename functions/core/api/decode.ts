import { badRequest, invalid } from '../errors';
import type { ApiRequest, ApiResponse } from './http';
import type { FieldSchema, ObjectSchemas, ScalarType } from './object-schema';
import schemas from './object-schema.generated.json' with { type: 'json' };

const known = schemas as unknown as ObjectSchemas;

export type SchemaKind =
  | 'Pod'
  | 'Namespace'
  | 'Node'
  | 'DeleteOptions'
  | 'PodDisruptionBudget'
  | 'Eviction'
  | 'SelfSubjectAccessReview'
  | 'SelfSubjectRulesReview';

/**
 * A value whose JSON type the field's Go type cannot hold. kube-apiserver's decoder stops at the
 * first one; the message is Go's (`json: cannot unmarshal object into Go struct field
 * ObjectMeta.metadata.name of type string`), so clients see the words they know.
 */
export class DecodeError extends Error {}

/** Sets an own property even for `__proto__`: request keys must never reach a prototype. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const jsonKindOf = (value: unknown) =>
  Array.isArray(value)
    ? 'array'
    : typeof value === 'object'
      ? 'object'
      : typeof value === 'boolean'
        ? 'bool'
        : typeof value === 'number'
          ? `number ${value}`
          : typeof value;

const goScalar: Readonly<Record<ScalarType, string>> = {
  string: 'string',
  integer: 'int64',
  number: 'float64',
  boolean: 'bool',
  'int-or-string': 'intstr.IntOrString',
  quantity: 'resource.Quantity',
  any: 'interface {}',
};

function goTypeOf(schema: FieldSchema): string {
  switch (schema.kind) {
    case 'scalar':
      return schema.format ?? goScalar[schema.type];
    case 'list':
      return `[]${goTypeOf(schema.items)}`;
    case 'map':
      return `map[string]${goTypeOf(schema.values)}`;
    case 'object':
      return `v1.${typeName(schema.ref)}`;
  }
}

const typeName = (ref: string) => ref.split('.').pop() ?? ref;

function scalarFits(type: ScalarType, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'int-or-string':
      return typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));
    case 'quantity':
      return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
    case 'any':
      return true;
  }
}

/** An int32 field holds only what an int32 holds. */
const fitsFormat = (format: 'int32' | 'int64' | undefined, value: unknown) =>
  format !== 'int32' || (typeof value === 'number' && value >= -2147483648 && value <= 2147483647);

/** What Go's decoder leaves where JSON says null inside a list or map: the element's zero value. */
function zeroOf(schema: FieldSchema): unknown {
  if (schema.kind === 'object') return {};
  if (schema.kind === 'list') return [];
  if (schema.kind === 'map') return {};
  switch (schema.type) {
    case 'string':
      return '';
    case 'quantity':
      return '0';
    case 'integer':
    case 'number':
    case 'int-or-string':
      return 0;
    case 'boolean':
      return false;
    case 'any':
      return null;
  }
}

const isEmptyCollection = (schema: FieldSchema, value: unknown) =>
  (schema.kind === 'map' && Object.keys(value as object).length === 0) ||
  (schema.kind === 'list' && (value as unknown[]).length === 0);

/**
 * Decodes an incoming object as the kind's Go type would: every value is checked against its
 * field's type before anything reads it (a wrong type throws DecodeError), JSON nulls are left
 * out as Go leaves them zero, and fields the kind does not define are dropped and named as
 * strict decoding names them (`spec.containers[0].imagePullPolicyy`). The result is what gets
 * stored: like the apiserver, podplane never stores unknown fields.
 */
export function decodeObject(kind: SchemaKind, input: Record<string, unknown>) {
  const root = known.roots[kind];
  if (!root) throw new Error(`no schema for ${kind}`);
  const unknown: string[] = [];
  // `goPath` is Go's field path (no list indexes), `at` the strict-decoding path (with them).
  const walk = (value: unknown, schema: FieldSchema, at: string, goPath: string, struct: string): unknown => {
    const refuse = (): never => {
      throw new DecodeError(
        `json: cannot unmarshal ${jsonKindOf(value)} into Go struct field ${struct}.${goPath} of type ${goTypeOf(schema)}`,
      );
    };
    switch (schema.kind) {
      case 'scalar':
        return scalarFits(schema.type, value) && fitsFormat(schema.format, value) ? value : refuse();
      case 'list':
        if (!Array.isArray(value)) return refuse();
        return value.map((item, i) =>
          item === null ? zeroOf(schema.items) : walk(item, schema.items, `${at}[${i}]`, goPath, struct),
        );
      case 'map': {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse();
        const kept: Record<string, unknown> = {};
        for (const [key, child] of Object.entries(value))
          setOwn(
            kept,
            key,
            child === null
              ? zeroOf(schema.values)
              : walk(child, schema.values, `${at}.${key}`, goPath, struct),
          );
        return kept;
      }
      case 'object': {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse();
        const fields = known.types[schema.ref] ?? {};
        const kept: Record<string, unknown> = {};
        for (const [key, child] of Object.entries(value)) {
          const field = Object.hasOwn(fields, key) ? fields[key] : undefined;
          const childAt = at ? `${at}.${key}` : key;
          if (!field) unknown.push(childAt);
          else if (child !== null) {
            const value = walk(
              child,
              field,
              childAt,
              goPath ? `${goPath}.${key}` : key,
              typeName(schema.ref),
            );
            // Kubernetes' maps and lists are `omitempty`: an empty one is not there once decoded
            // and encoded again, so `annotations: {}` is no annotations, as apiserver stores it.
            // An empty managedFields is a request to clear them, which the field manager reads.
            if (key === 'managedFields' || !isEmptyCollection(field, value)) setOwn(kept, key, value);
          }
        }
        return kept;
      }
    }
  };
  const object = walk(input, { kind: 'object', ref: root }, '', '', kind) as Record<string, unknown>;
  return { object, unknown };
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** `?fieldValidation=`: Strict rejects unknown fields, Warn (the default) reports them, Ignore drops them. */
export function fieldValidationOf(request: ApiRequest): FieldValidation {
  const value = request.query.fieldValidation || 'Warn';
  if (value !== 'Strict' && value !== 'Warn' && value !== 'Ignore')
    throw badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict"; got "${value}"`);
  return value;
}

/** The kind's group/version as apiserver names it in decode errors (`v1`, `authorization.k8s.io/v1`). */
function groupVersionOf(kind: SchemaKind): string {
  const [module = ''] = (known.roots[kind] ?? '').split('.');
  const [group, version] = module.split('/');
  if (group === 'core' || group === 'meta') return `${version}`;
  return group === 'policy' ? `${group}/${version}` : `${group}.k8s.io/${version}`;
}

const cannotBeHandled = (kind: SchemaKind, message: string) =>
  badRequest(`${kind} in version "${groupVersionOf(kind)}" cannot be handled as a ${kind}: ${message}`);

/** Decodes and applies the request's fieldValidation; a DecodeError is left to the caller to word. */
function decodeValidated(kind: SchemaKind, input: Record<string, unknown>, request: ApiRequest) {
  const mode = fieldValidationOf(request);
  const { object, unknown } = decodeObject(kind, input);
  const messages = unknown.map((path) => `unknown field "${path}"`);
  if (mode === 'Strict' && messages.length > 0)
    throw cannotBeHandled(kind, `strict decoding error: ${messages.join(', ')}`);
  return { object, warnings: mode === 'Warn' ? messages : [] };
}

/**
 * Decodes a request body into the kind and applies the request's fieldValidation: the decoded
 * object, and the warnings to send back (as HTTP Warning headers) when unknown fields were
 * dropped. A body that does not decode is apiserver's 400 "cannot be handled as a Pod".
 */
export function admitFields(kind: SchemaKind, input: Record<string, unknown>, request: ApiRequest) {
  try {
    return decodeValidated(kind, input, request);
  } catch (error) {
    if (error instanceof DecodeError) throw cannotBeHandled(kind, error.message);
    throw error;
  }
}

/**
 * A patched object is decoded like a body, but apiserver reports a patch whose result does not
 * decode as 422 Invalid on the field `patch`: the patch was well-formed, its result is not.
 */
export function admitPatched(kind: SchemaKind, name: string, patched: unknown, request: ApiRequest) {
  const patchInvalid = (message: string) =>
    invalid(kind, name, [
      { field: 'patch', reason: 'FieldValueInvalid', message: `Invalid value: ${message}` },
    ]);
  if (typeof patched !== 'object' || patched === null || Array.isArray(patched))
    throw patchInvalid(`json: cannot unmarshal ${jsonKindOf(patched)} into Go value of type v1.${kind}`);
  try {
    return decodeValidated(kind, patched as Record<string, unknown>, request);
  } catch (error) {
    if (error instanceof DecodeError) throw patchInvalid(error.message);
    throw error;
  }
}

/** Adds `Warning: 299 - "..."` headers, which kubectl prints as `Warning: ...`. */
export function withWarnings(response: ApiResponse, warnings: readonly string[]): ApiResponse {
  if (warnings.length === 0) return response;
  return {
    ...response,
    headers: { ...response.headers, warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') },
  };
}
