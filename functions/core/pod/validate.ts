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
  if (!name) errors.push(required('metadata.name'));
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
  errors.push(...validateContainers(spec.containers, 'spec.containers'));
  if (spec.initContainers) errors.push(...validateContainers(spec.initContainers, 'spec.initContainers'));

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

function validateContainers(containers: readonly Container[], path: string): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
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
    for (const kind of ['requests', 'limits'] as const) {
      for (const [resource, quantity] of Object.entries(container.resources?.[kind] ?? {})) {
        if (parseQuantity(quantity) === undefined)
          errors.push(
            invalidValue(
              `${at}.resources.${kind}[${resource}]`,
              quantity,
              "must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
            ),
          );
      }
    }
  });
  return errors;
}
