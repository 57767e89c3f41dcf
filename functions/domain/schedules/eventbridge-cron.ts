import { Cron } from 'croner';
import { ExportError } from '../errors.js';

/**
 * A cron string that is malformed, or that EventBridge cannot express with the same meaning. Raised
 * at synth time (CDK) and when the catalogue loads, so a bad schedule never reaches AWS.
 */
export class CronConversionError extends ExportError {
  readonly cron: string;
  constructor(cron: string, reason: string, cause?: unknown) {
    super('invalid_cron', `cannot use cron "${cron}": ${reason}`, 400, { cause, details: { cron } });
    this.cron = cron;
  }
}

const FIELDS = 'minute hour day-of-month month day-of-week';
const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
/** Indexed by standard cron's weekday number (0 = Sunday). */
const WEEKDAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/** Longest each month can be (February in a leap year). */
const MONTH_MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

interface FieldBounds {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  /** Names accepted in place of numbers; `names[i]` stands for `min + i`. */
  readonly names?: readonly string[];
}

const MINUTE: FieldBounds = { label: 'minute', min: 0, max: 59 };
const HOUR: FieldBounds = { label: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldBounds = { label: 'day-of-month', min: 1, max: 31 };
const MONTH: FieldBounds = { label: 'month', min: 1, max: 12, names: MONTH_NAMES };
// 7 is Sunday too in standard cron; values are folded modulo 7 after parsing.
const DAY_OF_WEEK: FieldBounds = { label: 'day-of-week', min: 0, max: 7, names: WEEKDAY_NAMES };

type DayOfMonth =
  | { readonly kind: 'any' }
  | { readonly kind: 'values'; readonly values: readonly number[] }
  | { readonly kind: 'last' }
  | { readonly kind: 'nearest-weekday'; readonly day: number };

type DayOfWeek =
  | { readonly kind: 'any' }
  | { readonly kind: 'values'; readonly values: readonly number[] }
  | { readonly kind: 'nth'; readonly weekday: number; readonly nth: number };

/** A field's value set could not be read; the caller wraps it with the cron string. */
class FieldError extends Error {}

/**
 * Converts a 5-field UTC cron (`minute hour day-of-month month day-of-week`) into an EventBridge
 * schedule expression `cron(minute hour day-of-month month day-of-week year)` with the same run
 * times, e.g. `0 2 * * 0` → `cron(0 2 ? * SUN *)`.
 *
 * Each field is reduced to the set of values it matches and written back in a canonical form, so
 * the two dialects' differences cannot leak through: weekdays are written as names (cron counts
 * 0/7 = Sunday, EventBridge 1 = Sunday), steps as `start/step` only when they cover the field to its
 * end, and exactly one of day-of-month and day-of-week is `?`.
 *
 * Supported: numbers, names (`JAN`, `MON`), `*`, ranges, `*\/n` and `a-b/n` steps, lists, `?` in
 * the day fields, and on their own `L` (last day of the month), `nW` (weekday nearest day n ≤ 28)
 * and `d#n` (n-th weekday d of the month).
 *
 * @throws CronConversionError when the string is not valid cron, or has no EventBridge equivalent:
 * both day fields restricted (cron runs when *either* matches; EventBridge cannot say "or"), a
 * day-of-month that never occurs in the chosen months, or an extension outside the list above.
 */
export function toEventBridgeCron(cron: string): string {
  if (cron.trim().startsWith('@')) {
    throw new CronConversionError(cron, 'nicknames such as @daily are not supported; write the 5 fields');
  }
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5 || fields[0] === '') {
    throw new CronConversionError(
      cron,
      `expected 5 fields (${FIELDS}, in UTC) but found ${fields[0] === '' ? 0 : fields.length}`,
    );
  }
  cronerJob(cron); // croner is the reference for what valid 5-field cron is
  const [minuteText = '', hourText = '', domText = '', monthText = '', dowText = ''] = fields;

  try {
    const minutes = parseValues(minuteText, MINUTE);
    const hours = parseValues(hourText, HOUR);
    const months = parseValues(monthText, MONTH);
    const dom = parseDayOfMonth(domText);
    const dow = parseDayOfWeek(dowText);

    if (dom.kind !== 'any' && dow.kind !== 'any') {
      throw new FieldError(
        `it restricts both day-of-month (${domText}) and day-of-week (${dowText}); cron then runs on days ` +
          'matching either, which EventBridge cannot express. Restrict only one of them and set the other to *',
      );
    }
    if (dom.kind === 'values') assertDayOccurs(dom.values, months);

    const everyWeekday = dow.kind === 'any' || (dow.kind === 'values' && dow.values.length === 7);
    const dayFields = everyWeekday
      ? `${renderDayOfMonth(dom)} ${renderNumbers(months, MONTH)} ?`
      : `? ${renderNumbers(months, MONTH)} ${renderDayOfWeek(dow)}`;
    return `cron(${renderNumbers(minutes, MINUTE)} ${renderNumbers(hours, HOUR)} ${dayFields} *)`;
  } catch (error) {
    if (error instanceof FieldError) throw new CronConversionError(cron, error.message);
    throw error;
  }
}

/**
 * The next `count` run times of a 5-field UTC cron strictly after `from`, as croner computes them
 * (standard cron semantics: when both day fields are restricted, a day matching either runs).
 *
 * @throws CronConversionError when the string is not valid 5-field cron.
 */
export function nextRunTimes(cron: string, from: Date, count: number): Date[] {
  if (Number.isNaN(from.getTime())) throw new RangeError('nextRunTimes: from is not a valid date');
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError('nextRunTimes: count must be a whole number ≥ 0');
  }
  if (count === 0) return [];
  return cronerJob(cron).nextRuns(count, from);
}

function cronerJob(cron: string): Cron {
  try {
    // Without a callback croner only evaluates the pattern; it starts no timer.
    return new Cron(cron, { timezone: 'UTC', mode: '5-part' });
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error);
    throw new CronConversionError(cron, `not valid cron: ${reason}`, error);
  }
}

function parseDayOfMonth(text: string): DayOfMonth {
  if (text === '*' || text === '?') return { kind: 'any' };
  const upper = text.toUpperCase();
  if (upper === 'L') return { kind: 'last' };
  const nearest = /^(\d{1,2})W$/.exec(upper);
  if (nearest) {
    const day = Number(nearest[1]);
    // Days 29–31 do not occur in every month, and what W means then is not documented alike by
    // cron libraries and EventBridge.
    if (day < 1 || day > 28)
      throw new FieldError(`day-of-month ${text}: nW is supported for days 1 to 28 only`);
    return { kind: 'nearest-weekday', day };
  }
  if (/[LW]/.test(upper)) {
    throw new FieldError(
      `day-of-month ${text}: L and nW are supported only on their own, not in lists or ranges`,
    );
  }
  return { kind: 'values', values: parseValues(text, DAY_OF_MONTH) };
}

function parseDayOfWeek(text: string): DayOfWeek {
  if (text === '*' || text === '?') return { kind: 'any' };
  const upper = text.toUpperCase();
  const nth = /^([0-7]|[A-Z]{3})#([1-5])$/.exec(upper);
  if (nth) {
    const weekday = parseValue(nth[1]!, DAY_OF_WEEK) % 7;
    return { kind: 'nth', weekday, nth: Number(nth[2]) };
  }
  if (upper.includes('#'))
    throw new FieldError(`day-of-week ${text}: only a single d#n with n from 1 to 5 is supported`);
  // No weekday name contains an L, so any L is cron's "last" extension.
  if (upper.includes('L'))
    throw new FieldError(`day-of-week ${text}: L (last weekday of the month) is not supported`);
  // Even a field naming all seven days stays restricted: with a restricted day-of-month, cron ORs them.
  const values = [...new Set(parseValues(text, DAY_OF_WEEK).map((day) => day % 7))].sort((a, b) => a - b);
  return { kind: 'values', values };
}

/** The sorted, distinct values a list of `*`, `v`, `a-b`, `*\/n` and `a-b/n` items matches. */
function parseValues(text: string, bounds: FieldBounds): number[] {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const match = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(item);
    if (!match) throw new FieldError(`${bounds.label} ${text}: "${item}" is not a value, range or step`);
    const [, base = '', stepText] = match;
    let from = bounds.min;
    let to = bounds.max;
    if (base !== '*') {
      const [low = '', high] = base.split('-');
      from = parseValue(low, bounds);
      to = high === undefined ? from : parseValue(high, bounds);
      if (high === undefined && stepText !== undefined) {
        throw new FieldError(`${bounds.label} ${text}: a step needs * or a range before it`);
      }
    }
    const step = stepText === undefined ? 1 : Number(stepText);
    if (from > to) throw new FieldError(`${bounds.label} ${text}: range ${base} runs backwards`);
    if (step < 1) throw new FieldError(`${bounds.label} ${text}: step must be at least 1`);
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

function parseValue(token: string, bounds: FieldBounds): number {
  if (/^\d+$/.test(token)) {
    const value = Number(token);
    if (value < bounds.min || value > bounds.max) {
      throw new FieldError(`${bounds.label} ${token} is outside ${bounds.min}-${bounds.max}`);
    }
    return value;
  }
  const index = bounds.names?.indexOf(token.toUpperCase()) ?? -1;
  if (index < 0) throw new FieldError(`${bounds.label} "${token}" is not a number or a known name`);
  return bounds.min + index;
}

function assertDayOccurs(days: readonly number[], months: readonly number[]): void {
  const occurs = months.some((month) => days.some((day) => day <= (MONTH_MAX_DAYS[month - 1] ?? 0)));
  if (!occurs) {
    throw new FieldError(
      `it never runs: day-of-month ${days.join(',')} does not occur in month ${months.map((m) => MONTH_NAMES[m - 1]).join(',')}`,
    );
  }
}

function renderDayOfMonth(dom: DayOfMonth): string {
  switch (dom.kind) {
    case 'any':
      return '*';
    case 'last':
      return 'L';
    case 'nearest-weekday':
      return `${dom.day}W`;
    case 'values':
      return renderNumbers(dom.values, DAY_OF_MONTH);
  }
}

function renderDayOfWeek(dow: DayOfWeek): string {
  if (dow.kind === 'any') return '*';
  // EventBridge documents `#` with its own numbering (1 = SUN … 7 = SAT), e.g. `3#2` = second Tuesday.
  if (dow.kind === 'nth') return `${dow.weekday + 1}#${dow.nth}`;
  return renderRuns(dow.values, (day) => WEEKDAY_NAMES[day]!);
}

/**
 * `*` for the whole field, else the shorter of a `start/step` progression (only when it runs to the
 * end of the field, which is what EventBridge's `/` means) and a list of values and ranges. Output
 * is canonical, so `1-10/2` becomes `1,3,5,7,9` and `*\/15` becomes `0/15`.
 */
function renderNumbers(values: readonly number[], bounds: FieldBounds): string {
  if (values.length === bounds.max - bounds.min + 1) return '*';
  const list = renderRuns(values, String);
  const step = progressionStep(values, bounds.max);
  if (step === undefined) return list;
  const stepped = `${values[0]}/${step}`;
  return stepped.length < list.length ? stepped : list;
}

function progressionStep(values: readonly number[], max: number): number | undefined {
  const [first, second] = values;
  // Two values read better as a list, and a step of 1 as a range.
  if (first === undefined || second === undefined || values.length < 3) return undefined;
  const step = second - first;
  if (step < 2) return undefined;
  const regular = values.every((value, index) => value === first + index * step);
  return regular && values[values.length - 1]! + step > max ? step : undefined;
}

/** Sorted values as a list, collapsing runs of three or more consecutive values into `a-b`. */
function renderRuns(values: readonly number[], name: (value: number) => string): string {
  const parts: string[] = [];
  let start = 0;
  while (start < values.length) {
    let end = start;
    while (end + 1 < values.length && values[end + 1] === values[end]! + 1) end += 1;
    if (end - start >= 2) {
      parts.push(`${name(values[start]!)}-${name(values[end]!)}`);
    } else {
      for (let i = start; i <= end; i += 1) parts.push(name(values[i]!));
    }
    start = end + 1;
  }
  return parts.join(',');
}
