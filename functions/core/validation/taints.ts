import type { Taint } from 'kubernetes-types/core/v1';
import type { FieldError } from '../errors';
import { goQuote, invalid, notSupported, required } from './field-errors';
import { labelValueErrors, qualifiedNameErrors } from './formats';
import { taintEffects } from './tolerations';

/**
 * validateNodeTaints: a key is a label name, a value a label value, the effect one of the three
 * taint effects, and no two taints share a key and an effect. kube-apiserver reports a node
 * update's taints under `metadata.taints` (its field path starts from the metadata), so `path`
 * is the caller's.
 */
export function validateTaints(taints: readonly Taint[], path: string): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  taints.forEach((taint, i) => {
    const at = `${path}[${i}]`;
    const key = taint.key ?? '';
    const value = taint.value ?? '';
    const effect = taint.effect ?? '';
    for (const message of qualifiedNameErrors(key)) errors.push(invalid(`${at}.key`, key, message));
    const valueErrors = labelValueErrors(value);
    if (valueErrors.length > 0) errors.push(invalid(`${at}.value`, value, valueErrors.join(';')));
    if (effect === '') errors.push(required(`${at}.effect`));
    else if (!(taintEffects as readonly string[]).includes(effect))
      errors.push(notSupported(`${at}.effect`, effect, taintEffects));
    const unique = JSON.stringify([key, effect]);
    if (seen.has(unique))
      errors.push({
        field: at,
        reason: 'FieldValueDuplicate',
        message: `Duplicate value: ${goTaint(taint)}: taints must be unique by key and effect pair`,
      });
    else seen.add(unique);
  });
  return errors;
}

/**
 * A taint as Go's `%#v` prints core.Taint, as field.Duplicate reports it (where Go prints a set
 * timeAdded's address, the time).
 */
function goTaint(taint: Taint): string {
  const time = `(*v1.Time)(${taint.timeAdded ?? 'nil'})`;
  return `core.Taint{Key:${goQuote(taint.key ?? '')}, Value:${goQuote(taint.value ?? '')}, Effect:${goQuote(taint.effect ?? '')}, TimeAdded:${time}}`;
}
