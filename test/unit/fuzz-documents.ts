import fc from 'fast-check';

type Json = unknown;

/** Replaces the value at a path of the document (or deletes it) with another JSON value. */
function mutate(document: Json, path: readonly number[], replacement: Json, remove: boolean): Json {
  if (path.length === 0 || document === null || typeof document !== 'object') return replacement;
  const keys = Object.keys(document as object);
  if (keys.length === 0) return replacement;
  const key = keys[(path[0] as number) % keys.length] as string;
  const copy: Record<string, Json> | Json[] = Array.isArray(document)
    ? [...document]
    : { ...(document as Record<string, Json>) };
  if (remove && path.length === 1) {
    if (Array.isArray(copy)) copy.splice(Number(key), 1);
    else delete copy[key];
    return copy;
  }
  (copy as Record<string, Json>)[key] = mutate(
    (document as Record<string, Json>)[key],
    path.slice(1),
    replacement,
    remove,
  );
  return copy;
}

/**
 * A valid document with one value, at any depth, replaced by another (or removed), as JSON
 * text: the input that finds what a schema check forgot.
 */
export const mangledJson = (
  document: Json,
  replacement: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 3 }),
) =>
  fc
    .record({ path: fc.array(fc.nat(20), { maxLength: 6 }), replacement, remove: fc.boolean() })
    .map(({ path, replacement: value, remove }) => JSON.stringify(mutate(document, path, value, remove)));
