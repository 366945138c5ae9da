import type { FieldError } from '../errors';
import { parseQuantity } from '../quantity';
import { forbidden, invalid, invalidStringer, required, wrongType } from './field-errors';
import { qualifiedNameErrors } from './formats';
import { get, isObject, type JsonObject, readObject } from './json';

const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);
/** helper.IsStandardResourceName: names the apiserver knows anywhere (quota names included). */
const standardResources = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'storage',
  'requests.storage',
  'services.nodeports',
  'services.loadbalancers',
]);

const isHugePages = (name: string) => name.startsWith('hugepages-');
/** Unprefixed names and names in *kubernetes.io/ belong to Kubernetes itself. */
const isNative = (name: string) => !name.includes('/') || name.includes('kubernetes.io/');
/** Extended resources (example.com/gpu) and huge pages cannot be overcommitted: request = limit. */
const isOvercommitAllowed = (name: string) => isNative(name) && !isHugePages(name);
const isExtended = (name: string) =>
  !isNative(name) && !name.startsWith('requests.') && qualifiedNameErrors(`requests.${name}`).length === 0;
const isStandardResource = (name: string) =>
  standardResources.has(name) || isHugePages(name) || name.startsWith('requests.hugepages-');

/** validateContainerResourceName: cpu, memory, ephemeral-storage, hugepages-*, or an extended name. */
function resourceNameErrors(name: string, path: string): FieldError[] {
  const errors = qualifiedNameErrors(name).map((message) => invalid(path, name, message));
  const unprefixed = !name.includes('/');
  if (errors.length === 0 && unprefixed && !isStandardResource(name))
    errors.push(invalid(path, name, 'must be a standard resource type or fully qualified'));
  if (unprefixed) {
    if (!standardContainerResources.has(name) && !isHugePages(name))
      errors.push(invalid(path, name, 'must be a standard resource for containers'));
  } else if (!isNative(name) && !isExtended(name))
    errors.push(invalid(path, name, "doesn't follow extended resource name standard"));
  return errors;
}

const quantityFormat = "must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** A quantity as given, and its value when it parses. */
interface Amount {
  readonly given: string | number;
  readonly value: number | undefined;
}

/**
 * ValidateResourceRequirements for a container: known resource names, quantities that parse and
 * are not negative (whole numbers for extended resources), requests not above limits (equal to
 * them for resources that cannot be overcommitted), and huge pages only beside cpu or memory.
 * Quantities keep the user's spelling in messages; the apiserver prints its canonical form.
 */
export function validateResources(container: JsonObject, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const resources = readObject(container, 'resources', path, errors);
  if (!resources) return errors;
  const limitsPath = `${path}.limits`;
  const requestsPath = `${path}.requests`;
  const limits = readAmounts(resources, 'limits', limitsPath, errors);
  const requests = readAmounts(resources, 'requests', requestsPath, errors);
  for (const [name, amount] of limits) errors.push(...amountErrors(name, amount, `${limitsPath}[${name}]`));
  for (const [name, amount] of requests) {
    errors.push(...amountErrors(name, amount, `${requestsPath}[${name}]`));
    const limit = limits.get(name);
    if (limit === undefined) {
      if (!isOvercommitAllowed(name) && !limitsMentioned(resources, name))
        errors.push(required(limitsPath, 'Limit must be set for non overcommitable resources'));
      continue;
    }
    if (amount.value === undefined || limit.value === undefined) continue;
    const [request, limited] = [String(amount.given), String(limit.given)];
    if (amount.value !== limit.value && !isOvercommitAllowed(name))
      errors.push(invalid(requestsPath, request, `must be equal to ${name} limit of ${limited}`));
    else if (amount.value > limit.value)
      errors.push(
        invalid(requestsPath, request, `must be less than or equal to ${name} limit of ${limited}`),
      );
  }
  const names = [...limits.keys(), ...requests.keys()];
  if (names.some(isHugePages) && !names.some((name) => name === 'cpu' || name === 'memory'))
    errors.push(forbidden(path, 'HugePages require cpu or memory'));
  return errors;
}

/** A limit given with a bad JSON type still counts as given. */
const limitsMentioned = (resources: JsonObject, name: string) => {
  const limits = get(resources, 'limits');
  return isObject(limits) && Object.hasOwn(limits, name);
};

/** Each resource's quantity, string or number; other JSON types are reported here. */
function readAmounts(
  resources: JsonObject,
  kind: 'limits' | 'requests',
  path: string,
  errors: FieldError[],
): Map<string, Amount> {
  const list = readObject(resources, kind, path, errors) ?? {};
  const amounts = new Map<string, Amount>();
  for (const [name, quantity] of Object.entries(list)) {
    if (quantity === null || quantity === undefined) continue;
    if (typeof quantity !== 'string' && typeof quantity !== 'number') {
      errors.push(wrongType(`${path}[${name}]`, quantity, 'string or number'));
      continue;
    }
    amounts.set(name, { given: quantity, value: parseQuantity(quantity) });
  }
  return amounts;
}

/**
 * The resource name, then the quantity. A quantity that does not parse is rejected by the
 * apiserver's decoder with this regular expression; podplane reports it as a field error.
 */
function amountErrors(name: string, amount: Amount, path: string): FieldError[] {
  const errors = resourceNameErrors(name, path);
  const { given, value } = amount;
  if (value === undefined) errors.push(invalid(path, given, quantityFormat));
  else if (value < 0) errors.push(invalid(path, String(given), 'must be greater than or equal to 0'));
  // helper.IsIntegerResourceName: extended resources come in whole units (MilliValue % 1000).
  else if (isExtended(name) && Math.ceil(value * 1000 - 1e-9) % 1000 !== 0)
    errors.push(invalidStringer(path, String(given), 'must be an integer'));
  return errors;
}
