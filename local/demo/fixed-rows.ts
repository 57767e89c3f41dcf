import { createHash } from 'node:crypto';
import { EDGE_TIMESTAMPS, MULTILINE_HARD_TEXT, NESTED_JSON } from './hard-cases.js';
import {
  DEMO_ADMIN_EMAIL,
  DEMO_DEFAULT_SEED,
  DEMO_MFA_SECRET_MARKER,
  DEMO_PASSWORD_HASH_MARKER,
  DEMO_USER_EMAIL,
  demoUserId,
} from './identities.js';

/** One row of a product table: column name to value, as it is written (numbers and booleans as SQL text). */
export type DemoRow = Record<string, string | number | boolean | null | readonly string[]>;

function hash(...parts: (string | number)[]): string {
  return createHash('md5').update(parts.join(':')).digest('hex');
}

function specialUsers(seed: number): DemoRow[] {
  const user = (
    index: number,
    email: string,
    fullName: string | null,
    roles: readonly string[],
    locale: string | null,
    marketingOptIn: boolean,
    createdAt: string,
    updatedAt: string,
  ): DemoRow => ({
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

const SPECIAL_COURSES: DemoRow[] = [
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

function specialEnrollments(seed: number): DemoRow[] {
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

function specialTransactions(seed: number): DemoRow[] {
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
  ): DemoRow => ({
    id,
    user_id: userId,
    amount,
    currency,
    status,
    description,
    metadata,
    created_at: createdAt,
  });
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

function specialActivity(seed: number): DemoRow[] {
  const user = demoUserId(1, seed);
  const log = (
    id: number,
    userId: string,
    action: string,
    ip: string | null,
    userAgent: string | null,
    details: string | null,
    createdAt: string,
  ): DemoRow => ({
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

/** The product tables, in the order they are filled (later ones refer to earlier ones). */
export type ProductTable = 'users' | 'courses' | 'enrollments' | 'transactions' | 'activity_logs';

/**
 * The hand-written rows of each table under `seed`: ids 1..n (users are indexes 1..n), each row
 * holding hard cases for the encoders (text, numbers, JSON, timestamps, inet, arrays, NULLs).
 */
export function fixedRows(seed: number): Record<ProductTable, readonly DemoRow[]> {
  return {
    users: specialUsers(seed),
    courses: SPECIAL_COURSES,
    enrollments: specialEnrollments(seed),
    transactions: specialTransactions(seed),
    activity_logs: specialActivity(seed),
  };
}

/**
 * Rows per table written first with fixed content (ids 1..n; users are indexes 1..n); generated rows
 * follow. `users` is also the minimum for the `users` option of the demo data.
 */
export const DEMO_FIXED_ROWS: Readonly<Record<ProductTable, number>> = (() => {
  const rows = fixedRows(DEMO_DEFAULT_SEED);
  return {
    users: rows.users.length,
    courses: rows.courses.length,
    enrollments: rows.enrollments.length,
    transactions: rows.transactions.length,
    activity_logs: rows.activity_logs.length,
  };
})();
