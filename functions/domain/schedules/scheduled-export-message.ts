import * as z from 'zod/mini';

/**
 * The SQS message body for one scheduled run: what an EventBridge rule's input transformer (and the
 * local scheduler) puts on the export queue. `scheduledTime` is the event's `time`, the moment the
 * run was scheduled for, so a late or repeated delivery still exports the scheduled day.
 */
export const ScheduledExportMessage = z.strictObject({
  schedule: z.string().check(z.minLength(1), z.maxLength(64)),
  scheduledTime: z.iso.datetime({ offset: true }),
});

export type ScheduledExportMessage = z.infer<typeof ScheduledExportMessage>;
