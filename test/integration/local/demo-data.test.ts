import { randomUUID } from 'node:crypto';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createProductSchema,
  DEMO_ADMIN_EMAIL,
  DEMO_ADMIN_ID,
  DEMO_FIXED_ROWS,
  DEMO_HARD_TEXTS,
  DEMO_USER_EMAIL,
  DEMO_USER_ID,
  type DemoDataSummary,
  ensureProductDatabase,
  seedDemoData,
} from '../../../local/demo-data.js';

const PRODUCT_TABLES = ['users', 'courses', 'enrollments', 'transactions', 'activity_logs'] as const;
const OPTIONS = { users: 120 };

const admin = postgres(inject('databaseUrl'), { max: 1, onnotice: () => {} });
const scratchDatabases: string[] = [];
const clients: Sql[] = [];

/** Creates an empty database on the test server and returns a client for it (closed and dropped after all tests). */
async function scratchDatabase(): Promise<Sql> {
  const name = `demo_test_${randomUUID().replaceAll('-', '')}`;
  await admin.unsafe(`CREATE DATABASE ${name}`);
  scratchDatabases.push(name);
  const url = new URL(inject('databaseUrl'));
  url.pathname = `/${name}`;
  const client = postgres(url.toString(), { max: 2, onnotice: () => {} });
  clients.push(client);
  return client;
}

/** md5 of every row's text form in id order: equal digests mean identical content. */
async function tableDigests(sql: Sql): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const table of PRODUCT_TABLES) {
    const [row] = await sql.unsafe(
      `SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t.id), '')) AS digest FROM ${table} t`,
    );
    digests[table] = row?.digest as string;
  }
  return digests;
}

async function exists(sql: Sql, query: string, params: (string | string[])[] = []): Promise<boolean> {
  const [row] = await sql.unsafe(`SELECT EXISTS (${query}) AS present`, params);
  return row?.present === true;
}

afterAll(async () => {
  await Promise.all(clients.map((client) => client.end()));
  for (const name of scratchDatabases) await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

let seeded: Sql;
let summary: DemoDataSummary;

beforeAll(async () => {
  seeded = await scratchDatabase();
  await createProductSchema(seeded);
  summary = await seedDemoData(seeded, OPTIONS);
});

describe('seedDemoData', () => {
  it('writes the default row counts, proportional to users', async () => {
    // Act
    const counts: Record<string, number> = {};
    for (const table of PRODUCT_TABLES) {
      const [row] = await seeded.unsafe(`SELECT count(*)::int AS n FROM ${table}`);
      counts[table] = row?.n as number;
    }

    // Assert
    const expected = { users: 120, courses: 12, enrollments: 240, transactions: 360, activity_logs: 480 };
    expect(counts).toEqual(expected);
    expect(summary.rows).toEqual(expected);
    expect(summary).toMatchObject({ userId: DEMO_USER_ID, adminId: DEMO_ADMIN_ID });
  });

  it('writes identical content when seeded again with the same options', async () => {
    // Arrange
    const again = await scratchDatabase();
    await createProductSchema(again);

    // Act
    await seedDemoData(again, OPTIONS);

    // Assert
    expect(await tableDigests(again)).toEqual(await tableDigests(seeded));
  });

  it('writes different generated content for a different seed', async () => {
    // Arrange
    const other = await scratchDatabase();
    await createProductSchema(other);

    // Act
    const otherSummary = await seedDemoData(other, { ...OPTIONS, seed: 2 });

    // Assert
    const [mine, theirs] = [await tableDigests(seeded), await tableDigests(other)];
    for (const table of PRODUCT_TABLES) expect(theirs[table], table).not.toBe(mine[table]);
    expect(otherSummary.userId).not.toBe(DEMO_USER_ID);
  });

  it('leaves identity sequences past the seeded ids, so later inserts succeed', async () => {
    // Act
    const [course] = await seeded`INSERT INTO courses (title, price) VALUES ('new', 1) RETURNING id`;
    await seeded`DELETE FROM courses WHERE id = ${course!.id}`;

    // Assert
    expect(Number(course?.id)).toBe(13);
  });

  it('refuses fewer users than the fixed hard-case users', async () => {
    // Act
    const seed = seedDemoData(seeded, { users: DEMO_FIXED_ROWS.users - 1 });

    // Assert
    await expect(seed).rejects.toThrow(RangeError);
  });
});

describe('demo users', () => {
  it('has exactly one admin, admin@example.com with roles {admin}, at DEMO_ADMIN_ID', async () => {
    // Act
    const admins = await seeded`SELECT id, email FROM users WHERE 'admin' = ANY (roles)`;

    // Assert
    expect(admins).toEqual([{ id: DEMO_ADMIN_ID, email: DEMO_ADMIN_EMAIL }]);
    const [roles] = await seeded`SELECT roles FROM users WHERE id = ${DEMO_ADMIN_ID}`;
    expect(roles?.roles).toEqual(['admin']);
  });

  it('has the ordinary demo user at DEMO_USER_ID with transactions, enrollments and activity', async () => {
    // Act
    const [row] = await seeded`
      SELECT email, roles,
        (SELECT count(*)::int FROM transactions WHERE user_id = u.id) AS transactions,
        (SELECT count(*)::int FROM enrollments WHERE user_id = u.id) AS enrollments,
        (SELECT count(*)::int FROM activity_logs WHERE user_id = u.id) AS activity
      FROM users u WHERE id = ${DEMO_USER_ID}
    `;

    // Assert
    expect(row).toMatchObject({ email: DEMO_USER_EMAIL, roles: ['user'] });
    expect(row?.transactions).toBeGreaterThanOrEqual(10);
    expect(row?.enrollments).toBeGreaterThanOrEqual(3);
    expect(row?.activity).toBeGreaterThanOrEqual(5);
  });

  it('gives every user a recognisable fake password hash, and most an MFA secret', async () => {
    // Act
    const [row] = await seeded`
      SELECT
        count(*) FILTER (WHERE password_hash NOT LIKE '$argon2id$%SECRET%' OR password_hash IS NULL)::int AS bad_hashes,
        count(*) FILTER (WHERE mfa_secret LIKE 'MFASECRET%')::int AS mfa,
        count(*)::int AS total
      FROM users
    `;

    // Assert
    expect(row?.bad_hashes).toBe(0);
    expect(row?.mfa).toBeGreaterThan(row?.total / 2);
  });
});

/** [what, query that must find at least one row]. Written as plain SQL, independent of the generator. */
const HARD_CASES: [string, string][] = [
  ['a comma in text', `SELECT 1 FROM transactions WHERE description LIKE '%,%'`],
  ['a double quote in text', `SELECT 1 FROM transactions WHERE description LIKE '%"%'`],
  ['a lone CR in text', `SELECT 1 FROM transactions WHERE description ~ '\\r[^\\n]'`],
  ['a lone LF in text', `SELECT 1 FROM transactions WHERE description ~ '[^\\r]\\n'`],
  ['a CRLF in text', `SELECT 1 FROM transactions WHERE strpos(description, E'\\r\\n') > 0`],
  ['a tab in text', `SELECT 1 FROM transactions WHERE strpos(description, E'\\t') > 0`],
  ['an emoji and CJK in text', `SELECT 1 FROM users WHERE full_name = 'Zoë 😀 日本語'`],
  ['a U+0001 control character', `SELECT 1 FROM transactions WHERE strpos(description, chr(1)) > 0`],
  ['"]]>" in text', `SELECT 1 FROM transactions WHERE strpos(description, ']]>') > 0`],
  ['a backslash in text', `SELECT 1 FROM transactions WHERE strpos(description, E'\\\\') > 0`],
  ['a NULL description', `SELECT 1 FROM transactions WHERE description IS NULL`],
  ['an empty description', `SELECT 1 FROM transactions WHERE description = ''`],
  ['an empty full name', `SELECT 1 FROM users WHERE full_name = ''`],
  ['a NULL full name', `SELECT 1 FROM users WHERE full_name IS NULL`],
  ['a zero amount', `SELECT 1 FROM transactions WHERE amount = 0`],
  ['a negative amount', `SELECT 1 FROM transactions WHERE amount < 0`],
  ['a 10-digit amount', `SELECT 1 FROM transactions WHERE amount = 9999999999.99`],
  ['a 10-digit negative amount', `SELECT 1 FROM transactions WHERE amount = -9999999999.99`],
  ['a zero price', `SELECT 1 FROM courses WHERE price = 0`],
  ['a zero progress', `SELECT 1 FROM enrollments WHERE progress = 0`],
  ['marketing_opt_in false', `SELECT 1 FROM users WHERE marketing_opt_in = false`],
  ['an empty roles array', `SELECT 1 FROM users WHERE roles = '{}'`],
  ['a role with a comma', `SELECT 1 FROM users WHERE 'a,b' = ANY (roles)`],
  ['a role with double quotes', `SELECT 1 FROM users WHERE 'say "hi"' = ANY (roles)`],
  [
    'nested jsonb (objects in arrays in objects)',
    `SELECT 1 FROM transactions WHERE jsonb_path_exists(metadata, '$.cart.items[*].attrs.levels[*][*].deep')`,
  ],
  [
    'a jsonb number keeping its scale (1.10)',
    `SELECT 1 FROM transactions WHERE metadata::text LIKE '%1.10%'`,
  ],
  ['non-ASCII inside jsonb', `SELECT 1 FROM transactions WHERE metadata->>'note' LIKE '%😀%'`],
  ['a JSON null next to SQL NULL', `SELECT 1 FROM transactions WHERE metadata = 'null'::jsonb`],
  ['a SQL NULL jsonb', `SELECT 1 FROM transactions WHERE metadata IS NULL`],
  ['an IPv4 address', `SELECT 1 FROM activity_logs WHERE family(ip_address) = 4`],
  ['an IPv6 address', `SELECT 1 FROM activity_logs WHERE family(ip_address) = 6`],
  [
    'an inet with a netmask',
    `SELECT 1 FROM activity_logs WHERE family(ip_address) = 4 AND masklen(ip_address) < 32`,
  ],
  ['a NULL inet', `SELECT 1 FROM activity_logs WHERE ip_address IS NULL`],
  ['a timestamp before 1970', `SELECT 1 FROM users WHERE created_at < '1970-01-01T00:00:00Z'`],
];

/**
 * Instants that must appear somewhere in the product tables' timestamps. Bound as text: postgres.js
 * sends a string bound to a timestamptz parameter through `Date`, dropping the microseconds.
 */
const EDGE_INSTANTS = [
  '1969-07-20T20:17:40Z',
  '2021-03-28T00:59:59.999999Z',
  '2021-03-28T01:00:00Z',
  '2021-10-31T00:59:59.999999Z',
  '2021-10-31T01:00:00Z',
  '2024-02-29T00:00:00Z',
  '2024-02-29T23:59:59.999999Z',
];

describe('hard cases', () => {
  it.each(HARD_CASES)('include %s', async (_what, query) => {
    // Act
    const found = await exists(seeded, query);

    // Assert
    expect(found).toBe(true);
  });

  it.each(['=', '+', '-', '@', '\t', '\r'])(
    'include names and descriptions starting with %j',
    async (prefix) => {
      // Act
      const inUsers = await exists(seeded, 'SELECT 1 FROM users WHERE left(full_name, 1) = $1', [prefix]);
      const inTransactions = await exists(
        seeded,
        'SELECT 1 FROM transactions WHERE left(description, 1) = $1',
        [prefix],
      );

      // Assert
      expect({ inUsers, inTransactions }).toEqual({ inUsers: true, inTransactions: true });
    },
  );

  it.each(EDGE_INSTANTS)('include the instant %s', async (instant) => {
    // Act
    const found = await exists(
      seeded,
      `SELECT 1 FROM (
        SELECT created_at AS at FROM users
        UNION ALL SELECT created_at FROM transactions
        UNION ALL SELECT created_at FROM activity_logs
        UNION ALL SELECT enrolled_at FROM enrollments
      ) t WHERE at = $1::text::timestamptz`,
      [instant],
    );

    // Assert
    expect(found).toBe(true);
  });

  it('are also mixed into generated rows, not only the fixed ones', async () => {
    // Act
    const [row] = await seeded`
      SELECT
        (SELECT count(*)::int FROM transactions
          WHERE id > ${DEMO_FIXED_ROWS.transactions} AND description = ANY (${DEMO_HARD_TEXTS as string[]})) AS descriptions,
        (SELECT count(*)::int FROM transactions
          WHERE id > ${DEMO_FIXED_ROWS.transactions} AND (description IS NULL OR description = '')) AS empty_descriptions,
        (SELECT count(*)::int FROM activity_logs
          WHERE id > ${DEMO_FIXED_ROWS.activity_logs} AND family(ip_address) = 6) AS ipv6
    `;

    // Assert
    expect(row?.descriptions).toBeGreaterThan(0);
    expect(row?.empty_descriptions).toBeGreaterThan(0);
    expect(row?.ipv6).toBeGreaterThan(0);
  });
});

describe('ensureProductDatabase', () => {
  it('creates and seeds the product tables when users is absent', async () => {
    // Arrange
    const sql = await scratchDatabase();

    // Act
    const result = await ensureProductDatabase(sql, OPTIONS);

    // Assert
    expect(result).toEqual({ created: true });
    expect(await tableDigests(sql)).toEqual(await tableDigests(seeded));
  });

  it('writes nothing into a database that already has a users table', async () => {
    // Arrange: a "real" product database, here a users table with one row and nothing else.
    const sql = await scratchDatabase();
    await sql`CREATE TABLE users (id uuid PRIMARY KEY, email text)`;
    await sql`INSERT INTO users VALUES (${randomUUID()}, 'real@example.com')`;

    // Act
    const result = await ensureProductDatabase(sql, OPTIONS);

    // Assert
    expect(result).toEqual({ created: false });
    const [row] = await sql`
      SELECT (SELECT count(*)::int FROM users) AS users, to_regclass('transactions') IS NULL AS no_transactions
    `;
    expect(row).toEqual({ users: 1, no_transactions: true });
  });

  it('leaves an already seeded database unchanged when called again', async () => {
    // Arrange
    const before = await tableDigests(seeded);

    // Act
    const result = await ensureProductDatabase(seeded, { users: 500, seed: 99 });

    // Assert
    expect(result).toEqual({ created: false });
    expect(await tableDigests(seeded)).toEqual(before);
  });
});
