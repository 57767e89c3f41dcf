import { Cron } from 'croner';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CronConversionError,
  nextRunTimes,
  toEventBridgeCron,
} from '../../../functions/domain/schedules/eventbridge-cron.js';
import { nextEventBridgeRuns, parseEventBridgeCron } from '../../support/eventbridge-cron-evaluator.js';

const RUNS = 20;
/** EventBridge's year field stops at 2199; croner goes on, so its runs are cut there for comparison. */
const EVENTBRIDGE_END = Date.UTC(2200, 0, 1);

function cronerRuns(cron: string, from: Date, count: number): string[] {
  return new Cron(cron, { timezone: 'UTC', mode: '5-part' })
    .nextRuns(count, from)
    .filter((run) => run.getTime() < EVENTBRIDGE_END)
    .map((run) => run.toISOString());
}

function eventBridgeRuns(expression: string, from: Date, count: number): string[] {
  return nextEventBridgeRuns(expression, from, count).map((run) => run.toISOString());
}

function conversionError(cron: string): CronConversionError {
  try {
    toEventBridgeCron(cron);
  } catch (error) {
    if (error instanceof CronConversionError) return error;
    throw error;
  }
  throw new Error(`expected "${cron}" to be rejected`);
}

describe('toEventBridgeCron', () => {
  it.each([
    ['0 1 * * *', 'cron(0 1 * * ? *)'], // daily_transactions
    ['0 2 * * 0', 'cron(0 2 ? * SUN *)'], // weekly_users
    ['0 2 * * 7', 'cron(0 2 ? * SUN *)'],
    ['*/15 * * * *', 'cron(0/15 * * * ? *)'],
    ['1-10/2 * * * *', 'cron(1,3,5,7,9 * * * ? *)'],
    ['0 9-17 * * MON-FRI', 'cron(0 9-17 ? * MON-FRI *)'],
    ['0 9-17 * * 1-5', 'cron(0 9-17 ? * MON-FRI *)'],
    ['30 6 1 JAN,jul *', 'cron(30 6 1 1,7 ? *)'],
    ['0 0 1,15 * *', 'cron(0 0 1,15 * ? *)'],
    ['0 0 * * 0,6', 'cron(0 0 ? * SUN,SAT *)'],
    ['0 0 * * 5-7', 'cron(0 0 ? * SUN,FRI,SAT *)'],
    ['0 0 * * 1-7', 'cron(0 0 * * ? *)'],
    ['0 12 ? * 3', 'cron(0 12 ? * WED *)'],
    ['0 0 L * *', 'cron(0 0 L * ? *)'],
    ['0 0 15W * *', 'cron(0 0 15W * ? *)'],
    ['0 0 * * FRI#2', 'cron(0 0 ? * 6#2 *)'],
    ['0 0 * * 0#1', 'cron(0 0 ? * 1#1 *)'],
  ])('converts %s to %s', (cron, expected) => {
    expect(toEventBridgeCron(cron)).toBe(expected);
  });

  it('rejects a cron restricting both day-of-month and day-of-week, which means "either" in cron', () => {
    const error = conversionError('0 0 1 * 1');

    expect(error).toBeInstanceOf(CronConversionError);
    expect(error.code).toBe('invalid_cron');
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/both day-of-month \(1\) and day-of-week \(1\).*either/);
  });

  it.each([
    ['0 0 1 * * *', /expected 5 fields .* found 6/],
    ['0 0 1 * * * 2030', /expected 5 fields .* found 7/],
    ['', /found 0/],
    ['every day at noon', /expected 5 fields/],
    ['a b c d e', /not valid cron/],
    ['60 * * * *', /not valid cron/],
    ['0 0 * * 8', /not valid cron/],
    ['@daily', /nicknames/],
    ['0 0 31 2 *', /never runs: day-of-month 31 does not occur in month FEB/],
    ['0 0 30,31 2 *', /never runs/],
    ['0 0 1 * 0-6', /both day-of-month/],
    ['0 0 * * 5L', /L .* not supported/],
    ['0 0 1,L * *', /L and nW are supported only on their own/],
    ['0 0 30W * *', /days 1 to 28/],
    ['0 0 * * MON#1,FRI#2', /single d#n/],
    ['0 0 */2 * 1', /both day-of-month/],
  ])('rejects %j with a clear message', (cron, message) => {
    const error = conversionError(cron);

    expect(error.code).toBe('invalid_cron');
    expect(error.message).toContain(`"${cron}"`);
    expect(error.message).toMatch(message);
  });
});

describe('nextRunTimes', () => {
  it('lists the next runs strictly after the given instant, in UTC', () => {
    const runs = nextRunTimes('0 2 * * 0', new Date('2024-01-07T02:00:00Z'), 3);

    expect(runs.map((run) => run.toISOString())).toEqual([
      '2024-01-14T02:00:00.000Z',
      '2024-01-21T02:00:00.000Z',
      '2024-01-28T02:00:00.000Z',
    ]);
  });

  it('returns nothing for a count of 0 and rejects invalid cron', () => {
    expect(nextRunTimes('0 1 * * *', new Date(), 0)).toEqual([]);
    expect(() => nextRunTimes('0 25 * * *', new Date(), 1)).toThrow(CronConversionError);
  });
});

describe('the EventBridge oracle', () => {
  it('reads the documented examples as documented', () => {
    const from = new Date('2023-12-31T23:59:00Z');

    // "cron(0 10 * * ? *)": 10:00 every day.
    expect(eventBridgeRuns('cron(0 10 * * ? *)', from, 2)).toEqual([
      '2024-01-01T10:00:00.000Z',
      '2024-01-02T10:00:00.000Z',
    ]);
    // "cron(15 12 * * ? *)"-style and "3#2": second Tuesday of the month.
    expect(eventBridgeRuns('cron(0 0 ? * 3#2 *)', from, 2)).toEqual([
      '2024-01-09T00:00:00.000Z',
      '2024-02-13T00:00:00.000Z',
    ]);
    // "1/10" in minutes: 1, 11, 21, …
    expect(eventBridgeRuns('cron(1/10 0 * * ? *)', from, 3)).toEqual([
      '2024-01-01T00:01:00.000Z',
      '2024-01-01T00:11:00.000Z',
      '2024-01-01T00:21:00.000Z',
    ]);
    // 1W when the 1st is a Saturday (June 2024) stays in the month: Monday the 3rd.
    expect(eventBridgeRuns('cron(0 0 1W 6 ? *)', from, 1)).toEqual(['2024-06-03T00:00:00.000Z']);
    // 1 = SUN in EventBridge's day-of-week.
    expect(eventBridgeRuns('cron(0 0 ? * 1 *)', from, 1)).toEqual(['2024-01-07T00:00:00.000Z']);
  });

  it('rejects expressions breaking the ? rule', () => {
    expect(() => parseEventBridgeCron('cron(0 0 * * * *)')).toThrow(/exactly one/);
    expect(() => parseEventBridgeCron('cron(0 0 ? * ? *)')).toThrow(/exactly one/);
  });
});

/** Hand-picked expressions: the catalogue's, the documentation's kind, and edge cases. */
const HAND_PICKED = [
  '0 1 * * *',
  '0 2 * * 0',
  '0 2 * * 7',
  '* * * * *',
  '*/5 * * * *',
  '*/15 * * * *',
  '*/7 * * * *',
  '*/45 * * * *',
  '1-10/2 * * * *',
  '5,10,59 * * * *',
  '0 */2 * * *',
  '0 */5 * * *',
  '15 8-18/3 * * *',
  '0 0,12 * * *',
  '30 23 * * *',
  '0 9-17 * * 1-5',
  '0 9 * * MON-FRI',
  '0 9 * * mon,wed,fri',
  '0 0 * * 6,0',
  '0 0 * * 5-7',
  '0 0 * * */2',
  '0 0 * * 1-7/2',
  '0 0 * * 0-6',
  '0 12 ? * 3',
  '0 0 1 * *',
  '0 0 1,15 * *',
  '0 0 */10 * *',
  '0 0 2-30/7 * *',
  '0 0 31 * *',
  '0 0 30 * *',
  '0 0 29 2 *',
  '0 0 1 1 *',
  '0 6 1 JAN,APR,JUL,OCT *',
  '0 6 1 */3 *',
  '0 0 * FEB *',
  '0 0 * 2-4 0',
  '45 3 15 jun-aug *',
  '0 0 L * *',
  '0 0 L 2 *',
  '0 0 1W * *',
  '0 0 15W * *',
  '0 0 28W * *',
  '0 0 * * FRI#2',
  '0 0 * * 0#5',
  '0 0 * * 7#1',
  '59 23 31 12 *',
  '0 0 ? * 1',
  '0 0 1 * ?',
  '0-5 0 * * *',
  '0 0-23/6 * * *',
];

/** Starting points around month, leap-day and year boundaries, and a century that is not a leap year. */
const FROM = ['2024-02-27T23:59:30Z', '2023-12-31T00:00:00Z', '2099-11-15T12:34:56Z'].map(
  (iso) => new Date(iso),
);

describe('conversion preserves run times (croner vs. EventBridge rules)', () => {
  it(`covers at least 50 hand-picked expressions`, () => {
    expect(HAND_PICKED.length).toBeGreaterThanOrEqual(50);
  });

  it.each(HAND_PICKED)('%s: the next 20 runs agree', (cron) => {
    const expression = toEventBridgeCron(cron);

    for (const from of FROM) {
      const expected = cronerRuns(cron, from, RUNS);
      expect(expected.length).toBeGreaterThan(0);
      expect(eventBridgeRuns(expression, from, RUNS)).toEqual(expected);
    }
  });

  it('agrees on generated expressions, or rejects exactly those that never run', () => {
    fc.assert(
      fc.property(cronExpression(), fromDate(), (cron, from) => {
        let expression: string;
        try {
          expression = toEventBridgeCron(cron);
        } catch (error) {
          expect(error).toBeInstanceOf(CronConversionError);
          expect((error as Error).message).toMatch(/never runs/);
          expect(cronerRuns(cron, from, 1)).toEqual([]);
          return;
        }
        expect(eventBridgeRuns(expression, from, RUNS)).toEqual(cronerRuns(cron, from, RUNS));
      }),
      { numRuns: 150 },
    );
  });

  it('rejects every generated expression that restricts both day fields', () => {
    fc.assert(
      fc.property(
        fc.tuple(field(0, 59), field(0, 23), field(1, 31), field(1, 12, MONTH_NAMES), field(0, 7, DAY_NAMES)),
        ([minute, hour, dom, month, dow]) => {
          fc.pre(dom !== '*' && dow !== '*');
          const cron = `${minute} ${hour} ${dom} ${month} ${dow}`;

          expect(() => toEventBridgeCron(cron)).toThrow(CronConversionError);
        },
      ),
      { numRuns: 100 },
    );
  });
});

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** A value in [low, high], sometimes written as a name (`names[i]` = low + i). */
function value(low: number, high: number, names?: readonly string[]): fc.Arbitrary<string> {
  return fc.integer({ min: low, max: high }).chain((n) => {
    const name = names?.[n - low];
    return name === undefined ? fc.constant(String(n)) : fc.constantFrom(String(n), name, name.toLowerCase());
  });
}

/** One cron list item: value, range, `*\/n` or `a-b/n`. */
function item(low: number, high: number, names?: readonly string[]): fc.Arbitrary<string> {
  const range = fc
    .tuple(fc.integer({ min: low, max: high }), fc.integer({ min: low, max: high }))
    .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
  return fc.oneof(
    value(low, high, names),
    range.map(([a, b]) => `${a}-${b}`),
    fc.integer({ min: 1, max: high - low }).map((step) => `*/${step}`),
    range.chain(([a, b]) =>
      fc.integer({ min: 1, max: Math.min(b - a + 1, high - low) }).map((step) => `${a}-${b}/${step}`),
    ),
  );
}

/** A whole field: `*`, or a list of one to three items. */
function field(low: number, high: number, names?: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constant('*'), weight: 1 },
    {
      arbitrary: fc
        .array(item(low, high, names), { minLength: 1, maxLength: 3 })
        .map((items) => items.join(',')),
      weight: 3,
    },
  );
}

/** A convertible-looking cron: at most one day field restricted (possibly with L, W or #). */
function cronExpression(): fc.Arbitrary<string> {
  const days = fc.oneof(
    fc.constant(['*', '*'] as const),
    field(1, 31).map((dom) => [dom, '*'] as const),
    field(0, 7, DAY_NAMES).map((dow) => ['*', dow] as const),
    fc.constantFrom('L', '?').map((dom) => [dom, '*'] as const),
    fc.integer({ min: 1, max: 28 }).map((day) => [`${day}W`, '*'] as const),
    fc
      .tuple(value(0, 7, DAY_NAMES), fc.integer({ min: 1, max: 5 }))
      .map(([weekday, nth]) => ['?', `${weekday}#${nth}`] as const),
  );
  return fc
    .tuple(field(0, 59), field(0, 23), days, field(1, 12, MONTH_NAMES))
    .map(([minute, hour, [dom, dow], month]) => `${minute} ${hour} ${dom} ${month} ${dow}`);
}

function fromDate(): fc.Arbitrary<Date> {
  return fc
    .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) })
    .map((ms) => new Date(Math.floor(ms / 1000) * 1000));
}
