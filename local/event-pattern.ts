/**
 * The part of Lambda event filtering and EventBridge pattern matching that podplane's wiring
 * uses: nested objects, lists of allowed values, `exists` and `prefix`. A key missing from the
 * pattern matches anything; a list matches when the value (or any element of it) is listed.
 */
export type Pattern = { readonly [key: string]: Pattern | readonly PatternValue[] };
type PatternValue =
  | string
  | number
  | boolean
  | null
  | { readonly exists?: boolean; readonly prefix?: string };

export function matchesPattern(value: unknown, pattern: Pattern): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const field = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(rule)) return matchesValues(field, rule);
    return field !== undefined && matchesPattern(field, rule as Pattern);
  });
}

function matchesValues(field: unknown, allowed: readonly PatternValue[]): boolean {
  const candidates = Array.isArray(field) ? field : [field];
  return allowed.some((rule) => {
    if (rule !== null && typeof rule === 'object') {
      if (rule.exists !== undefined) return rule.exists === (field !== undefined);
      if (rule.prefix !== undefined)
        return candidates.some((c) => typeof c === 'string' && c.startsWith(rule.prefix ?? ''));
      return false;
    }
    return field !== undefined && candidates.some((c) => c === rule);
  });
}
