import type { ExportJob, JobError, JobKind, JobResult } from '../jobs/export-job.js';
import { publicJobError } from '../jobs/failure-reasons.js';

/** `source` of every event the service publishes (docs/events-and-webhooks.md). */
export const EVENT_SOURCE = 'data-export';

/** The terminal states that publish an event, with their EventBridge detail-type and webhook type. */
export const EXPORT_EVENT_TYPES = {
  completed: { detailType: 'Export Completed', type: 'export.completed' },
  failed: { detailType: 'Export Failed', type: 'export.failed' },
  cancelled: { detailType: 'Export Cancelled', type: 'export.cancelled' },
} as const;

export type TerminalStatus = keyof typeof EXPORT_EVENT_TYPES;
export type ExportEventType = (typeof EXPORT_EVENT_TYPES)[TerminalStatus]['type'];
export type ExportDetailType = (typeof EXPORT_EVENT_TYPES)[TerminalStatus]['detailType'];

/** Every detail-type the bus carries (the CDK rule and the local bus match on these). */
export const EXPORT_DETAIL_TYPES: readonly ExportDetailType[] = Object.values(EXPORT_EVENT_TYPES).map(
  (t) => t.detailType,
);

/**
 * The `detail` of an export event. Never a presigned URL: a consumer fetches files through the
 * API (`GET /jobs/{id}/files`, `/download`), which mints links at click time. `eventId` is
 * deterministic per state change, so a resend carries the same id (the webhook's `webhook-id`).
 */
export interface ExportEventDetail {
  readonly eventId: string;
  readonly jobId: string;
  readonly kind: JobKind;
  readonly format: string;
  readonly status: TerminalStatus;
  readonly rows: number;
  readonly bytes: number;
  /** How many files the export wrote (1 for a single object; the parts of a chunked job). */
  readonly files: number;
  readonly requestedBy: string | null;
  readonly scheduleName?: string;
  readonly scheduledFor?: string;
  /** The typed reason of a failure: a code and its fixed, actionable message. */
  readonly error?: { readonly code: string; readonly message: string };
  /** When the job reached this state (ISO 8601). */
  readonly occurredAt: string;
}

/** One event as the domain publishes it; adapters map it to `PutEvents` or the local bus. */
export interface ExportEvent {
  readonly detailType: ExportDetailType;
  readonly detail: ExportEventDetail;
}

/** Port: publishes export events (EventBridge in AWS, the emulated bus locally). */
export interface EventPublisher {
  /** Resolves once the bus accepted the event; throws when it did not (the caller retries later). */
  publish(event: ExportEvent): Promise<void>;
}

/** How a job ended, as its event describes it. */
export type JobOutcome =
  | { readonly status: 'completed'; readonly result: JobResult }
  | { readonly status: 'failed'; readonly error: JobError }
  | { readonly status: 'cancelled' };

/**
 * The id of a job's outcome event: `evt_{jobId}_{status}`, plus `_run{n}` for an admin's rerun of a
 * scheduled date (a new state change, so a new event), as `emailMessageId` does for emails.
 */
export function exportEventId(job: Pick<ExportJob, 'id' | 'options'>, status: TerminalStatus): string {
  const run = Number(job.options.run ?? 1);
  return `evt_${job.id}_${status}${Number.isInteger(run) && run > 1 ? `_run${run}` : ''}`;
}

/** The outcome a finished job row records, or undefined for a job that has not finished. */
export function outcomeOf(job: ExportJob): JobOutcome | undefined {
  switch (job.status) {
    case 'completed':
      return job.result ? { status: 'completed', result: job.result } : undefined;
    case 'failed':
      return job.error ? { status: 'failed', error: job.error } : undefined;
    case 'cancelled':
      return { status: 'cancelled' };
    default:
      return undefined;
  }
}

/** The event of a job's outcome (docs/events-and-webhooks.md). */
export function exportEvent(job: ExportJob, outcome: JobOutcome, occurredAt: Date): ExportEvent {
  const result = outcome.status === 'completed' ? outcome.result : undefined;
  const error = outcome.status === 'failed' ? publicJobError(outcome.error) : null;
  return {
    detailType: EXPORT_EVENT_TYPES[outcome.status].detailType,
    detail: {
      eventId: exportEventId(job, outcome.status),
      jobId: job.id,
      kind: job.kind,
      format: job.format,
      status: outcome.status,
      rows: result?.rows ?? 0,
      bytes: result?.bytes ?? 0,
      files: result ? (result.files?.length ?? 1) : 0,
      requestedBy: job.requestedBy,
      ...(job.scheduleName && { scheduleName: job.scheduleName }),
      ...(job.scheduledFor && { scheduledFor: job.scheduledFor.toISOString() }),
      ...(error && { error: { code: error.code, message: error.message } }),
      occurredAt: occurredAt.toISOString(),
    },
  };
}

/** The webhook `type` of an EventBridge detail-type, or undefined for one the service does not publish. */
export function webhookTypeOf(detailType: string): ExportEventType | undefined {
  return Object.values(EXPORT_EVENT_TYPES).find((t) => t.detailType === detailType)?.type;
}
