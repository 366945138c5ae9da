import type { FieldError } from '../errors';
import { parseQuantity } from '../quantity';
import { forbidden, invalid, invalidStringer, required, wrongType } from './field-errors';
import { qualifiedNameErrors } from './formats';
import { type JsonObject, readObject } from './json';

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

interface Amount {
  readonly text: string;
  readonly value: number;
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
    if (amount === null || limit === null) continue;
    if (amount.value !== limit.value && !isOvercommitAllowed(name))
      errors.push(invalid(requestsPath, amount.text, `must be equal to ${name} limit of ${limit.text}`));
    else if (amount.value > limit.value)
      errors.push(invalid(requestsPath, amount.text, `must be less than or equal to ${name} limit of ${limit.text}`));
  }
  const names = [...limits.keys(), ...requests.keys()];
  if (names.some(isHugePages) && !names.some((name) => name === 'cpu' || name === 'memory'))
    errors.push(forbidden(path, 'HugePages require cpu or memory'));
  return errors;
}

/** A limit given with a bad JSON type still counts as given. */
const limitsMentioned = (resources: JsonObject, name: string) => {
  const limits = resources.limits;
  return typeof limits === 'object' && limits !== null && Object.hasOwn(limits, name);
};

/** Each resource's quantity; null where it does not parse (reported by amountErrors). */
function readAmounts(
  resources: JsonObject,
  kind: 'limits' | 'requests',
  path: string,
  errors: FieldError[],
): Map<string, Amount | null> {
  const list = readObject(resources, kind, path, errors) ?? {};
  const amounts = new Map<string, Amount | null>();
  for (const [name, quantity] of Object.entries(list)) {
    if (quantity === null || quantity === undefined) continue;
    if (typeof quantity !== 'string' && typeof quantity !== 'number') {
      errors.push(wrongType(`${path}[${name}]`, quantity, 'string or number'));
      continue;
    }
    const value = parseQuantity(quantity);
    amounts.set(name, value === undefined ? null : { text: String(quantity), value });
  }
  return amounts;
}

function amountErrors(name: string, amount: Amount | null, path: string): FieldError[] {
  const errors = resourceNameErrors(name, path);
  if (amount === null) {
    errors.push({ field: path, reason: 'FieldValueInvalid', message: '' });
    return errors;
  }
  if (amount.value < 0) errors.push(invalid(path, amount.text, 'must be greater than or equal to 0'));
  // helper.IsIntegerResourceName: extended resources are counted in whole units.
  else if (isExtended(name) && Math.round(amount.value * 1000) % 1000 !== 0)
    errors.push(invalidStringer(path, amount.text, 'must be an integer'));
  return errors;
}
