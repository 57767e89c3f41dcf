import { EDGE_TIMESTAMPS } from './hard-cases.js';
import { DEMO_MFA_SECRET_MARKER, DEMO_PASSWORD_HASH_MARKER } from './identities.js';

/*
 * The generated rows of the demo data: one `INSERT … SELECT … FROM generate_series` per table, so
 * Postgres writes a million rows in seconds. Every value comes from a hash of the seed, the table
 * and the row id, so the same seed and counts always give the same rows, on any platform.
 */

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
export const GENERATE_USERS = `
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
export const GENERATE_COURSES = `
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
export const GENERATE_ENROLLMENTS = `
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
export const GENERATE_TRANSACTIONS = `
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
export const GENERATE_ACTIVITY = `
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
