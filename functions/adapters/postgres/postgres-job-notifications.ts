import type { Sql } from 'postgres';
import type {
  JobNotifications,
  NotificationChannel,
  UnsentCriteria,
  UnsentNotifications,
} from '../../domain/notifications/job-notifications.js';
import { translatePostgresError } from './errors.js';
import { type ExportJobRow, toExportJob } from './job-rows.js';

/** The JobNotifications port on `export_jobs.email_sent_at` / `event_sent_at` (migration 0007). */
export class PostgresJobNotifications implements JobNotifications {
  constructor(private readonly sql: Sql) {}

  async markSent(jobId: string, channel: NotificationChannel): Promise<void> {
    const sql = this.sql;
    try {
      // `updated_at` stays: it tells the resend pass when the job finished or was last looked at.
      if (channel === 'email')
        await sql`UPDATE export_jobs SET email_sent_at = now() WHERE id = ${jobId}::uuid`;
      else await sql`UPDATE export_jobs SET event_sent_at = now() WHERE id = ${jobId}::uuid`;
    } catch (error) {
      throw translatePostgresError(error, 'recording a notification');
    }
  }

  async claimUnsent(criteria: UnsentCriteria): Promise<UnsentNotifications[]> {
    const sql = this.sql;
    // Whether a job's outcome email is due: completed or failed, with someone to tell.
    const emailDue = sql`status IN ('completed', 'failed') AND requester_email IS NOT NULL AND requested_by IS NOT NULL`;
    try {
      const rows = await sql<(ExportJobRow & { email_unsent: boolean; event_unsent: boolean })[]>`
        UPDATE export_jobs SET updated_at = now()
        WHERE id IN (
            SELECT id FROM export_jobs
            WHERE status IN ('completed', 'failed', 'cancelled')
              AND (event_sent_at IS NULL OR (email_sent_at IS NULL AND ${emailDue}))
              AND updated_at < ${criteria.finishedBefore}::timestamptz
            ORDER BY updated_at
            LIMIT ${criteria.limit}
            FOR UPDATE SKIP LOCKED)
          AND (event_sent_at IS NULL OR (email_sent_at IS NULL AND ${emailDue}))
        RETURNING *, (email_sent_at IS NULL AND ${emailDue}) AS email_unsent,
                  (event_sent_at IS NULL) AS event_unsent`;
      return rows.map((row) => ({ job: toExportJob(row), email: row.email_unsent, event: row.event_unsent }));
    } catch (error) {
      throw translatePostgresError(error, 'reading unsent notifications');
    }
  }
}
