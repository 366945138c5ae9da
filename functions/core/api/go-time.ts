import { goQuote } from '../validation/field-errors';

/**
 * Go's time.Parse(time.RFC3339, value), as apiserver decodes a metav1.Time query parameter
 * (`sinceTime`): the instant in epoch milliseconds (fractional below a millisecond), or the
 * error in Go's own words, which apiserver returns as a 400.
 */
export function parseGoRfc3339(value: string): number | string {
  const fail = (valueElem: string, layoutElem: string) =>
    `parsing time ${goQuote(value)} as ${goQuote(layout)}: cannot parse ${goQuote(valueElem)} as ${goQuote(layoutElem)}`;
  const outOfRange = (what: string) => `parsing time ${goQuote(value)}: ${what} out of range`;
  let rest = value;
  const literal = (text: string): boolean => {
    if (!rest.startsWith(text)) return false;
    rest = rest.slice(text.length);
    return true;
  };
  /** Go's getnum: one or two digits, exactly two when `fixed`. */
  const number = (fixed: boolean): number | undefined => {
    const match = (fixed ? /^\d\d/ : /^\d\d?/).exec(rest);
    if (!match) return undefined;
    rest = rest.slice(match[0].length);
    return Number(match[0]);
  };
  const year = /^\d{4}/.exec(rest)?.[0];
  if (year === undefined) return fail(rest, '2006');
  rest = rest.slice(4);
  if (!literal('-')) return fail(rest, '-');
  let held = rest;
  const month = number(true);
  if (month === undefined) return fail(held, '01');
  if (month < 1 || month > 12) return outOfRange('month');
  if (!literal('-')) return fail(rest, '-');
  held = rest;
  const day = number(true);
  if (day === undefined) return fail(held, '02');
  if (!literal('T')) return fail(rest, 'T');
  held = rest;
  const hour = number(false);
  if (hour === undefined) return fail(held, '15');
  if (hour > 23) return outOfRange('hour');
  if (!literal(':')) return fail(rest, ':');
  held = rest;
  const minute = number(true);
  if (minute === undefined) return fail(held, '04');
  if (minute > 59) return outOfRange('minute');
  if (!literal(':')) return fail(rest, ':');
  held = rest;
  const second = number(true);
  if (second === undefined) return fail(held, '05');
  if (second > 59) return outOfRange('second');
  // A fraction the layout does not name is still read, to the nanosecond.
  const fraction = /^[.,](\d+)/.exec(rest);
  const nanos = fraction ? Number((fraction[1] ?? '').slice(0, 9).padEnd(9, '0')) : 0;
  if (fraction) rest = rest.slice(fraction[0].length);
  held = rest;
  let offsetMinutes = 0;
  if (!literal('Z')) {
    const zone = /^([+-])(\d\d):(\d\d)/.exec(rest);
    if (!zone) return fail(held, 'Z07:00');
    const [, sign, hours, minutes] = zone;
    if (Number(hours) > 24) return outOfRange('time zone offset hour');
    if (Number(minutes) > 60) return outOfRange('time zone offset minute');
    offsetMinutes = (sign === '-' ? -1 : 1) * (Number(hours) * 60 + Number(minutes));
    rest = rest.slice(zone[0].length);
  }
  if (rest !== '') return `parsing time ${goQuote(value)}: extra text: ${goQuote(rest)}`;
  const y = Number(year);
  if (day < 1 || day > daysIn(month, y)) return outOfRange('day');
  // Date.UTC reads years 0-99 as 1900-1999; a sinceTime that old reads everything anyway.
  return Date.UTC(y, month - 1, day, hour, minute, second) - offsetMinutes * 60_000 + nanos / 1_000_000;
}

const layout = '2006-01-02T15:04:05Z07:00';

const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(month: number, year: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (monthDays[month - 1] ?? 31);
}
