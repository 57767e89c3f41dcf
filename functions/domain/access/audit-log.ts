/** What happened, for `export_audit_log.action`. */
export type AuditAction =
  | 'request'
  | 'denied'
  | 'rate_limited'
  | 'invalid'
  | 'started'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'download'
  | 'schedule_run'
  | 'schedules_listed'
  | 'webhook_registered'
  | 'webhook_deleted';

export interface AuditEntry {
  /** Who acted (JWT `sub`), or null for the system (the worker, the scheduler). */
  readonly userId: string | null;
  /** `user`, `bulk`, `scheduled`, or the route for non-export actions. */
  readonly exportType: string;
  readonly action: AuditAction;
  /** Outcome: `accepted`, `refused`, `ok`, `error`… */
  readonly status: string;
  readonly jobId?: string | null;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Port: the append-only audit log (`export_audit_log`). */
export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
}
