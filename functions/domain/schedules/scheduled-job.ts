import type { ScheduledJobInput } from '../jobs/job-leases.js';
import { JOB_SPEC_VERSION } from '../jobs/job-spec.js';
import { type ScheduleDefinition, type ScheduleWindow, windowFor } from './schedule-catalogue.js';

/** `2024-05-01`: the UTC day of an instant, in job slots, file names and messages. */
export const utcDay = (date: Date) => date.toISOString().slice(0, 10);

/**
 * The slot of a scheduled run: one job per schedule and UTC run date, keyed by midnight UTC of
 * that date, so the cron firing at 01:00 and an admin's run for the same date share one job and
 * one object. The exact scheduled time is kept in the job's spec.
 */
export function scheduledJobInput(
  def: ScheduleDefinition,
  scheduledTime: Date,
  requester: { requestedBy: string | null; requesterEmail: string | null },
): ScheduledJobInput {
  const window: ScheduleWindow = windowFor(def, scheduledTime);
  return {
    schedule: def.name,
    scheduledFor: new Date(`${window.runDate}T00:00:00.000Z`),
    spec: {
      v: JOB_SPEC_VERSION,
      kind: 'scheduled',
      schedule: def.name,
      scheduledTime: scheduledTime.toISOString(),
      tables: [def.source(window).name],
      format: def.format,
      compression: def.compression,
    },
    requestedBy: requester.requestedBy,
    requesterEmail: requester.requesterEmail,
  };
}
