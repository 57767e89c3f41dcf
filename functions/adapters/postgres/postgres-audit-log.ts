import type { Sql } from 'postgres';
import type { AuditEntry, AuditLog } from '../../domain/access/audit-log.js';
import { translatePostgresError } from './errors.js';

/** The AuditLog port on `export_audit_log` (append-only). */
export class PostgresAuditLog implements AuditLog {
  constructor(private readonly sql: Sql) {}

  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.sql`
        INSERT INTO export_audit_log (user_id, export_type, action, status, job_id, details)
        VALUES (${entry.userId}, ${entry.exportType}, ${entry.action}, ${entry.status}, ${entry.jobId ?? null},
                ${this.sql.json((entry.details ?? {}) as Parameters<Sql['json']>[0])})
      `;
    } catch (error) {
      throw translatePostgresError(error, 'writing the audit log');
    }
  }
}
