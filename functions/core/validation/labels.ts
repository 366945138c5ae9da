import type { FieldError } from '../errors';
import { invalid, tooLong } from './field-errors';
import { byteLength, labelValueErrors, qualifiedNameErrors } from './formats';

/**
 * metav1 validation's ValidateLabels (also used for a pod's nodeSelector): every problem is
 * reported at the map's own path, with the bad key or value as the value.
 */
export function validateLabels(labels: readonly [string, string][], path: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of labels) {
    for (const message of qualifiedNameErrors(key)) errors.push(invalid(path, key, message));
    for (const message of labelValueErrors(value)) errors.push(invalid(path, value, message));
  }
  return errors;
}

/** The apiserver's limit on the keys and values of an object's annotations, together. */
export const totalAnnotationSizeLimitBytes = 256 * 1024;

/**
 * apimachinery's ValidateAnnotations: keys are qualified names compared case-insensitively, and
 * keys plus values may not exceed 256 KiB.
 */
export function validateAnnotations(annotations: readonly [string, string][], path: string): FieldError[] {
  const errors: FieldError[] = [];
  let size = 0;
  for (const [key, value] of annotations) {
    for (const message of qualifiedNameErrors(key.toLowerCase())) errors.push(invalid(path, key, message));
    size += byteLength(key) + byteLength(value);
  }
  if (size > totalAnnotationSizeLimitBytes) errors.push(tooLong(path, totalAnnotationSizeLimitBytes));
  return errors;
}
