import type { FieldError } from '../errors';

/**
 * Constructors for the field errors of k8s.io/apimachinery/pkg/util/validation/field, with the
 * message body (`ErrorBody`) the apiserver puts in `details.causes[].message`.
 */

/** Go's `%q` for a string: printable characters kept, the rest escaped (strconv.Quote). */
export function goQuote(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (char in goEscapes) out += goEscapes[char];
    else if (isPrintable(char)) out += char;
    else if (code < 0x80) out += `\\x${hex(code, 2)}`;
    // JSON decoding turns a lone surrogate into U+FFFD, which Go prints as is.
    else if (code >= 0xd800 && code <= 0xdfff) out += '\ufffd';
    else if (code < 0x10000) out += `\\u${hex(code, 4)}`;
    else out += `\\U${hex(code, 8)}`;
  }
  return `${out}"`;
}

const goEscapes: Record<string, string> = {
  '\u0007': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};
const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const isPrintable = (char: string) => printable.test(char);
const hex = (code: number, width: number) => code.toString(16).padStart(width, '0');

/**
 * A bad value as the apiserver prints it: strings quoted, numbers and booleans bare, nothing as
 * `null`. Objects and arrays (only ever reported for values of the wrong JSON type) as JSON.
 */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value === null || value === undefined) return 'null';
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

const withDetail = (body: string, detail?: string) => (detail ? `${body}: ${detail}` : body);

export const required = (field: string, detail?: string): FieldError => ({
  field,
  reason: 'FieldValueRequired',
  message: withDetail('Required value', detail),
});

export const invalid = (field: string, value: unknown, detail: string): FieldError => ({
  field,
  reason: 'FieldValueInvalid',
  message: withDetail(`Invalid value: ${formatValue(value)}`, detail),
});

/** A value that is `%s`-printed by Go because it is a fmt.Stringer (a resource.Quantity). */
export const invalidStringer = (field: string, text: string, detail: string): FieldError => ({
  field,
  reason: 'FieldValueInvalid',
  message: withDetail(`Invalid value: ${text}`, detail),
});

export const notSupported = (field: string, value: unknown, supported: readonly string[]): FieldError => ({
  field,
  reason: 'FieldValueNotSupported',
  message: withDetail(
    `Unsupported value: ${formatValue(value)}`,
    supported.length > 0 ? `supported values: ${supported.map(goQuote).join(', ')}` : undefined,
  ),
});

export const duplicate = (field: string, value: unknown): FieldError => ({
  field,
  reason: 'FieldValueDuplicate',
  message: `Duplicate value: ${formatValue(value)}`,
});

export const forbidden = (field: string, detail: string): FieldError => ({
  field,
  reason: 'FieldValueForbidden',
  message: withDetail('Forbidden', detail),
});

export const tooLong = (field: string, maxBytes: number): FieldError => ({
  field,
  reason: 'FieldValueTooLong',
  message: `Too long: must have at most ${maxBytes} bytes`,
});

/**
 * A value of the wrong JSON type. The apiserver rejects those while decoding, before validation;
 * podplane reports them as field errors so that every problem comes back at once.
 */
export const wrongType = (field: string, value: unknown, expected: string): FieldError =>
  invalid(field, value, `must be of type ${expected}`);
