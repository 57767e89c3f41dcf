import { z } from 'zod';

/**
 * The SQS message body for one scheduled run: what an EventBridge rule's input transformer (and the
 * local scheduler) puts on the export queue. `scheduledTime` is the event's `time`, the moment the
 * run was scheduled for, so a late or repeated delivery still exports the scheduled day.
 */
export const ScheduledExportMessage = z
  .object({
    schedule: z.string().min(1).max(64),
    scheduledTime: z.iso.datetime({ offset: true }),
  })
  .strict();

export type ScheduledExportMessage = z.infer<typeof ScheduledExportMessage>;
