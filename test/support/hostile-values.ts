import fc from 'fast-check';

/** Names that are members of every plain object: as request keys they must stay plain keys. */
export const OBJECT_MEMBER_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  '__defineGetter__',
] as const;

/** Strings that break naive parsers, encoders and SQL. */
export const HOSTILE = [
  '',
  ' ',
  "' OR 1=1 --",
  '"; DROP TABLE export_jobs; --',
  '../../etc/passwd',
  '%00',
  '\u0000',
  '\ud800',
  '\u202e\u0301\ufeff',
  '😀'.repeat(50),
  'a'.repeat(5000),
  '{"$ne":null}',
  '<script>alert(1)</script>',
  'NaN',
  '-1',
  '1e309',
  '9'.repeat(30),
  'null',
  'true',
  '2024-02-30',
  '2024-01-01T00:00:00',
  '0000-00-00',
  '0000-01-01T00:00:00Z',
  '2024-01-01T00:00:00-23:59',
  '+275760-09-13T00:00:00Z',
  'users',
  'csv',
  'json',
  'daily_transactions',
  ...OBJECT_MEMBER_NAMES,
];

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * Dates around the edges of what Postgres and the API accept, in every shape the API takes:
 * years 0–2 and 9998–9999 (and any other), days past the end of a month, fractions up to
 * nanoseconds, offsets up to ±23:59 (Postgres reads ±15:59).
 */
export const edgeDate: fc.Arbitrary<string> = fc
  .record({
    year: fc.oneof(fc.constantFrom(0, 1, 2, 9998, 9999), fc.integer({ min: 0, max: 9999 })),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 27, max: 31 })),
    time: fc.option(
      fc.record({
        hour: fc.integer({ min: 0, max: 23 }),
        fraction: fc.option(
          fc.integer({ min: 0, max: 999_999_999 }).map((n) => `.${n}`),
          { nil: '' },
        ),
        offset: fc.oneof(
          fc.constant('Z'),
          fc
            .record({
              sign: fc.constantFrom('+', '-'),
              hours: fc.oneof(fc.constantFrom(0, 15, 16, 23), fc.integer({ min: 0, max: 23 })),
              minutes: fc.oneof(fc.constantFrom(0, 59), fc.integer({ min: 0, max: 59 })),
            })
            .map(({ sign, hours, minutes }) => `${sign}${pad(hours, 2)}:${pad(minutes, 2)}`),
        ),
      }),
      { nil: undefined },
    ),
  })
  .map(({ year, month, day, time }) => {
    const date = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
    return time ? `${date}T${pad(time.hour, 2)}:59:59${time.fraction}${time.offset}` : date;
  });

/** Huge and non-ASCII strings: long runs, astral and combining characters, lone surrogates. */
export const hugeOrUnicode: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('x'.repeat(100_000), '😀'.repeat(20_000), '\u0301'.repeat(30_000)),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.nat({ max: 50_000 }).map((n) => 'é'.repeat(n)),
);

/** Any of the above, mostly the short listed ones. */
export const hostile: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 2, arbitrary: edgeDate },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: hugeOrUnicode },
  { weight: 1, arbitrary: fc.uuid().map(String) },
);
