import type { FieldError } from '../errors';
import { invalid, notSupported, required } from './field-errors';
import { configMapKeyErrors, dns1123SubdomainErrors, envVarNameErrors, qualifiedNameErrors } from './formats';
import { type JsonObject, readObject, readObjects, readString } from './json';

/**
 * ValidateEnv: every variable has a name (Kubernetes' strict rule, not the relaxed one behind the
 * RelaxedEnvironmentVariableValidation gate) and at most one of `value` and `valueFrom`, and a
 * valueFrom names exactly one source.
 */
export function validateEnv(container: JsonObject, path: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const { item: variable, at } of readObjects(container, 'env', path, errors)) {
    const name = readString(variable, 'name', `${at}.name`, errors);
    if (!name) {
      if (name === '' || !errors.some((e) => e.field === `${at}.name`)) errors.push(required(`${at}.name`));
    } else for (const message of envVarNameErrors(name)) errors.push(invalid(`${at}.name`, name, message));
    const value = readString(variable, 'value', `${at}.value`, errors) ?? '';
    const valueFrom = readObject(variable, 'valueFrom', `${at}.valueFrom`, errors);
    if (valueFrom) errors.push(...validateValueFrom(valueFrom, value, `${at}.valueFrom`));
  }
  return errors;
}

const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'] as const;

function validateValueFrom(valueFrom: JsonObject, value: string, path: string): FieldError[] {
  const errors: FieldError[] = [];
  let count = 0;
  for (const source of sources) {
    const selector = readObject(valueFrom, source, `${path}.${source}`, errors);
    if (!selector) continue;
    count++;
    const at = `${path}.${source}`;
    if (source === 'fieldRef') errors.push(...validateFieldRef(selector, at));
    else if (source === 'resourceFieldRef') errors.push(...validateResourceFieldRef(selector, at));
    else errors.push(...validateKeySelector(selector, at));
  }
  if (count === 0)
    errors.push(
      invalid(
        path,
        '',
        'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
      ),
    );
  else if (value.length > 0) errors.push(invalid(path, '', 'may not be specified when `value` is not empty'));
  else if (count > 1) errors.push(invalid(path, '', 'may not have more than one field specified at a time'));
  return errors;
}

/** The downward API fields an environment variable may take (sorted, as Kubernetes lists them). */
const envFieldPaths = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
/** Field labels ConvertDownwardAPIFieldLabel knows for v1 pods (a superset of the above). */
const convertibleFieldPaths = new Set([
  ...envFieldPaths,
  'metadata.annotations',
  'metadata.labels',
  'spec.restartPolicy',
  'spec.schedulerName',
  'status.phase',
]);

/** `metadata.labels['key']` → ['metadata.labels', 'key'] (fieldpath.SplitMaybeSubscriptedPath). */
function splitSubscript(fieldPath: string): [string, string] | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const body = fieldPath.slice(0, -2);
  const at = body.indexOf("['");
  if (at <= 0) return undefined;
  return [body.slice(0, at), body.slice(at + 2)];
}

function validateFieldRef(selector: JsonObject, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const apiVersion = readString(selector, 'apiVersion', `${path}.apiVersion`, errors) || 'v1';
  const fieldPath = readString(selector, 'fieldPath', `${path}.fieldPath`, errors);
  if (errors.length > 0) return errors;
  if (!fieldPath) return [required(`${path}.fieldPath`)];
  const converted = convertFieldLabel(apiVersion, fieldPath);
  if ('error' in converted)
    return [invalid(`${path}.fieldPath`, fieldPath, `error converting fieldPath: ${converted.error}`)];
  const subscripted = splitSubscript(converted.label);
  if (subscripted) {
    const [field, key] = subscripted;
    const name = field === 'metadata.annotations' ? key.toLowerCase() : key;
    for (const message of qualifiedNameErrors(name)) errors.push(invalid(path, name, message));
  } else if (!envFieldPaths.includes(converted.label))
    errors.push(notSupported(`${path}.fieldPath`, converted.label, envFieldPaths));
  return errors;
}

function convertFieldLabel(apiVersion: string, label: string): { label: string } | { error: string } {
  if (apiVersion !== 'v1') return { error: `unsupported pod version: ${apiVersion}` };
  const subscripted = splitSubscript(label);
  if (subscripted)
    return subscripted[0] === 'metadata.annotations' || subscripted[0] === 'metadata.labels'
      ? { label }
      : { error: `field label does not support subscript: ${label}` };
  if (label === 'spec.host') return { label: 'spec.nodeName' };
  return convertibleFieldPaths.has(label) ? { label } : { error: `field label not supported: ${label}` };
}

const containerResourceFields = [
  'limits.cpu',
  'limits.ephemeral-storage',
  'limits.memory',
  'requests.cpu',
  'requests.ephemeral-storage',
  'requests.memory',
];

function validateResourceFieldRef(selector: JsonObject, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const resource = readString(selector, 'resource', `${path}.resource`, errors);
  if (errors.length > 0) return errors;
  if (!resource) return [required(`${path}.resource`)];
  const hugePages = resource.startsWith('limits.hugepages-') || resource.startsWith('requests.hugepages-');
  if (!containerResourceFields.includes(resource) && !hugePages)
    errors.push(notSupported(`${path}.resource`, resource, containerResourceFields));
  return errors;
}

/** configMapKeyRef and secretKeyRef: a DNS subdomain name and a config key. */
function validateKeySelector(selector: JsonObject, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const name = readString(selector, 'name', `${path}.name`, errors);
  const key = readString(selector, 'key', `${path}.key`, errors);
  if (!errors.some((e) => e.field === `${path}.name`))
    for (const message of dns1123SubdomainErrors(name ?? ''))
      errors.push(invalid(`${path}.name`, name ?? '', message));
  if (!errors.some((e) => e.field === `${path}.key`)) {
    if (!key) errors.push(required(`${path}.key`));
    else for (const message of configMapKeyErrors(key)) errors.push(invalid(`${path}.key`, key, message));
  }
  return errors;
}
