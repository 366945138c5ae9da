import { ApiError, badRequest } from '../errors';
import type { ApiRequest } from './http';

/**
 * Query parameters read as kube-apiserver's parameter codec reads them: booleans with Go's
 * strconv.ParseBool, integers with strconv.ParseInt (64 bits). A value that does not parse is a
 * 400 with Go's own wording, never a silent default: a client that sends `watch=True` gets a
 * watch, and one that sends `watch=maybe` learns why it did not.
 */

const trueValues = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const falseValues = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's strconv.ParseBool. */
export function parseGoBool(value: string): boolean | undefined {
  if (trueValues.has(value)) return true;
  if (falseValues.has(value)) return false;
  return undefined;
}

/** Go's strconv.ParseInt(value, 10, 64); a message in Go's words when it fails. */
export function parseGoInt64(value: string): number | string {
  if (!/^[+-]?[0-9]+$/.test(value)) return `strconv.ParseInt: parsing ${goQuote(value)}: invalid syntax`;
  const big = BigInt(value);
  if (big > 9223372036854775807n || big < -9223372036854775808n)
    return `strconv.ParseInt: parsing ${goQuote(value)}: value out of range`;
  return Number(big);
}

const goQuote = (value: string) => JSON.stringify(value);

const booleanParameters = [
  'watch',
  'allowWatchBookmarks',
  'sendInitialEvents',
  'force',
  'previous',
  'follow',
];
const integerParameters = [
  'limit',
  'timeoutSeconds',
  'gracePeriodSeconds',
  'tailLines',
  'limitBytes',
  'sinceSeconds',
];

/** A boolean parameter: undefined when absent, 400 when it is not one of Go's spellings. */
export function queryBool(request: ApiRequest, name: string): boolean | undefined {
  const value = request.query[name];
  if (value === undefined) return undefined;
  const parsed = parseGoBool(value);
  if (parsed === undefined) throw badRequest(`strconv.ParseBool: parsing ${goQuote(value)}: invalid syntax`);
  return parsed;
}

/** An integer parameter: undefined when absent, 400 when it is not a 64-bit integer. */
export function queryInt(request: ApiRequest, name: string): number | undefined {
  const value = request.query[name];
  if (value === undefined) return undefined;
  const parsed = parseGoInt64(value);
  if (typeof parsed === 'string') throw badRequest(parsed);
  return parsed;
}

/** Which kind of options a verb decodes its parameters into, as apiserver names them in errors. */
export type OptionsKind =
  | 'ListOptions'
  | 'CreateOptions'
  | 'UpdateOptions'
  | 'PatchOptions'
  | 'DeleteOptions';

/** `CreateOptions.meta.k8s.io "" is invalid: ...`, apiserver's 422 for options that decode but are wrong. */
export function invalidOptions(kind: OptionsKind, field: string, message: string): ApiError {
  return new ApiError(422, 'Invalid', `${kind}.meta.k8s.io "" is invalid: ${field}: ${message}`, {
    group: 'meta.k8s.io',
    kind,
    causes: [{ reason: 'FieldValueInvalid', message, field }],
  });
}

const supportedDryRun = 'All';

/** `dryRun`: absent, or exactly `All` (apiserver's only supported value). */
export function dryRunOf(values: readonly string[] | undefined, kind: OptionsKind): boolean {
  if (!values || values.length === 0) return false;
  const unsupported = values.filter((v) => v !== supportedDryRun);
  if (unsupported.length > 0)
    throw invalidOptions(
      kind,
      'dryRun',
      `Unsupported value: []string{${values.map(goQuote).join(', ')}}: supported values: "${supportedDryRun}"`,
    );
  return true;
}

/** apiserver's rule for fieldManager: at most 128 printable ASCII characters. */
export function checkFieldManager(value: string | undefined, kind: OptionsKind): void {
  if (value === undefined) return;
  if (value.length > 128)
    throw invalidOptions(kind, 'fieldManager', `Too long: may not be more than 128 bytes`);
  if (!/^[\x20-\x7e]*$/.test(value))
    throw invalidOptions(
      kind,
      'fieldManager',
      `Invalid value: ${goQuote(value)}: must be made of printable ASCII characters`,
    );
}

const fieldValidationValues = ['Ignore', 'Warn', 'Strict'];

export function checkFieldValidation(value: string | undefined, kind: OptionsKind): void {
  if (value === undefined || value === '' || fieldValidationValues.includes(value)) return;
  throw invalidOptions(
    kind,
    'fieldValidation',
    `Unsupported value: ${goQuote(value)}: supported values: "Ignore", "Strict", "Warn"`,
  );
}

const writeOptionsKind: Readonly<Record<string, OptionsKind>> = {
  POST: 'CreateOptions',
  PUT: 'UpdateOptions',
  PATCH: 'PatchOptions',
  DELETE: 'DeleteOptions',
};

/** The options kind of a verb, for error messages; reads decode ListOptions. */
export const optionsKindOf = (method: string): OptionsKind =>
  writeOptionsKind[method.toUpperCase()] ?? 'ListOptions';

const resourceVersionMatchValues = ['Exact', 'NotOlderThan'];

/**
 * Checks every parameter the served endpoints know, before any handler runs: the types first
 * (400, as the parameter codec fails), then the rules apiserver validates options with (422).
 */
export function checkQuery(request: ApiRequest): void {
  for (const name of booleanParameters) queryBool(request, name);
  for (const name of integerParameters) queryInt(request, name);
  const kind = optionsKindOf(request.method);
  const { query } = request;
  if (kind === 'ListOptions') {
    // The storage layer parses resourceVersion as a uint64 before reading anything.
    const version = query.resourceVersion;
    if (version !== undefined && version !== '' && !/^[0-9]{1,20}$/.test(version))
      throw badRequest(
        `invalid resource version: strconv.ParseUint: parsing ${goQuote(version)}: invalid syntax`,
      );
    const match = query.resourceVersionMatch;
    if (match !== undefined && match !== '') {
      if (!resourceVersionMatchValues.includes(match))
        throw invalidOptions(
          kind,
          'resourceVersionMatch',
          `Unsupported value: ${goQuote(match)}: supported values: "Exact", "NotOlderThan"`,
        );
      if (!query.resourceVersion && queryBool(request, 'sendInitialEvents') === undefined)
        throw invalidOptions(
          kind,
          'resourceVersionMatch',
          'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
        );
      if (match === 'Exact' && query.resourceVersion === '0')
        throw invalidOptions(
          kind,
          'resourceVersionMatch',
          'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
        );
    }
    const sendInitialEvents = queryBool(request, 'sendInitialEvents');
    const watch = queryBool(request, 'watch') === true;
    if (sendInitialEvents !== undefined && !watch)
      throw invalidOptions(kind, 'sendInitialEvents', 'Forbidden: sendInitialEvents is forbidden for list');
    if (watch) checkWatchOptions(request, kind, sendInitialEvents);
    return;
  }
  if (query.dryRun !== undefined) dryRunOf([query.dryRun], kind);
  checkFieldManager(query.fieldManager, kind);
  checkFieldValidation(query.fieldValidation, kind);
}

/** What ValidateListOptions refuses of a watch, before anything is held open. */
function checkWatchOptions(request: ApiRequest, kind: OptionsKind, sendInitialEvents: boolean | undefined) {
  const timeoutSeconds = queryInt(request, 'timeoutSeconds');
  if (timeoutSeconds !== undefined && timeoutSeconds < 0)
    throw badRequest(`timeoutSeconds: Invalid value: ${timeoutSeconds}: must be greater than or equal to 0`);
  const match = request.query.resourceVersionMatch;
  if (sendInitialEvents === undefined) {
    if (match)
      throw invalidOptions(
        kind,
        'resourceVersionMatch',
        'Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
      );
    return;
  }
  if (match !== 'NotOlderThan')
    throw invalidOptions(
      kind,
      'resourceVersionMatch',
      'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
    );
  if (queryBool(request, 'allowWatchBookmarks') !== true)
    throw invalidOptions(
      kind,
      'allowWatchBookmarks',
      'Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true',
    );
}

/** `includeObject` of a Table request: Metadata unless the client says otherwise. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function includeObjectOf(request: ApiRequest): IncludeObject {
  const value = request.query.includeObject;
  if (value === undefined || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw badRequest(`unrecognized includeObject value: ${goQuote(value)}`);
}
