import type { ExportJob } from '../jobs/export-job.js';

/** The two notifications of a job's outcome. */
export type NotificationChannel = 'email' | 'event';

/** A finished job with a notification a crash (or an outage) left unsent. */
export interface UnsentNotifications {
  readonly job: ExportJob;
  /** The outcome email is due (a completed or failed job with a requester) and not recorded as sent. */
  readonly email: boolean;
  /** The outcome event is not recorded as published. */
  readonly event: boolean;
}

/** Which finished jobs the sweeper's resend pass takes (see `sweepStaleJobs`). */
export interface UnsentCriteria {
  /** Finished (or last looked at) before this instant: the worker had its time to notify. */
  readonly finishedBefore: Date;
  /** Most jobs per call. */
  readonly limit: number;
}

/**
 * Port: records on the job when its outcome email and event went out (docs/events-and-webhooks.md), so that
 * notifications are at least once: whatever is not recorded, the sweeper sends again, with the
 * same email Message-ID and the same event id.
 */
export interface JobNotifications {
  /** Records that `channel` went out for the job's current outcome. */
  markSent(jobId: string, channel: NotificationChannel): Promise<void>;
  /**
   * Touches (`updated_at = now()`) and returns finished jobs with a notification still unsent,
   * oldest first, so overlapping sweeps do not both resend and a failed resend waits a grace
   * period before the next try.
   */
  claimUnsent(criteria: UnsentCriteria): Promise<UnsentNotifications[]>;
}
