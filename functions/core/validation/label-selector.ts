import type { LabelSelector } from 'kubernetes-types/meta/v1';
import type { FieldError } from '../errors';
import { forbidden, invalid, required } from './field-errors';
import { labelValueErrors, qualifiedNameErrors } from './formats';
import { validateLabels } from './labels';

/**
 * metav1 validation's ValidateLabelSelector: matchLabels as labels, and each of matchExpressions
 * with an operator it knows, values where the operator needs them (and none where it does not),
 * a qualified key and label values.
 */
export function validateLabelSelector(selector: LabelSelector | undefined, path: string): FieldError[] {
  if (!selector) return [];
  const errors = validateLabels(Object.entries(selector.matchLabels ?? {}), `${path}.matchLabels`);
  (selector.matchExpressions ?? []).forEach((requirement, i) => {
    const at = `${path}.matchExpressions[${i}]`;
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0)
          errors.push(required(`${at}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0)
          errors.push(
            forbidden(`${at}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
          );
        break;
      default:
        errors.push(invalid(`${at}.operator`, requirement.operator, 'not a valid selector operator'));
    }
    for (const message of qualifiedNameErrors(requirement.key))
      errors.push(invalid(`${at}.key`, requirement.key, message));
    values.forEach((value, j) => {
      for (const message of labelValueErrors(value))
        errors.push(invalid(`${at}.values[${j}]`, value, message));
    });
  });
  return errors;
}
