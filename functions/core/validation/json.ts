import type { FieldError } from '../errors';
import { wrongType } from './field-errors';

/**
 * Readers for a pod that came straight from a user's JSON or YAML: each returns the value when it
 * has the expected JSON type, records a FieldValueInvalid error when it has another, and treats
 * `null` like an absent field (as Go's JSON decoder does). Nothing here throws.
 */

export type JsonObject = Record<string, unknown>;

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An own property only: `constructor` or `toString` of a plain object are not fields. */
export const get = (object: JsonObject, key: string): unknown =>
  Object.hasOwn(object, key) ? object[key] : undefined;

const absent = (value: unknown) => value === undefined || value === null;

export function readString(
  object: JsonObject,
  key: string,
  path: string,
  errors: FieldError[],
): string | undefined {
  const value = get(object, key);
  if (absent(value)) return undefined;
  if (typeof value === 'string') return value;
  errors.push(wrongType(path, value, 'string'));
  return undefined;
}

export function readInteger(
  object: JsonObject,
  key: string,
  path: string,
  errors: FieldError[],
): number | undefined {
  const value = get(object, key);
  if (absent(value)) return undefined;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  errors.push(wrongType(path, value, 'integer'));
  return undefined;
}

export function readObject(
  object: JsonObject,
  key: string,
  path: string,
  errors: FieldError[],
): JsonObject | undefined {
  return asObject(get(object, key), path, errors);
}

export function asObject(value: unknown, path: string, errors: FieldError[]): JsonObject | undefined {
  if (absent(value)) return undefined;
  if (isObject(value)) return value;
  errors.push(wrongType(path, value, 'object'));
  return undefined;
}

export function readArray(
  object: JsonObject,
  key: string,
  path: string,
  errors: FieldError[],
): unknown[] | undefined {
  const value = get(object, key);
  if (absent(value)) return undefined;
  if (Array.isArray(value)) return value;
  errors.push(wrongType(path, value, 'array'));
  return undefined;
}

/** The entries of a `map[string]string` (labels, annotations, nodeSelector); others are reported. */
export function readStringMap(
  object: JsonObject,
  key: string,
  path: string,
  errors: FieldError[],
): [string, string][] {
  const map = readObject(object, key, path, errors);
  if (!map) return [];
  const entries: [string, string][] = [];
  for (const [name, value] of Object.entries(map)) {
    if (typeof value === 'string') entries.push([name, value]);
    else if (!absent(value)) errors.push(wrongType(`${path}[${name}]`, value, 'string'));
  }
  return entries;
}

/** The objects of an array field, each at `path[i]`; elements that are not objects are reported. */
export function readObjects(
  object: JsonObject,
  key: string,
  path: string,
  errors: FieldError[],
): { item: JsonObject; at: string; index: number }[] {
  const list = readArray(object, key, path, errors) ?? [];
  const items: { item: JsonObject; at: string; index: number }[] = [];
  list.forEach((value, index) => {
    const at = `${path}[${index}]`;
    if (isObject(value)) items.push({ item: value, at, index });
    else errors.push(wrongType(at, value, 'object'));
  });
  return items;
}
