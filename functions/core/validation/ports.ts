import type { FieldError } from '../errors';
import { duplicate, invalid, notSupported, required } from './field-errors';
import { portNameErrors, portNumberErrors } from './formats';
import { type JsonObject, readInteger, readObjects, readString } from './json';

/** Sorted, as `sets.List` returns them for the NotSupported message. */
export const supportedPortProtocols = ['SCTP', 'TCP', 'UDP'] as const;

/** A container port after decoding: what host port conflicts are computed from. */
export interface ParsedPort {
  readonly at: string;
  readonly protocol: string;
  readonly hostIP: string;
  readonly hostPort: number;
}

/**
 * validateContainerPorts: names are IANA service names unique within the container, containerPort
 * is required and 1–65535, hostPort 0 (unset) or 1–65535, protocol TCP/UDP/SCTP (empty means TCP,
 * which defaulting fills in before the apiserver validates).
 */
export function validateContainerPorts(
  container: JsonObject,
  path: string,
  errors: FieldError[],
): ParsedPort[] {
  const names = new Set<string>();
  const parsed: ParsedPort[] = [];
  for (const { item: port, at } of readObjects(container, 'ports', path, errors)) {
    const name = readString(port, 'name', `${at}.name`, errors);
    if (name) {
      const messages = portNameErrors(name);
      for (const message of messages) errors.push(invalid(`${at}.name`, name, message));
      if (messages.length === 0) {
        if (names.has(name)) errors.push(duplicate(`${at}.name`, name));
        else names.add(name);
      }
    }
    const containerPort = readInteger(port, 'containerPort', `${at}.containerPort`, errors);
    if (containerPort === 0 || (containerPort === undefined && !hasError(errors, `${at}.containerPort`)))
      errors.push(required(`${at}.containerPort`));
    else if (containerPort !== undefined)
      for (const message of portNumberErrors(containerPort))
        errors.push(invalid(`${at}.containerPort`, containerPort, message));
    const hostPort = readInteger(port, 'hostPort', `${at}.hostPort`, errors) ?? 0;
    if (hostPort !== 0)
      for (const message of portNumberErrors(hostPort))
        errors.push(invalid(`${at}.hostPort`, hostPort, message));
    const protocol = readString(port, 'protocol', `${at}.protocol`, errors) || 'TCP';
    if (!(supportedPortProtocols as readonly string[]).includes(protocol))
      errors.push(notSupported(`${at}.protocol`, protocol, supportedPortProtocols));
    const hostIP = readString(port, 'hostIP', `${at}.hostIP`, errors) ?? '';
    parsed.push({ at, protocol, hostIP, hostPort });
  }
  return parsed;
}

const hasError = (errors: readonly FieldError[], field: string) => errors.some((e) => e.field === field);

/**
 * checkHostPortConflicts: a host port (with its protocol and host IP) may be claimed once among
 * the pod's containers (and once within each init container, as those run one at a time).
 */
export function hostPortConflicts(ports: readonly ParsedPort[]): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const port of ports) {
    if (port.hostPort === 0) continue;
    const key = `${port.protocol}/${port.hostIP}/${port.hostPort}`;
    if (seen.has(key)) errors.push(duplicate(`${port.at}.hostPort`, key));
    else seen.add(key);
  }
  return errors;
}
