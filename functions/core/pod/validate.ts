import type { FieldError } from '../errors';
import type { Container, Pod } from '../k8s';
import { parseQuantity } from '../quantity';

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && dns1123Label.test(value);
}

export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && dns1123Subdomain.test(value);
}

const required = (field: string): FieldError => ({
  field,
  reason: 'FieldValueRequired',
  message: 'Required value',
});
const invalidValue = (field: string, value: unknown, detail: string): FieldError => ({
  field,
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
});
const notSupported = (field: string, value: unknown, allowed: readonly string[]): FieldError => ({
  field,
  reason: 'FieldValueNotSupported',
  message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${allowed.map((a) => `"${a}"`).join(', ')}`,
});

/**
 * The checks of Kubernetes' pod validation that the create path needs (pkg/apis/core/validation).
 * Returns every problem at once, with the field path Kubernetes would report.
 */
export function validatePod(pod: Pod): FieldError[] {
  const errors: FieldError[] = [];
  const name = pod.metadata?.name;
  if (!name)
    errors.push({
      field: 'metadata.name',
      reason: 'FieldValueRequired',
      message: 'Required value: name or generateName is required',
    });
  else if (!isDns1123Subdomain(name))
    errors.push(
      invalidValue(
        'metadata.name',
        name,
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
      ),
    );

  const spec = pod.spec;
  if (!spec || !Array.isArray(spec.containers) || spec.containers.length === 0) {
    errors.push(required('spec.containers'));
    return errors;
  }
  // Names are unique across app and init containers: ECS needs that of a task definition too.
  const names = new Set<string>();
  errors.push(...validateContainers(spec.containers, 'spec.containers', names));
  if (spec.initContainers)
    errors.push(...validateContainers(spec.initContainers, 'spec.initContainers', names));

  const restartPolicies = ['Always', 'OnFailure', 'Never'];
  if (spec.restartPolicy !== undefined && !restartPolicies.includes(spec.restartPolicy))
    errors.push(notSupported('spec.restartPolicy', spec.restartPolicy, restartPolicies));
  const grace = spec.terminationGracePeriodSeconds;
  if (grace !== undefined && (!Number.isInteger(grace) || grace < 0))
    errors.push(
      invalidValue('spec.terminationGracePeriodSeconds', grace, 'must be greater than or equal to 0'),
    );
  return errors;
}

function validateContainers(containers: readonly Container[], path: string, seen: Set<string>): FieldError[] {
  const errors: FieldError[] = [];
  containers.forEach((container, i) => {
    const at = `${path}[${i}]`;
    if (typeof container !== 'object' || container === null) {
      errors.push(invalidValue(at, container, 'must be an object'));
      return;
    }
    if (!container.name) errors.push(required(`${at}.name`));
    else if (!isDns1123Label(container.name))
      errors.push(
        invalidValue(
          `${at}.name`,
          container.name,
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        ),
      );
    else if (seen.has(container.name))
      errors.push({
        field: `${at}.name`,
        reason: 'FieldValueDuplicate',
        message: `Duplicate value: "${container.name}"`,
      });
    else seen.add(container.name);
    if (!container.image || typeof container.image !== 'string' || container.image.trim() === '')
      errors.push(required(`${at}.image`));
    errors.push(...validateResources(container, `${at}.resources`));
  });
  return errors;
}

/** Quantities parse, are not negative, and no request exceeds its limit. */
function validateResources(container: Container, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const requests = container.resources?.requests ?? {};
  const limits = container.resources?.limits ?? {};
  const amounts: Record<'requests' | 'limits', Record<string, number>> = { requests: {}, limits: {} };
  for (const kind of ['limits', 'requests'] as const) {
    for (const [resource, quantity] of Object.entries(kind === 'limits' ? limits : requests)) {
      const amount = parseQuantity(quantity);
      const field = `${path}.${kind}[${resource}]`;
      if (amount === undefined)
        errors.push(
          invalidValue(
            field,
            quantity,
            "must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
          ),
        );
      else if (amount < 0) errors.push(invalidValue(field, quantity, 'must be greater than or equal to 0'));
      else amounts[kind][resource] = amount;
    }
  }
  for (const [resource, request] of Object.entries(amounts.requests)) {
    const limit = amounts.limits[resource];
    if (limit !== undefined && request > limit)
      errors.push(
        invalidValue(
          `${path}.requests`,
          requests[resource],
          `must be less than or equal to ${resource} limit of ${limits[resource]}`,
        ),
      );
  }
  return errors;
}
