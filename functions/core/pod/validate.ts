import type { FieldError } from '../errors';
import type { Pod } from '../k8s';
import { validateEnv } from '../validation/env';
import { duplicate, forbidden, invalid, notSupported, required, wrongType } from '../validation/field-errors';
import {
  dns1123LabelErrors,
  dns1123SubdomainErrors,
  hasSurroundingSpace,
  inclusiveRangeError,
} from '../validation/formats';
import {
  asObject,
  get,
  isObject,
  type JsonObject,
  readArray,
  readInteger,
  readObject,
  readString,
  readStringMap,
} from '../validation/json';
import { validateLabels } from '../validation/labels';
import { validatePodMetadata } from '../validation/metadata';
import { hostPortConflicts, type ParsedPort, validateContainerPorts } from '../validation/ports';
import { probeKinds, validateLifecycle, validateProbe } from '../validation/probes';
import { validateResources } from '../validation/resources';
import { validateTolerations } from '../validation/tolerations';

export function isDns1123Label(value: string): boolean {
  return dns1123LabelErrors(value).length === 0;
}

export function isDns1123Subdomain(value: string): boolean {
  return dns1123SubdomainErrors(value).length === 0;
}

export const restartPolicies = ['Always', 'OnFailure', 'Never'] as const;
export const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'] as const;
/** Sorted, as the apiserver lists them. */
export const pullPolicies = ['Always', 'IfNotPresent', 'Never'] as const;
export const terminationMessagePolicies = ['File', 'FallbackToLogsOnError'] as const;

/** spec.activeDeadlineSeconds is an int64 that must fit an int32. */
const maxInt32 = 2 ** 31 - 1;

const oneOf = (allowed: readonly string[], value: string) => allowed.includes(value);

/**
 * The checks of the apiserver's ValidatePodCreate (pkg/apis/core/validation, Kubernetes 1.30)
 * that podplane's pods can reach, on a pod that has not been defaulted yet: an empty enum or
 * probe timing counts as the default the apiserver would fill in first. Returns every problem at
 * once, with Kubernetes' field paths, reasons and messages. The input may be any JSON value: a
 * field of the wrong type is reported (FieldValueInvalid), never thrown on.
 */
export function validatePod(pod: Pod): FieldError[] {
  const input: unknown = pod;
  if (!isObject(input)) return [wrongType('', input, 'object')];
  const errors: FieldError[] = [];

  const metadataValue = get(input, 'metadata');
  const metadata = asObject(metadataValue, 'metadata', errors);
  if (metadata || metadataValue === undefined || metadataValue === null)
    errors.push(...validatePodMetadata(metadata ?? {}));

  const specValue = get(input, 'spec');
  const spec = asObject(specValue, 'spec', errors);
  if (spec || specValue === undefined || specValue === null)
    errors.push(...validatePodSpec(spec ?? {}, 'spec'));
  return errors;
}

/** ValidatePodSpec plus validateContainersOnlyForPod, for the fields in podplane's scope. */
function validatePodSpec(spec: JsonObject, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const graceValue = get(spec, 'terminationGracePeriodSeconds');
  const gracePeriod = typeof graceValue === 'number' && Number.isInteger(graceValue) ? graceValue : 30;

  const containersPath = `${path}.containers`;
  const containers = readArray(spec, 'containers', containersPath, errors);
  if (containers?.length === 0 || (containers === undefined && !hasError(errors, containersPath)))
    errors.push(required(containersPath));
  const names = new Set<string>();
  const ports: ParsedPort[] = [];
  (containers ?? []).forEach((value, i) => {
    const at = `${containersPath}[${i}]`;
    if (!isObject(value)) {
      errors.push(wrongType(at, value, 'object'));
      return;
    }
    const common = validateContainerCommon(value, at, errors);
    ports.push(...common.ports);
    // Names are unique across containers and init containers (and ECS needs that of a task too).
    if (common.name !== undefined) {
      if (names.has(common.name)) errors.push(duplicate(`${at}.name`, common.name));
      else names.add(common.name);
    }
    const lifecycle = readObject(value, 'lifecycle', `${at}.lifecycle`, errors);
    if (lifecycle) errors.push(...validateLifecycle(lifecycle, gracePeriod, `${at}.lifecycle`));
    for (const kind of probeKinds) {
      const probe = readObject(value, kind, `${at}.${kind}`, errors);
      if (probe) errors.push(...validateProbe(probe, kind, `${at}.${kind}`));
    }
    if (readString(value, 'restartPolicy', `${at}.restartPolicy`, errors) !== undefined)
      errors.push(forbidden(`${at}.restartPolicy`, 'may not be set for non-init containers'));
  });
  errors.push(...hostPortConflicts(ports));

  errors.push(...validateInitContainers(spec, `${path}.initContainers`, names, gracePeriod));

  const ephemeral = readArray(spec, 'ephemeralContainers', `${path}.ephemeralContainers`, errors);
  if (ephemeral && ephemeral.length > 0)
    errors.push(forbidden(`${path}.ephemeralContainers`, 'cannot be set on create'));

  const restartPolicy = readString(spec, 'restartPolicy', `${path}.restartPolicy`, errors);
  if (restartPolicy && !oneOf(restartPolicies, restartPolicy))
    errors.push(notSupported(`${path}.restartPolicy`, restartPolicy, restartPolicies));

  // The apiserver accepts a negative grace period (with a warning) and treats it as 1; podplane
  // rejects it, so that nothing downstream has to.
  const grace = readInteger(
    spec,
    'terminationGracePeriodSeconds',
    `${path}.terminationGracePeriodSeconds`,
    errors,
  );
  if (grace !== undefined && grace < 0)
    errors.push(
      invalid(`${path}.terminationGracePeriodSeconds`, grace, 'must be greater than or equal to 0'),
    );

  const dnsPolicy = readString(spec, 'dnsPolicy', `${path}.dnsPolicy`, errors);
  if (dnsPolicy && !oneOf(dnsPolicies, dnsPolicy))
    errors.push(notSupported(`${path}.dnsPolicy`, dnsPolicy, dnsPolicies));
  errors.push(...validateDnsConfig(spec, dnsPolicy, path));

  const nodeSelector = readStringMap(spec, 'nodeSelector', `${path}.nodeSelector`, errors);
  errors.push(...validateLabels(nodeSelector, `${path}.nodeSelector`));

  for (const key of ['serviceAccountName', 'nodeName'] as const) {
    const name = readString(spec, key, `${path}.${key}`, errors);
    if (name)
      for (const message of dns1123SubdomainErrors(name))
        errors.push(invalid(`${path}.${key}`, name, message));
  }

  const deadline = readInteger(spec, 'activeDeadlineSeconds', `${path}.activeDeadlineSeconds`, errors);
  if (deadline !== undefined && (deadline < 1 || deadline > maxInt32))
    errors.push(invalid(`${path}.activeDeadlineSeconds`, deadline, inclusiveRangeError(1, maxInt32)));

  for (const key of ['hostname', 'subdomain'] as const) {
    const label = readString(spec, key, `${path}.${key}`, errors);
    if (label)
      for (const message of dns1123LabelErrors(label)) errors.push(invalid(`${path}.${key}`, label, message));
  }

  errors.push(...validateTolerations(spec, `${path}.tolerations`));

  // validateContainersOnlyForPod: checks a pod template skips, so they come last.
  for (const key of ['containers', 'initContainers'] as const) {
    const list = get(spec, key);
    if (!Array.isArray(list)) continue;
    list.forEach((container, i) => {
      const image = isObject(container) ? get(container, 'image') : undefined;
      if (typeof image === 'string' && hasSurroundingSpace(image))
        errors.push(
          invalid(`${path}.${key}[${i}].image`, image, 'must not have leading or trailing whitespace'),
        );
    });
  }
  return errors;
}

const hasError = (errors: readonly FieldError[], field: string) => errors.some((e) => e.field === field);

/**
 * validateContainerCommon: what app and init containers share. Returns the container's name as
 * the apiserver would compare it (an absent name is ""), or undefined when it is not a string.
 */
function validateContainerCommon(
  container: JsonObject,
  path: string,
  errors: FieldError[],
): { name: string | undefined; ports: ParsedPort[] } {
  const namePath = `${path}.name`;
  const name = readString(container, 'name', namePath, errors);
  const nameOfType = name ?? (hasError(errors, namePath) ? undefined : '');
  if (nameOfType === '') errors.push(required(namePath));
  else if (name)
    for (const message of dns1123LabelErrors(name)) errors.push(invalid(namePath, name, message));

  const imagePath = `${path}.image`;
  const image = readString(container, 'image', imagePath, errors);
  if (!image && !hasError(errors, imagePath)) errors.push(required(imagePath));

  const messagePolicy = readString(
    container,
    'terminationMessagePolicy',
    `${path}.terminationMessagePolicy`,
    errors,
  );
  if (messagePolicy && !oneOf(terminationMessagePolicies, messagePolicy))
    errors.push(notSupported(`${path}.terminationMessagePolicy`, messagePolicy, terminationMessagePolicies));

  const ports = validateContainerPorts(container, `${path}.ports`, errors);
  errors.push(...validateEnv(container, `${path}.env`));

  const pullPolicy = readString(container, 'imagePullPolicy', `${path}.imagePullPolicy`, errors);
  if (pullPolicy && !oneOf(pullPolicies, pullPolicy))
    errors.push(notSupported(`${path}.imagePullPolicy`, pullPolicy, pullPolicies));

  errors.push(...validateResources(container, `${path}.resources`));
  return { name: nameOfType, ports };
}

/**
 * validateInitContainers: names must not repeat an app container's; restartPolicy may only be
 * Always, which makes the container a sidecar; sidecars may have probes and lifecycle hooks,
 * other init containers may not.
 */
function validateInitContainers(
  spec: JsonObject,
  path: string,
  names: Set<string>,
  gracePeriod: number,
): FieldError[] {
  const errors: FieldError[] = [];
  (readArray(spec, 'initContainers', path, errors) ?? []).forEach((value, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(value)) {
      errors.push(wrongType(at, value, 'object'));
      return;
    }
    const common = validateContainerCommon(value, at, errors);
    const restartPolicy = readString(value, 'restartPolicy', `${at}.restartPolicy`, errors);
    if (restartPolicy !== undefined && restartPolicy !== 'Always')
      errors.push(notSupported(`${at}.restartPolicy`, restartPolicy, ['Always']));
    if (common.name !== undefined) {
      if (names.has(common.name)) errors.push(duplicate(`${at}.name`, common.name));
      else if (common.name.length > 0) names.add(common.name);
    }
    // Init containers run one at a time, so only their own host ports may not collide.
    errors.push(...hostPortConflicts(common.ports));
    if (restartPolicy === 'Always') {
      const lifecycle = readObject(value, 'lifecycle', `${at}.lifecycle`, errors);
      if (lifecycle) errors.push(...validateLifecycle(lifecycle, gracePeriod, `${at}.lifecycle`));
      for (const kind of probeKinds) {
        const probe = readObject(value, kind, `${at}.${kind}`, errors);
        if (probe) errors.push(...validateProbe(probe, kind, `${at}.${kind}`));
      }
    } else
      for (const key of ['lifecycle', ...probeKinds]) {
        const given = get(value, key);
        if (given !== undefined && given !== null)
          errors.push(
            forbidden(`${at}.${key}`, 'may not be set for init containers without restartPolicy=Always'),
          );
      }
  });
  return errors;
}

/** validatePodDNSConfig, the part that depends on dnsPolicy None. */
function validateDnsConfig(spec: JsonObject, dnsPolicy: string | undefined, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const dnsConfig = readObject(spec, 'dnsConfig', `${path}.dnsConfig`, errors);
  if (dnsPolicy !== 'None' || errors.length > 0) return errors;
  if (!dnsConfig) return [required(`${path}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None')];
  const nameservers = readArray(dnsConfig, 'nameservers', `${path}.dnsConfig.nameservers`, errors);
  nameservers?.forEach((server, i) => {
    if (typeof server !== 'string')
      errors.push(wrongType(`${path}.dnsConfig.nameservers[${i}]`, server, 'string'));
  });
  if (errors.length === 0 && (!nameservers || nameservers.length === 0))
    errors.push(
      required(
        `${path}.dnsConfig.nameservers`,
        'must provide at least one DNS nameserver when `dnsPolicy` is None',
      ),
    );
  return errors;
}
