import type { ScheduledJobInput } from '../jobs/job-leases.js';
import { type ScheduleDefinition, type ScheduleWindow, windowFor } from './schedule-catalogue.js';

/** `2024-05-01`: the UTC day of an instant, in job slots, file names and messages. */
export const utcDay = (date: Date) => date.toISOString().slice(0, 10);

/**
 * The slot of a scheduled run: one job per schedule and UTC run date, keyed by midnight UTC of
 * that date, so the cron firing at 01:00 and an admin's run for the same date share one job and
 * one object. The exact scheduled time is kept in `options.scheduledTime`.
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
    format: def.format,
    compression: def.compression,
    tables: [def.source(window).name],
    options: { scheduledTime: scheduledTime.toISOString() },
    requestedBy: requester.requestedBy,
    requesterEmail: requester.requesterEmail,
  };
}
