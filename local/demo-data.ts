import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Sql, TransactionSql } from 'postgres';

/**
 * How much demo data to write. Counts are per-table totals including the fixed hard-case rows,
 * which are always written (so a table never has fewer rows than its fixed ones).
 */
export interface DemoDataOptions {
  /** Number of users; at least {@link DEMO_FIXED_ROWS.users} (the fixed hard-case users). */
  users: number;
  /** Same seed and counts give byte-identical data. @default 1 */
  seed?: number;
  /** @default max(5, users / 10) */
  courses?: number;
  /** @default 2 × users */
  enrollments?: number;
  /** @default 3 × users */
  transactions?: number;
  /** Rows of `activity_logs`. @default 4 × users */
  activity?: number;
}

/** What {@link seedDemoData} wrote. */
export interface DemoDataSummary {
  readonly seed: number;
  /** Rows written per product table. */
  readonly rows: {
    readonly users: number;
    readonly courses: number;
    readonly enrollments: number;
    readonly transactions: number;
    readonly activity_logs: number;
  };
  /** The ordinary demo user who owns most hard-case rows (index 1). */
  readonly userId: string;
  /** The one user with roles `{admin}` (index 2). */
  readonly adminId: string;
}

/** Seed used when {@link DemoDataOptions.seed} is omitted. */
export const DEMO_DEFAULT_SEED = 1;

/**
 * Deterministic id of the demo user with 1-based `index` under `seed`: md5(`demo-user:<seed>:<index>`)
 * read as a uuid, the same expression the SQL generator uses.
 */
export function demoUserId(index: number, seed: number = DEMO_DEFAULT_SEED): string {
  const hex = createHash('md5').update(`demo-user:${seed}:${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The first user (default seed): an ordinary user owning most hard-case transactions, enrollments and activity. */
export const DEMO_USER_ID = demoUserId(1);
export const DEMO_USER_EMAIL = 'user@example.com';
/** The admin user (default seed): roles `{admin}`. */
export const DEMO_ADMIN_ID = demoUserId(2);
export const DEMO_ADMIN_EMAIL = 'admin@example.com';

/** Prefixes of the fake credentials in `users.password_hash` / `users.mfa_secret`; no export may contain them. */
export const DEMO_PASSWORD_HASH_MARKER = '$argon2id$v=19$m=65536,t=3,p=4$SECRET';
export const DEMO_MFA_SECRET_MARKER = 'MFASECRET';

/**
 * Strings that break naive encoders: CSV delimiters and quotes, line breaks, spreadsheet formula
 * prefixes, XML specials, non-ASCII, a control character. Used in the fixed rows and mixed into
 * generated ones.
 */
export const DEMO_HARD_TEXTS: readonly string[] = [
  'comma, separated',
  'double "quoted" text',
  'carriage\rreturn',
  'line\nfeed',
  'crlf\r\nline',
  'tab\tinside',
  'Zoë 😀 日本語',
  'control \u0001 char',
  '=1+1',
  '+1 555 0100',
  '-42',
  '@SUM(A1:A2)',
  '\tleading tab',
  '\rleading carriage return',
  ' =1+1 after a space',
  '\n+1 after a line break',
  '＝1+1 full-width',
  '＋1 full-width',
  '－1 full-width',
  '＠SUM(A1:A2) full-width',
  'cdata end ]]> inside',
  'back\\slash \\n not a newline',
  '<tag attr="1">&amp; & <</tag>',
];

const MULTILINE_HARD_TEXT =
  'Multi, "quoted"\r\nCRLF\nLF\rCR\ttab \u0001ctl back\\slash ]]> <b>&amp;</b> Zoë 😀 日本語';

// Nested objects in arrays in objects, unicode escapes, 1.10 (jsonb keeps the scale), huge and tiny
// numbers, JSON null next to absent keys, empty containers.
const NESTED_JSON = String.raw`{
  "cart": {
    "items": [
      {"sku": "A-1", "qty": 2, "price": 1.10, "tags": ["x,y", "\"q\""], "attrs": {"colour": "vermilion", "size": null}},
      {"sku": "日本-2", "qty": 0, "price": -3.5, "gift": false, "attrs": {"levels": [[1, 2], [3, {"deep": true}]]}}
    ]
  },
  "note": "Zoë 😀 \"quoted\" \\ back ]]> <x/> & more",
  "escapes": "line1\nline2\r\ncrlf\ttab\u0001ctl",
  "unicode": "\u00e9\u65e5\ud83d\ude00",
  "big": 12345678901234567890.5,
  "small": 0.000001,
  "negative": -0.5,
  "empty_obj": {},
  "empty_arr": [],
  "empty_str": "",
  "zero": 0,
  "flag": false,
  "nothing": null
}`;

/** Instants that trip up time handling: before the epoch, on DST switches (EU 2021), day boundaries. */
const EDGE_TIMESTAMPS = [
  '1969-07-20 20:17:40+00',
  '1969-12-31 23:59:59.999999+00',
  '1970-01-01 00:00:00+00',
  '2021-03-28 00:59:59.999999+00',
  '2021-03-28 01:00:00+00',
  '2021-10-31 00:59:59.999999+00',
  '2021-10-31 01:00:00+00',
  '2024-02-29 00:00:00+00',
  '2024-02-29 23:59:59.999999+00',
] as const;

type Row = Record<string, string | number | boolean | null | readonly string[]>;

function hash(...parts: (string | number)[]): string {
  return createHash('md5').update(parts.join(':')).digest('hex');
}

function specialUsers(seed: number): Row[] {
  const user = (
    index: number,
    email: string,
    fullName: string | null,
    roles: readonly string[],
    locale: string | null,
    marketingOptIn: boolean,
    createdAt: string,
    updatedAt: string,
  ): Row => ({
    id: demoUserId(index, seed),
    email,
    full_name: fullName,
    password_hash: `${DEMO_PASSWORD_HASH_MARKER}${hash('pw', seed, index)}`,
    mfa_secret: `${DEMO_MFA_SECRET_MARKER}${hash('mfa', seed, index).slice(0, 16).toUpperCase()}`,
    roles,
    locale,
    marketing_opt_in: marketingOptIn,
    created_at: createdAt,
    updated_at: updatedAt,
  });
  return [
    user(
      1,
      DEMO_USER_EMAIL,
      'Zoë 😀 日本語',
      ['user'],
      'fr-FR',
      false,
      EDGE_TIMESTAMPS[0],
      EDGE_TIMESTAMPS[4],
    ),
    user(2, DEMO_ADMIN_EMAIL, 'Ada Admin', ['admin'], 'en-GB', true, EDGE_TIMESTAMPS[3], EDGE_TIMESTAMPS[3]),
    user(3, 'empty.name@example.com', '', [], null, false, EDGE_TIMESTAMPS[7], EDGE_TIMESTAMPS[8]),
    user(
      4,
      'null.name@example.com',
      null,
      ['user', 'a,b', 'say "hi"', 'back\\slash', 'Zoë'],
      '',
      false,
      EDGE_TIMESTAMPS[5],
      EDGE_TIMESTAMPS[6],
    ),
    user(
      5,
      'formula.equals@example.com',
      '=HYPERLINK("http://example.invalid","click")',
      ['user'],
      'en-US',
      true,
      EDGE_TIMESTAMPS[1],
      EDGE_TIMESTAMPS[2],
    ),
    user(
      6,
      '+plus@example.com',
      '+1 (555) 0100',
      ['user'],
      'en-US',
      false,
      EDGE_TIMESTAMPS[2],
      EDGE_TIMESTAMPS[2],
    ),
    user(7, '-minus@example.com', '-2+3', ['user'], 'de-DE', false, EDGE_TIMESTAMPS[7], EDGE_TIMESTAMPS[7]),
    user(
      8,
      '@at@example.com',
      '@SUM(A1:A2)',
      ['user'],
      'ja-JP',
      false,
      EDGE_TIMESTAMPS[8],
      EDGE_TIMESTAMPS[8],
    ),
    user(
      9,
      'tab@example.com',
      '\tTabbed Name',
      ['user'],
      'pt-BR',
      false,
      EDGE_TIMESTAMPS[4],
      EDGE_TIMESTAMPS[4],
    ),
    user(
      10,
      'cr@example.com',
      '\rCarriage Name',
      ['user'],
      'pt-BR',
      false,
      EDGE_TIMESTAMPS[6],
      EDGE_TIMESTAMPS[6],
    ),
    user(
      11,
      'multi.line@example.com',
      MULTILINE_HARD_TEXT,
      ['user', 'instructor'],
      'en-GB',
      true,
      EDGE_TIMESTAMPS[3],
      EDGE_TIMESTAMPS[4],
    ),
    user(
      12,
      'obrien@example.com',
      "Siobhán O'Brien, Jr.",
      ['user', 'instructor'],
      'ga-IE',
      true,
      EDGE_TIMESTAMPS[5],
      EDGE_TIMESTAMPS[6],
    ),
  ];
}

const SPECIAL_COURSES: Row[] = [
  { id: 1, title: 'Intro to SQL, "Part 1"', price: '0.00', created_at: EDGE_TIMESTAMPS[1] },
  {
    id: 2,
    title: 'Line one\nLine two ]]> <tag attr="x"> & more',
    price: '99999999.99',
    created_at: EDGE_TIMESTAMPS[2],
  },
  { id: 3, title: '日本語コース 😀 Zoë', price: '19.99', created_at: EDGE_TIMESTAMPS[4] },
  { id: 4, title: "=cmd|' /C calc'!A0", price: '1.10', created_at: EDGE_TIMESTAMPS[6] },
  { id: 5, title: '', price: '5.00', created_at: EDGE_TIMESTAMPS[7] },
];

function specialEnrollments(seed: number): Row[] {
  const user = demoUserId(1, seed);
  return [
    {
      id: 1,
      user_id: user,
      course_id: 1,
      status: 'completed',
      progress: '100.00',
      enrolled_at: EDGE_TIMESTAMPS[3],
      completed_at: EDGE_TIMESTAMPS[6],
      created_at: EDGE_TIMESTAMPS[3],
    },
    {
      id: 2,
      user_id: user,
      course_id: 3,
      status: 'active',
      progress: '0.00',
      enrolled_at: EDGE_TIMESTAMPS[0],
      completed_at: null,
      created_at: EDGE_TIMESTAMPS[0],
    },
    {
      id: 3,
      user_id: user,
      course_id: 2,
      status: 'cancelled',
      progress: '33.33',
      enrolled_at: EDGE_TIMESTAMPS[7],
      completed_at: null,
      created_at: EDGE_TIMESTAMPS[8],
    },
    {
      id: 4,
      user_id: demoUserId(2, seed),
      course_id: 4,
      status: 'active',
      progress: '99.99',
      enrolled_at: EDGE_TIMESTAMPS[4],
      completed_at: null,
      created_at: EDGE_TIMESTAMPS[4],
    },
    {
      id: 5,
      user_id: demoUserId(3, seed),
      course_id: 5,
      status: 'active',
      progress: '0.00',
      enrolled_at: EDGE_TIMESTAMPS[5],
      completed_at: null,
      created_at: EDGE_TIMESTAMPS[5],
    },
  ];
}

function specialTransactions(seed: number): Row[] {
  const user = demoUserId(1, seed);
  const tx = (
    id: number,
    userId: string,
    amount: string,
    currency: string,
    status: string,
    description: string | null,
    metadata: string | null,
    createdAt: string,
  ): Row => ({ id, user_id: userId, amount, currency, status, description, metadata, created_at: createdAt });
  return [
    tx(1, user, '-12.34', 'EUR', 'refunded', null, null, EDGE_TIMESTAMPS[0]),
    tx(2, user, '0.00', 'USD', 'succeeded', '', '{}', EDGE_TIMESTAMPS[3]),
    tx(3, user, '9999999999.99', 'JPY', 'succeeded', MULTILINE_HARD_TEXT, NESTED_JSON, EDGE_TIMESTAMPS[4]),
    tx(4, user, '-9999999999.99', 'GBP', 'failed', '=1+1', '[]', EDGE_TIMESTAMPS[5]),
    // JSON null, as opposed to SQL NULL in row 1.
    tx(5, user, '0.01', 'EUR', 'pending', '+SUM(1,2)', 'null', EDGE_TIMESTAMPS[6]),
    tx(6, user, '1.10', 'EUR', 'succeeded', '-5', '{"n": 1.10, "exp": 1e3, "neg": -0.5}', EDGE_TIMESTAMPS[7]),
    tx(7, user, '100.00', 'USD', 'succeeded', '@cmd', '"just a string"', EDGE_TIMESTAMPS[8]),
    tx(
      8,
      user,
      '42.00',
      'USD',
      'succeeded',
      '\tleading tab',
      '[1, "two", {"three": [3]}]',
      EDGE_TIMESTAMPS[1],
    ),
    tx(9, user, '43.00', 'USD', 'succeeded', '\rleading carriage return', '0', EDGE_TIMESTAMPS[2]),
    tx(
      10,
      demoUserId(2, seed),
      '7.50',
      'EUR',
      'succeeded',
      'Zoë 😀 日本語 ünïcödé',
      NESTED_JSON,
      EDGE_TIMESTAMPS[3],
    ),
    tx(
      11,
      demoUserId(3, seed),
      '19.99',
      'GBP',
      'succeeded',
      'comma, only',
      '{"a": "b,c"}',
      EDGE_TIMESTAMPS[4],
    ),
    tx(
      12,
      user,
      '2.00',
      'EUR',
      'succeeded',
      'back\\slash \\n not a newline',
      '{"path": "C:\\\\temp"}',
      EDGE_TIMESTAMPS[5],
    ),
    tx(13, user, '3.00', 'EUR', 'succeeded', 'quote "inside" and \'single\'', null, EDGE_TIMESTAMPS[6]),
    tx(14, user, '-0.01', 'EUR', 'refunded', 'cdata end ]]> inside', null, EDGE_TIMESTAMPS[7]),
  ];
}

function specialActivity(seed: number): Row[] {
  const user = demoUserId(1, seed);
  const log = (
    id: number,
    userId: string,
    action: string,
    ip: string | null,
    userAgent: string | null,
    details: string | null,
    createdAt: string,
  ): Row => ({
    id,
    user_id: userId,
    action,
    ip_address: ip,
    user_agent: userAgent,
    details,
    created_at: createdAt,
  });
  return [
    log(
      1,
      user,
      'login',
      '192.0.2.1',
      'Mozilla/5.0 (X11; Linux x86_64) "quoted", comma',
      NESTED_JSON,
      EDGE_TIMESTAMPS[0],
    ),
    log(2, user, 'login', '2001:db8::1', '', '{}', EDGE_TIMESTAMPS[3]),
    log(3, user, 'logout', null, null, null, EDGE_TIMESTAMPS[4]),
    // An inet with a netmask and an IPv4-mapped IPv6 address.
    log(4, user, 'view_course', '192.0.2.0/24', 'curl/8.5.0', 'null', EDGE_TIMESTAMPS[5]),
    log(
      5,
      user,
      'download',
      '::ffff:192.0.2.1',
      'Emoji 😀 agent\tTab\r\nCRLF',
      '{"file": "a\\"b.csv"}',
      EDGE_TIMESTAMPS[6],
    ),
    log(
      6,
      demoUserId(2, seed),
      'export.requested',
      '203.0.113.7',
      'admin-console',
      '{"tables": ["users"]}',
      EDGE_TIMESTAMPS[7],
    ),
    log(
      7,
      user,
      'password_change',
      '2001:db8:0:0:0:0:0:2',
      '=cmd',
      '{"zero": 0, "flag": false}',
      EDGE_TIMESTAMPS[8],
    ),
  ];
}

/**
 * Rows per table written first with fixed content (ids 1..n; users are indexes 1..n); generated rows
 * follow. `users` is also the minimum for {@link DemoDataOptions.users}.
 */
export const DEMO_FIXED_ROWS = {
  users: specialUsers(DEMO_DEFAULT_SEED).length,
  courses: SPECIAL_COURSES.length,
  enrollments: specialEnrollments(DEMO_DEFAULT_SEED).length,
  transactions: specialTransactions(DEMO_DEFAULT_SEED).length,
  activity_logs: specialActivity(DEMO_DEFAULT_SEED).length,
} as const;

/** SQL for the k-th (0–7) deterministic unsigned 32-bit number of the current generated row. */
function r(k: number): string {
  return `r${k}`;
}

/** Separates the random streams of the generated tables. */
const STREAMS = { users: 1, courses: 2, enrollments: 3, transactions: 4, activity: 5 } as const;

/**
 * A generator subquery `g`: ids $2..$3, each with eight unsigned 32-bit numbers `r0`..`r7` from
 * `hashint8extended(id, f(seed, table, k))`, the integer hash behind hash partitioning (pure integer
 * arithmetic, so independent of platform), about ten times cheaper than cutting numbers out of md5
 * digests. `OFFSET 0` keeps the planner from inlining the subquery, which would recompute the
 * hashes at every reference.
 */
function generator(stream: keyof typeof STREAMS): string {
  const numbers = Array.from(
    { length: 8 },
    (_, k) => `hashint8extended(i, $1::bigint * 64 + ${STREAMS[stream] * 8 + k}) & 4294967295 AS r${k}`,
  );
  return `(SELECT i, ${numbers.join(', ')}
    FROM generate_series($2::bigint, $3::bigint) AS i
    OFFSET 0) g`;
}

/** SQL picking one of `values` (SQL literals) with the k-th random number. */
function pick(k: number, values: readonly string[]): string {
  return `(ARRAY[${values.join(', ')}])[1 + ${r(k)} % ${values.length}]`;
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A timestamp in 2019–2024 to the microsecond, or (1 in 40) one of the edge instants. */
function timestamp(kSeconds: number, kMicros: number): string {
  return `CASE WHEN ${r(kSeconds)} % 40 = 0
      THEN ${pick(
        kMicros,
        EDGE_TIMESTAMPS.map((t) => `${literal(t)}::timestamptz`),
      )}
      ELSE '2019-01-01 00:00:00+00'::timestamptz
        + (${r(kSeconds)} % 189216000) * interval '1 second'
        + (${r(kMicros)} % 1000000) * interval '1 microsecond'
    END`;
}

/** The id of a random existing user (1..$4), by the same formula as {@link demoUserId}. */
function randomUser(k: number): string {
  return `md5('demo-user:' || $1::int || ':' || (1 + ${r(k)} % $4::int))::uuid`;
}

/** One of the hard texts (parameter `$<param>`, a text[]) with the k-th random number. */
function hardText(k: number, param = 5): string {
  return `($${param}::text[])[1 + ${r(k)} % array_length($${param}::text[], 1)]`;
}

/** $1 seed, $2..$3 ids, $4 hard texts. */
const GENERATE_USERS = `
  INSERT INTO users (id, email, full_name, password_hash, mfa_secret, roles, locale, marketing_opt_in, created_at, updated_at)
  SELECT id, email, full_name, password_hash, mfa_secret, roles, locale, marketing_opt_in, created_at,
    created_at + (${r(7)} % 31536000) * interval '1 second'
  FROM (
    SELECT g.*,
      md5('demo-user:' || $1::int || ':' || i)::uuid AS id,
      'user' || i || '@example.com' AS email,
      CASE ${r(0)} % 50
        WHEN 0 THEN NULL
        WHEN 1 THEN ''
        WHEN 2 THEN ${hardText(1, 4)}
        ELSE ${pick(1, ['Zoë', 'José', 'Ana', 'Li', 'Siobhán', 'Oliver', 'Amélie', 'Kenji', 'Fatima', 'Øyvind'].map(literal))}
          || ' ' || ${pick(2, ['Smith', 'García', "O'Brien", 'Müller', '山田', 'Nguyen', 'Dubois', 'Kowalski', 'Smith, Jr.'].map(literal))}
      END AS full_name,
      '${DEMO_PASSWORD_HASH_MARKER}' || md5('pw:' || $1::int || ':' || i) AS password_hash,
      CASE WHEN ${r(3)} % 3 = 0 THEN NULL
        ELSE '${DEMO_MFA_SECRET_MARKER}' || upper(substr(md5('mfa:' || $1::int || ':' || i), 1, 16))
      END AS mfa_secret,
      CASE ${r(3)} % 10
        WHEN 0 THEN '{}'::text[]
        WHEN 1 THEN '{user,instructor}'::text[]
        WHEN 2 THEN '{user,"beta, early"}'::text[]
        ELSE '{user}'::text[]
      END AS roles,
      ${pick(4, [...['en-GB', 'en-US', 'fr-FR', 'de-DE', 'ja-JP', 'pt-BR'].map(literal), 'NULL'])} AS locale,
      ${r(4)} % 2 = 0 AS marketing_opt_in,
      ${timestamp(5, 6)} AS created_at
    FROM ${generator('users')}
  ) u
`;

/** $1 seed, $2..$3 ids, $4 hard texts. */
const GENERATE_COURSES = `
  INSERT INTO courses (id, title, price, created_at)
  SELECT i,
    CASE WHEN ${r(0)} % 25 = 0 THEN ${hardText(1, 4)} || ' ' || i
      ELSE ${pick(1, ['Intro to', 'Advanced', 'Practical', 'Mastering', 'Fundamentals of'].map(literal))}
        || ' ' || ${pick(2, ['SQL', 'TypeScript', 'Statistics', 'Café Management', '日本語', 'Data, Privacy & Law'].map(literal))}
        || ' ' || i
    END,
    CASE WHEN ${r(3)} % 10 = 0 THEN 0 ELSE (${r(3)} % 50000) / 100.0 END,
    ${timestamp(4, 5)}
  FROM ${generator('courses')}
`;

/** $1 seed, $2..$3 ids, $4 user count, $5 course count. */
const GENERATE_ENROLLMENTS = `
  INSERT INTO enrollments (id, user_id, course_id, status, progress, enrolled_at, completed_at, created_at)
  SELECT i, user_id, course_id, status,
    CASE status WHEN 'completed' THEN 100 ELSE (${r(3)} % 10000) / 100.0 END,
    enrolled_at,
    CASE WHEN status = 'completed' THEN enrolled_at + (${r(7)} % 15552000) * interval '1 second' END,
    enrolled_at
  FROM (
    SELECT g.*,
      ${randomUser(0)} AS user_id,
      1 + ${r(1)} % $5::int AS course_id,
      ${pick(2, ['active', 'active', 'completed', 'cancelled'].map(literal))} AS status,
      ${timestamp(4, 5)} AS enrolled_at
    FROM ${generator('enrollments')}
  ) e
`;

/** $1 seed, $2..$3 ids, $4 user count, $5 hard texts. */
const GENERATE_TRANSACTIONS = `
  INSERT INTO transactions (id, user_id, amount, currency, status, description, metadata, created_at)
  SELECT i, user_id, amount, currency, status,
    CASE ${r(3)} % 40
      WHEN 0 THEN NULL
      WHEN 1 THEN ''
      WHEN 2 THEN ${hardText(4)}
      ELSE 'Order ' || i || ' ' || ${pick(4, ['course purchase', 'subscription', 'gift card', 'Café voucher'].map(literal))}
    END,
    -- Built as JSON text and parsed once: a third cheaper than nested jsonb_build_object calls.
    CASE WHEN ${r(5)} % 10 = 0 THEN NULL ELSE (
      '{"order_ref": "ORD-' || i
      || '", "channel": "' || ${pick(5, ['web', 'ios', 'android', 'api'].map(literal))}
      || '", "items": [{"sku": "SKU-' || (${r(6)} % 1000)
      || '", "qty": ' || (1 + ${r(6)} % 3)
      || ', "unit_price": ' || amount
      || '}], "note": ' || CASE WHEN ${r(7)} % 25 = 0 THEN to_json(${hardText(7)})::text ELSE 'null' END
      || '}'
    )::jsonb END,
    created_at
  FROM (
    SELECT g.*,
      ${randomUser(0)} AS user_id,
      CASE ${r(1)} % 20
        WHEN 0 THEN -((${r(2)} % 100000) / 100.0)
        WHEN 1 THEN 0
        ELSE (${r(2)} % 100000) / 100.0
      END::numeric(12, 2) AS amount,
      ${pick(2, ['EUR', 'USD', 'GBP', 'JPY'].map(literal))} AS currency,
      ${pick(1, ['succeeded', 'succeeded', 'succeeded', 'pending', 'failed', 'refunded'].map(literal))} AS status,
      ${timestamp(6, 7)} AS created_at
    FROM ${generator('transactions')}
  ) t
`;

/** $1 seed, $2..$3 ids, $4 user count, $5 hard texts. */
const GENERATE_ACTIVITY = `
  INSERT INTO activity_logs (id, user_id, action, ip_address, user_agent, details, created_at)
  SELECT i,
    ${randomUser(0)},
    ${pick(1, ['login', 'logout', 'view_course', 'download', 'password_change', 'export.requested'].map(literal))},
    CASE ${r(2)} % 10
      WHEN 0 THEN NULL
      WHEN 1 THEN '2001:db8::'::inet + ${r(3)}
      ELSE '10.0.0.0'::inet + (${r(3)} % 16777216)
    END,
    CASE ${r(4)} % 30
      WHEN 0 THEN NULL
      WHEN 1 THEN ''
      WHEN 2 THEN ${hardText(5)}
      ELSE ${pick(
        5,
        [
          'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
          'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)',
          'curl/8.5.0',
          'LearnApp/3.2 (Android 14; "Pixel 8", de-DE)',
        ].map(literal),
      )}
    END,
    CASE WHEN ${r(6)} % 8 = 0 THEN NULL ELSE jsonb_build_object(
      'path', '/courses/' || (1 + ${r(6)} % 500),
      'ok', ${r(6)} % 7 <> 0,
      'duration_ms', ${r(7)} % 5000
    ) END,
    ${timestamp(6, 7)}
  FROM ${generator('activity')}
`;

interface ResolvedCounts {
  seed: number;
  users: number;
  courses: number;
  enrollments: number;
  transactions: number;
  activity: number;
}

function resolve(options: DemoDataOptions): ResolvedCounts {
  const users = options.users;
  const resolved: ResolvedCounts = {
    seed: options.seed ?? DEMO_DEFAULT_SEED,
    users,
    courses: options.courses ?? Math.max(5, Math.floor(users / 10)),
    enrollments: options.enrollments ?? 2 * users,
    transactions: options.transactions ?? 3 * users,
    activity: options.activity ?? 4 * users,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || (name !== 'seed' && value < 0) || Math.abs(value) > 2_147_483_647) {
      throw new RangeError(
        `demo data option ${name} must be a 32-bit integer${name === 'seed' ? '' : ' ≥ 0'}, got ${value}`,
      );
    }
  }
  if (users < DEMO_FIXED_ROWS.users) {
    throw new RangeError(
      `demo data needs at least ${DEMO_FIXED_ROWS.users} users (the fixed hard cases), got ${users}`,
    );
  }
  return resolved;
}

type Queryable = Sql | TransactionSql;

async function insertRows(sql: Queryable, table: string, rows: readonly Row[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const types = new Map(
    (
      await sql<{ name: string; type: string }[]>`
        SELECT attname AS name, format_type(atttypid, atttypmod) AS type
        FROM pg_attribute
        WHERE attrelid = ${table}::regclass AND attnum > 0 AND NOT attisdropped
      `
    ).map((column) => [column.name, column.type]),
  );
  // Scalars travel as text and are cast in SQL: postgres.js would otherwise run a string bound to a
  // jsonb column through JSON.stringify and one bound to timestamptz through Date (losing microseconds).
  const cast = (column: string, n: number) => {
    const type = types.get(column);
    if (!type) throw new Error(`${table}.${column} does not exist`);
    return type.endsWith('[]') ? `$${n}::${type}` : `$${n}::text::${type}`;
  };
  const placeholders = rows
    .map((_, r) => `(${columns.map((column, c) => cast(column, r * columns.length + c + 1)).join(', ')})`)
    .join(', ');
  const values = rows.flatMap((row) =>
    columns.map((column) => {
      const value = row[column] ?? null;
      return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
    }),
  );
  await sql.unsafe(
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${placeholders}`,
    values as (string | null | string[])[],
  );
}

/**
 * Writes the fixed hard-case rows (always, whatever `total`), then generated rows with ids
 * `specials + 1 .. total`. Returns the rows written.
 */
async function fill(
  sql: Queryable,
  table: string,
  specials: readonly Row[],
  total: number,
  generate: string,
  params: (first: number, last: number) => (number | string[])[],
): Promise<number> {
  await insertRows(sql, table, specials);
  const first = specials.length + 1;
  if (total >= first) await sql.unsafe(generate, params(first, total));
  return Math.max(total, specials.length);
}

async function seedInTransaction(sql: Queryable, options: DemoDataOptions): Promise<DemoDataSummary> {
  const counts = resolve(options);
  const { seed } = counts;
  const hard = [...DEMO_HARD_TEXTS];
  const users = await fill(sql, 'users', specialUsers(seed), counts.users, GENERATE_USERS, (a, b) => [
    seed,
    a,
    b,
    hard,
  ]);
  const courses = await fill(sql, 'courses', SPECIAL_COURSES, counts.courses, GENERATE_COURSES, (a, b) => [
    seed,
    a,
    b,
    hard,
  ]);
  const enrollments = await fill(
    sql,
    'enrollments',
    specialEnrollments(seed),
    counts.enrollments,
    GENERATE_ENROLLMENTS,
    (a, b) => [seed, a, b, users, courses],
  );
  const transactions = await fill(
    sql,
    'transactions',
    specialTransactions(seed),
    counts.transactions,
    GENERATE_TRANSACTIONS,
    (a, b) => [seed, a, b, users, hard],
  );
  const activity = await fill(
    sql,
    'activity_logs',
    specialActivity(seed),
    counts.activity,
    GENERATE_ACTIVITY,
    (a, b) => [seed, a, b, users, hard],
  );
  // Explicit ids leave the identity sequences at 1; move them past the data so later inserts work.
  for (const table of ['courses', 'enrollments', 'transactions', 'activity_logs']) {
    await sql.unsafe(
      `SELECT setval(pg_get_serial_sequence('${table}', 'id'), max(id)) FROM ${table} HAVING max(id) IS NOT NULL`,
    );
  }
  await sql.unsafe('ANALYZE users, courses, enrollments, transactions, activity_logs');
  return {
    seed,
    rows: { users, courses, enrollments, transactions, activity_logs: activity },
    userId: demoUserId(1, seed),
    adminId: demoUserId(2, seed),
  };
}

const PRODUCT_SCHEMA_FILE = fileURLToPath(new URL('../db/product-schema.sql', import.meta.url));

/** Serialises concurrent {@link ensureProductDatabase} calls (e.g. parallel test runs on one server). */
const ENSURE_LOCK_KEY = 0x64656d6f64617461n;

async function createSchemaIn(sql: Queryable): Promise<void> {
  // No parameters: the simple protocol runs the file's several statements.
  await sql.unsafe(await readFile(PRODUCT_SCHEMA_FILE, 'utf8'));
}

/** Creates the product tables of DESIGN.md §4 (`db/product-schema.sql`) in one transaction. */
export async function createProductSchema(sql: Sql): Promise<void> {
  await sql.begin((tx) => createSchemaIn(tx));
}

/**
 * Fills empty product tables with deterministic demo data: a few fixed rows holding the hard cases
 * for encoders, then rows generated inside Postgres (`INSERT … SELECT … generate_series`, values
 * from a hash of seed and row number), so a million rows take seconds and the same options always
 * give identical content. Runs in one transaction.
 */
export async function seedDemoData(sql: Sql, options: DemoDataOptions): Promise<DemoDataSummary> {
  return sql.begin((tx) => seedInTransaction(tx, options));
}

/**
 * Creates and seeds the product tables when `users` does not exist; otherwise leaves the database
 * untouched, so demo data never lands in a real product database.
 */
export async function ensureProductDatabase(
  sql: Sql,
  options: DemoDataOptions,
): Promise<{ created: boolean }> {
  const created = await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${ENSURE_LOCK_KEY.toString()}::bigint)`;
    const [row] = await tx<{ present: boolean }[]>`SELECT to_regclass('users') IS NOT NULL AS present`;
    if (row?.present) return false;
    await createSchemaIn(tx);
    await seedInTransaction(tx, options);
    return true;
  });
  return { created };
}
