import type { ScheduledExportMessage } from '../schedules/scheduled-export-message.js';
import type { ExportJobMessage } from './export-job.js';

/** A message on the export queue: an API job (`{jobId}`) or a scheduled run (`{schedule, scheduledTime}`). */
export type ExportQueueMessage = ExportJobMessage | ScheduledExportMessage;

/** Port: the export queue the worker consumes (SQS in AWS, an in-process queue with SQS semantics locally). */
export interface ExportQueue {
  /**
   * Puts one message on the queue. Resolves once the queue has accepted it.
   * @throws DependencyError when the queue is unavailable (worth retrying).
   */
  enqueue(message: ExportQueueMessage): Promise<void>;
}
