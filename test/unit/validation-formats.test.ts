import { describe, expect, it } from 'vitest';
import {
  formatValue,
  goQuote,
  notSupported,
  required,
  tooLong,
} from '../../functions/core/validation/field-errors';
import {
  configMapKeyErrors,
  maskTrailingDash,
  qualifiedNameErrors,
  regexError,
} from '../../functions/core/validation/formats';

// The building blocks against what Go and apimachinery produce: strconv.Quote (the `%q` of
// field.Error's ErrorBody), validation.RegexError, and the field error constructors.

describe('goQuote (strconv.Quote)', () => {
  it.each([
    ['web', '"web"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['back\\slash', '"back\\\\slash"'],
    ['tab\there\nnewline', '"tab\\there\\nnewline"'],
    ['\u0000\u007f', '"\\x00\\x7f"'],
    ['café ✓ 😀', '"café ✓ 😀"'],
    ['no\u00a0break', '"no\\u00a0break"'],
    ['\u{e0001}', '"\\U000e0001"'],
  ])('quotes %j as Go does', (value, quoted) => {
    expect(goQuote(value)).toBe(quoted);
  });
});

describe('formatValue (the bad value in "Invalid value: ...")', () => {
  it.each([
    ['x', '"x"'],
    [80, '80'],
    [-1, '-1'],
    [true, 'true'],
    [null, 'null'],
    [undefined, 'null'],
  ])('prints %j as %s', (value, printed) => {
    expect(formatValue(value)).toBe(printed);
  });
});

describe('field error constructors', () => {
  it('prints Required with and without a detail', () => {
    expect(required('spec.containers').message).toBe('Required value');
    expect(required('metadata.name', 'name or generateName is required').message).toBe(
      'Required value: name or generateName is required',
    );
  });

  it('quotes each supported value', () => {
    expect(notSupported('spec.restartPolicy', 'Sometimes', ['Always', 'Never']).message).toBe(
      'Unsupported value: "Sometimes": supported values: "Always", "Never"',
    );
  });

  it('prints TooLong without the value', () => {
    expect(tooLong('metadata.annotations', 262144)).toEqual({
      field: 'metadata.annotations',
      reason: 'FieldValueTooLong',
      message: 'Too long: must have at most 262144 bytes',
    });
  });
});

describe('regexError', () => {
  it('lists examples with the double space apimachinery leaves', () => {
    expect(regexError('bad', '[a-z]+', 'a', 'b')).toBe(
      "bad (e.g. 'a',  or 'b', regex used for validation is '[a-z]+')",
    );
    expect(regexError('bad', '[a-z]+')).toBe("bad (regex used for validation is '[a-z]+')");
  });
});

describe('qualifiedNameErrors', () => {
  it.each(['app', 'App_1.x', 'example.com/app', 'a'])('accepts %j', (name) => {
    expect(qualifiedNameErrors(name)).toEqual([]);
  });

  it('rejects an empty name part', () => {
    expect(qualifiedNameErrors('example.com/')[0]).toBe('name part must be non-empty');
  });
});

describe('maskTrailingDash (generateName)', () => {
  it('replaces the last two characters of a name ending in "-" with "a"', () => {
    expect(maskTrailingDash('web-')).toBe('wea');
    expect(maskTrailingDash('web')).toBe('web');
    expect(maskTrailingDash('-')).toBe('-');
  });
});

describe('configMapKeyErrors', () => {
  it('accepts keys of letters, digits, ".", "-" and "_"', () => {
    expect(configMapKeyErrors('app.conf')).toEqual([]);
    expect(configMapKeyErrors('.env')).toEqual([]);
  });

  it('rejects other characters and directory names', () => {
    expect(configMapKeyErrors('a/b')).toEqual([
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    ]);
    expect(configMapKeyErrors('..')).toEqual(["must not be '..'"]);
  });
});
