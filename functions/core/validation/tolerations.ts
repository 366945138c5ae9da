import type { FieldError } from '../errors';
import { invalid, notSupported } from './field-errors';
import { labelValueErrors, qualifiedNameErrors } from './formats';
import { type JsonObject, readInteger, readObjects, readString } from './json';

export const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
export const tolerationOperators = ['Equal', 'Exists'] as const;

/**
 * ValidateTolerations: a key is a label name and may only be empty with operator Exists (which
 * then tolerates every taint); Equal (or no operator) needs a label value, Exists no value; the
 * effect, when given, is a taint effect, and tolerationSeconds only goes with NoExecute.
 */
export function validateTolerations(spec: JsonObject, path: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const { item: toleration, at } of readObjects(spec, 'tolerations', path, errors)) {
    const key = readString(toleration, 'key', `${at}.key`, errors) ?? '';
    const operator = readString(toleration, 'operator', `${at}.operator`, errors) ?? '';
    const value = readString(toleration, 'value', `${at}.value`, errors) ?? '';
    const effect = readString(toleration, 'effect', `${at}.effect`, errors) ?? '';
    const seconds = readInteger(toleration, 'tolerationSeconds', `${at}.tolerationSeconds`, errors);

    if (key.length > 0)
      for (const message of qualifiedNameErrors(key)) errors.push(invalid(`${at}.key`, key, message));
    if (key.length === 0 && operator !== 'Exists')
      errors.push(
        invalid(
          `${at}.operator`,
          operator,
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    if (seconds !== undefined && effect !== 'NoExecute')
      errors.push(
        invalid(`${at}.effect`, effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"),
      );

    if (operator === 'Equal' || operator === '') {
      const messages = labelValueErrors(value);
      if (messages.length > 0) errors.push(invalid(`${at}.operator`, value, messages.join(';')));
    } else if (operator === 'Exists') {
      if (value.length > 0)
        errors.push(invalid(`${at}.operator`, value, "value must be empty when `operator` is 'Exists'"));
    } else errors.push(notSupported(`${at}.operator`, operator, tolerationOperators));

    if (effect.length > 0 && !(taintEffects as readonly string[]).includes(effect))
      errors.push(notSupported(`${at}.effect`, effect, taintEffects));
  }
  return errors;
}
