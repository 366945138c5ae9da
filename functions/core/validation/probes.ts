import type { FieldError } from '../errors';
import { forbidden, invalid, notSupported, required, wrongType } from './field-errors';
import { httpHeaderNameErrors, portNameErrors, portNumberErrors } from './formats';
import { get, type JsonObject, readArray, readInteger, readObject, readObjects, readString } from './json';

const probeNumbers = [
  'initialDelaySeconds',
  'timeoutSeconds',
  'periodSeconds',
  'successThreshold',
  'failureThreshold',
] as const;
type ProbeNumber = (typeof probeNumbers)[number];
/** Probe timings that the apiserver defaults from 0 before it validates (v1 SetDefaults_Probe). */
const probeDefaults: Partial<Record<ProbeNumber, number>> = {
  timeoutSeconds: 1,
  periodSeconds: 10,
  successThreshold: 1,
  failureThreshold: 3,
};

export type ProbeKind = 'livenessProbe' | 'readinessProbe' | 'startupProbe';
export const probeKinds: readonly ProbeKind[] = ['livenessProbe', 'readinessProbe', 'startupProbe'];

/**
 * validateLivenessProbe / validateReadinessProbe / validateStartupProbe: exactly one handler,
 * timings not negative, successThreshold 1 for liveness and startup probes, and no
 * terminationGracePeriodSeconds on a readiness probe.
 */
export function validateProbe(probe: JsonObject, kind: ProbeKind, path: string): FieldError[] {
  const errors = validateHandler(probe, ['exec', 'httpGet', 'tcpSocket', 'grpc'], path, undefined);
  const values: Partial<Record<ProbeNumber, number>> = {};
  for (const name of probeNumbers) {
    const read = readInteger(probe, name, `${path}.${name}`, errors);
    const value = read || (probeDefaults[name] ?? read);
    if (value !== undefined && value < 0)
      errors.push(invalid(`${path}.${name}`, value, 'must be greater than or equal to 0'));
    values[name] = value;
  }
  const grace = readInteger(
    probe,
    'terminationGracePeriodSeconds',
    `${path}.terminationGracePeriodSeconds`,
    errors,
  );
  if (grace !== undefined && grace <= 0)
    errors.push(invalid(`${path}.terminationGracePeriodSeconds`, grace, 'must be greater than 0'));
  const success = values.successThreshold;
  if (kind !== 'readinessProbe' && success !== undefined && success !== 1)
    errors.push(invalid(`${path}.successThreshold`, success, 'must be 1'));
  if (kind === 'readinessProbe' && grace !== undefined)
    errors.push(
      invalid(`${path}.terminationGracePeriodSeconds`, grace, 'must not be set for readinessProbes'),
    );
  return errors;
}

/** A container's postStart and preStop hooks: one handler each, as for probes (plus sleep). */
export function validateLifecycle(lifecycle: JsonObject, gracePeriod: number, path: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const hook of ['postStart', 'preStop'] as const) {
    const handler = readObject(lifecycle, hook, `${path}.${hook}`, errors);
    if (handler)
      errors.push(
        ...validateHandler(
          handler,
          ['exec', 'httpGet', 'tcpSocket', 'sleep'],
          `${path}.${hook}`,
          gracePeriod,
        ),
      );
  }
  return errors;
}

type HandlerType = 'exec' | 'httpGet' | 'tcpSocket' | 'grpc' | 'sleep';

/** validateHandler: the first handler present is validated, each further one is Forbidden. */
function validateHandler(
  handler: JsonObject,
  types: readonly HandlerType[],
  path: string,
  gracePeriod: number | undefined,
): FieldError[] {
  const errors: FieldError[] = [];
  let count = 0;
  for (const type of types) {
    const value = get(handler, type);
    if (value === undefined || value === null) continue;
    const at = `${path}.${type}`;
    if (count > 0) {
      errors.push(forbidden(at, 'may not specify more than 1 handler type'));
      continue;
    }
    count++;
    const action = readObject(handler, type, at, errors);
    if (!action) continue;
    if (type === 'exec') errors.push(...validateExec(action, at));
    else if (type === 'httpGet') errors.push(...validateHttpGet(action, at));
    else if (type === 'tcpSocket') errors.push(...validatePortNumOrName(get(action, 'port'), `${at}.port`));
    else if (type === 'grpc') errors.push(...validateGrpc(action, at));
    else errors.push(...validateSleep(action, at, gracePeriod ?? 30));
  }
  if (count === 0) errors.push(required(path, 'must specify a handler type'));
  return errors;
}

function validateExec(exec: JsonObject, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const command = readArray(exec, 'command', `${path}.command`, errors);
  if (errors.length > 0) return errors;
  if (!command || command.length === 0) return [required(`${path}.command`)];
  command.forEach((part, i) => {
    if (typeof part !== 'string') errors.push(wrongType(`${path}.command[${i}]`, part, 'string'));
  });
  return errors;
}

const hasError = (errors: readonly FieldError[], field: string) => errors.some((e) => e.field === field);

/** Sorted, as `sets.List` returns them. */
export const supportedHttpSchemes = ['HTTP', 'HTTPS'] as const;

function validateHttpGet(httpGet: JsonObject, path: string): FieldError[] {
  const errors: FieldError[] = [];
  readString(httpGet, 'path', `${path}.path`, errors); // defaulted to "/" when empty
  errors.push(...validatePortNumOrName(get(httpGet, 'port'), `${path}.port`));
  const scheme = readString(httpGet, 'scheme', `${path}.scheme`, errors) || 'HTTP';
  if (!(supportedHttpSchemes as readonly string[]).includes(scheme))
    errors.push(notSupported(`${path}.scheme`, scheme, supportedHttpSchemes));
  for (const { item: header, at } of readObjects(httpGet, 'httpHeaders', `${path}.httpHeaders`, errors)) {
    const name = readString(header, 'name', `${at}.name`, errors);
    readString(header, 'value', `${at}.value`, errors);
    if (name === undefined && hasError(errors, `${at}.name`)) continue;
    for (const message of httpHeaderNameErrors(name ?? ''))
      errors.push(invalid(`${path}.httpHeaders`, name ?? '', message));
  }
  return errors;
}

/**
 * ValidatePortNumOrName for an IntOrString port: a number must be 1–65535, a string an IANA
 * service name (so "80", a string, is not a number). An absent port decodes as the number 0.
 */
export function validatePortNumOrName(port: unknown, path: string): FieldError[] {
  if (port === undefined || port === null) return [invalid(path, 0, portNumberErrors(0)[0] ?? '')];
  if (typeof port === 'number' && Number.isInteger(port))
    return portNumberErrors(port).map((message) => invalid(path, port, message));
  if (typeof port === 'string') return portNameErrors(port).map((message) => invalid(path, port, message));
  return [wrongType(path, port, 'integer or string')];
}

function validateGrpc(grpc: JsonObject, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const port = readInteger(grpc, 'port', `${path}.port`, errors);
  readString(grpc, 'service', `${path}.service`, errors);
  if (errors.length > 0) return errors;
  return portNumberErrors(port ?? 0).map((message) => invalid(`${path}.port`, port ?? 0, message));
}

function validateSleep(sleep: JsonObject, path: string, gracePeriod: number): FieldError[] {
  const errors: FieldError[] = [];
  const seconds = readInteger(sleep, 'seconds', `${path}.seconds`, errors);
  if (errors.length > 0) return errors;
  const value = seconds ?? 0;
  if (value <= 0 || value > gracePeriod)
    errors.push(
      invalid(
        path,
        value,
        `must be greater than 0 and less than terminationGracePeriodSeconds (${gracePeriod})`,
      ),
    );
  return errors;
}
