/**
 * Test oracle: an independent reading of EventBridge's documented `cron(…)` syntax (EventBridge
 * "Cron expressions reference"), written from the documentation and sharing no code with
 * `functions/domain/schedules/eventbridge-cron.ts`.
 *
 * | field        | values              | wildcards        |
 * |--------------|---------------------|------------------|
 * | minutes      | 0-59                | , - * /          |
 * | hours        | 0-23                | , - * /          |
 * | day-of-month | 1-31                | , - * ? / L W    |
 * | month        | 1-12 or JAN-DEC     | , - * /          |
 * | day-of-week  | 1-7 or SUN-SAT      | , - * ? L #      |
 * | year         | 1970-2199           | , - * /          |
 *
 * - Exactly one of day-of-month and day-of-week is `?`.
 * - `a/n` means a, a+n, … up to the field's maximum; `*\/n` starts at the minimum; `a-b/n` stays in a-b.
 * - `L` in day-of-month is the month's last day; in day-of-week it is the week's last day (SAT).
 * - `dW` is the weekday (MON-FRI) nearest day d, never leaving the month (Quartz's rule, which
 *   EventBridge's syntax comes from): a Saturday moves to Friday unless that is the previous month
 *   (then to Monday), a Sunday to Monday unless that is the next month (then to Friday). A day
 *   the month does not have never matches.
 * - `d#n` is the n-th weekday d (1 = SUN) of the month.
 * Anything else is rejected, so a converter emitting undocumented syntax fails the tests.
 * Everything is UTC.
 */

export interface EventBridgeCron {
  /** Whether a run is due at this instant's minute (seconds are ignored). */
  matches(at: Date): boolean;
  /** Whether anything runs on this instant's UTC calendar day. */
  matchesDay(at: Date): boolean;
  matchesHour(at: Date): boolean;
}

type DayRule = (year: number, month: number, day: number, weekday: number) => boolean;

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MINUTE_MS = 60_000;
const LAST_YEAR = 2199;

interface Spec {
  readonly field: string;
  readonly low: number;
  readonly high: number;
  /** names[i] is the value low + i. */
  readonly names?: readonly string[];
  readonly slash: boolean;
}

export function parseEventBridgeCron(expression: string): EventBridgeCron {
  const body = /^cron\((.*)\)$/.exec(expression);
  if (!body) throw new Error(`not a cron(...) expression: ${expression}`);
  const parts = body[1]!.split(' ');
  if (parts.length !== 6) throw new Error(`expected 6 space-separated fields in ${expression}`);
  const [min, hour, dom, month, dow, year] = parts as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?'))
    throw new Error(`exactly one of day-of-month and day-of-week must be ? in ${expression}`);

  const minutes = valueSet(min, { field: 'minutes', low: 0, high: 59, slash: true });
  const hours = valueSet(hour, { field: 'hours', low: 0, high: 23, slash: true });
  const months = valueSet(month, { field: 'month', low: 1, high: 12, names: MONTHS, slash: true });
  const years = valueSet(year, { field: 'year', low: 1970, high: LAST_YEAR, slash: true });
  const dayRule = dom === '?' ? dayOfWeekRule(dow) : dayOfMonthRule(dom);

  const matchesDay = (at: Date): boolean =>
    years.has(at.getUTCFullYear()) &&
    months.has(at.getUTCMonth() + 1) &&
    dayRule(at.getUTCFullYear(), at.getUTCMonth() + 1, at.getUTCDate(), at.getUTCDay() + 1);
  const matchesHour = (at: Date): boolean => hours.has(at.getUTCHours());
  return {
    matchesDay,
    matchesHour,
    matches: (at) => matchesDay(at) && matchesHour(at) && minutes.has(at.getUTCMinutes()),
  };
}

/**
 * The next `count` runs strictly after `from`, found by stepping through time minute by minute
 * (skipping whole days and hours that cannot match), up to EventBridge's last year, 2199.
 */
export function nextEventBridgeRuns(expression: string, from: Date, count: number): Date[] {
  const cron = parseEventBridgeCron(expression);
  const runs: Date[] = [];
  const end = Date.UTC(LAST_YEAR + 1, 0, 1);
  let t = Math.floor(from.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  while (runs.length < count && t < end) {
    const at = new Date(t);
    if (!cron.matchesDay(at)) {
      t = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1);
    } else if (!cron.matchesHour(at)) {
      t = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate(), at.getUTCHours() + 1);
    } else {
      if (cron.matches(at)) runs.push(at);
      t += MINUTE_MS;
    }
  }
  return runs;
}

function dayOfMonthRule(text: string): DayRule {
  if (text === 'L') return (year, month, day) => day === daysIn(year, month);
  const w = /^(\d+)W$/.exec(text);
  if (w) {
    const target = Number(w[1]);
    if (target < 1 || target > 31) throw new Error(`day-of-month ${text} out of range`);
    return (year, month, day) => day === nearestWeekday(year, month, target);
  }
  const days = valueSet(text, { field: 'day-of-month', low: 1, high: 31, slash: true });
  return (_year, _month, day) => days.has(day);
}

function dayOfWeekRule(text: string): DayRule {
  if (text === 'L') return (_y, _m, _d, weekday) => weekday === 7;
  const hash = /^([^#]+)#([1-5])$/.exec(text);
  if (hash) {
    const wanted = single(hash[1]!, { field: 'day-of-week', low: 1, high: 7, names: DAYS, slash: false });
    const nth = Number(hash[2]);
    return (_y, _m, day, weekday) => weekday === wanted && Math.ceil(day / 7) === nth;
  }
  const weekdays = valueSet(text, { field: 'day-of-week', low: 1, high: 7, names: DAYS, slash: false });
  return (_y, _m, _d, weekday) => weekdays.has(weekday);
}

function valueSet(text: string, spec: Spec): Set<number> {
  const set = new Set<number>();
  for (const item of text.split(',')) {
    const [range = '', stepText, extra] = item.split('/');
    if (extra !== undefined || range === '') throw new Error(`${spec.field}: bad item ${item}`);
    if (stepText !== undefined && !spec.slash) throw new Error(`${spec.field}: / is not allowed`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!/^\d+$/.test(stepText ?? '1') || step < 1)
      throw new Error(`${spec.field}: bad increment in ${item}`);
    let first: number;
    let last: number;
    if (range === '*') {
      first = spec.low;
      last = spec.high;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      first = single(a, spec);
      last = single(b, spec);
      if (first > last) throw new Error(`${spec.field}: backwards range ${range}`);
    } else {
      first = single(range, spec);
      // `a/n` runs to the field's maximum; a bare value is just itself.
      last = stepText === undefined ? first : spec.high;
    }
    for (let v = first; v <= last; v += step) set.add(v);
  }
  return set;
}

function single(token: string, spec: Spec): number {
  if (/^\d+$/.test(token)) {
    const n = Number(token);
    if (n < spec.low || n > spec.high) throw new Error(`${spec.field}: ${token} out of range`);
    return n;
  }
  const i = spec.names ? spec.names.indexOf(token) : -1;
  if (i === -1) throw new Error(`${spec.field}: unknown value ${token}`);
  return spec.low + i;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function nearestWeekday(year: number, month: number, target: number): number {
  const last = daysIn(year, month);
  if (target > last) return -1;
  const weekday = new Date(Date.UTC(year, month - 1, target)).getUTCDay(); // 0 = Sunday
  if (weekday === 6) return target === 1 ? 3 : target - 1;
  if (weekday === 0) return target === last ? target - 2 : target + 1;
  return target;
}
