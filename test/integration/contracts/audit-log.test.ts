import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresAuditLog } from '../../../functions/adapters/postgres/postgres-audit-log.js';
import type { AuditAction, AuditEntry, AuditLog } from '../../../functions/domain/access/audit-log.js';
import { ExportError } from '../../../functions/domain/errors.js';
import { describeContract } from '../../support/contract-suite.js';
import { createOwnDatabase, type OwnDatabase } from '../../support/own-database.js';
import { RecordingAuditLog } from '../../support/worker-fakes.js';

/**
 * The AuditLog port, one set of cases run against the recording fake the unit tests read and
 * against the Postgres adapter, whose rows are read back as entries.
 */

/** One implementation, with the entries it holds, oldest first. */
interface Subject {
  readonly audit: AuditLog;
  entries(): Promise<AuditEntry[]>;
}

let db: OwnDatabase;
let apiSql: Sql;

beforeAll(async () => {
  db = await createOwnDatabase('audit_contract');
  apiSql = db.login('api');
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

async function recording(): Promise<Subject> {
  const fake = new RecordingAuditLog();
  return { audit: fake, entries: async () => [...fake.entries] };
}

async function onPostgres(): Promise<Subject> {
  await db.clear();
  return {
    // The API's least-privilege login, as in AWS: it may insert, never read or change the log.
    audit: new PostgresAuditLog(apiSql),
    entries: async () => {
      const rows = await db.owner<
        {
          user_id: string | null;
          export_type: string;
          action: AuditAction;
          status: string;
          job_id: string | null;
          details: Record<string, unknown>;
        }[]
      >`SELECT user_id, export_type, action, status, job_id, details FROM export_audit_log ORDER BY id`;
      return rows.map((row) => ({
        userId: row.user_id,
        exportType: row.export_type,
        action: row.action,
        status: row.status,
        jobId: row.job_id,
        details: row.details,
      }));
    },
  };
}

describeContract<Subject>('AuditLog', { recording: recording, postgres: onPostgres }, (s) => {
  it('appends each entry with every field, oldest first', async () => {
    const jobId = randomUUID();
    const first: AuditEntry = {
      userId: 'user-1',
      exportType: 'bulk',
      action: 'request',
      status: 'accepted',
      jobId,
      details: { format: 'csv', tables: ['users', 'courses'] },
    };
    const second: AuditEntry = { ...first, action: 'completed', status: 'ok', details: { rows: 42 } };

    await s.audit.record(first);
    await s.audit.record(second);

    expect(await s.entries()).toEqual([first, second]);
  });

  it('records a system entry without job or details as a null job and empty details', async () => {
    await s.audit.record({ userId: null, exportType: 'scheduled', action: 'failed', status: 'error' });

    expect(await s.entries()).toEqual([
      { userId: null, exportType: 'scheduled', action: 'failed', status: 'error', jobId: null, details: {} },
    ]);
  });

  it('keeps identical entries apart: the log only grows', async () => {
    const entry: AuditEntry = { userId: 'user-1', exportType: 'jobs', action: 'download', status: 'ok' };

    await s.audit.record(entry);
    await s.audit.record(entry);

    expect(await s.entries()).toHaveLength(2);
  });

  it('keeps details as their JSON: nested values and any text, a date as its ISO string, undefined left out', async () => {
    await s.audit.record({
      userId: 'user-1',
      exportType: 'user',
      action: 'rate_limited',
      status: 'refused',
      details: {
        limit: 5,
        ratio: 0.25,
        nested: { list: [1, 'two', null, { deep: true }] },
        text: 'Zoë «quoted» "double" \\ back\nline',
        resetAt: new Date('2024-05-01T12:15:00.000Z'),
        gone: undefined,
      },
    });

    const [entry] = await s.entries();

    expect(entry?.details).toEqual({
      limit: 5,
      ratio: 0.25,
      nested: { list: [1, 'two', null, { deep: true }] },
      text: 'Zoë «quoted» "double" \\ back\nline',
      resetAt: '2024-05-01T12:15:00.000Z',
    });
    expect(entry?.details).not.toHaveProperty('gone');
  });

  it.each([
    ['a job id that is not a uuid', { jobId: 'not-a-uuid' }],
    ['a NUL character in the user id', { userId: 'user\u00001' }],
    ['a NUL character in the details', { details: { reason: 'a\u0000b' } }],
  ])('refuses %s as a 400, recording nothing', async (_what, fields) => {
    const refused = s.audit.record({
      userId: 'user-1',
      exportType: 'bulk',
      action: 'denied',
      status: 'refused',
      ...fields,
    });

    await expect(refused).rejects.toBeInstanceOf(ExportError);
    await expect(refused).rejects.toMatchObject({ code: 'invalid_parameters', status: 400 });
    expect(await s.entries()).toEqual([]);
  });
});
