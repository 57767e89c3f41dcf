import { randomUUID } from 'node:crypto';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { parser } from '@aws-lambda-powertools/batch/parser';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { ScheduledExportMessage } from '../domain/schedules/scheduled-export-message.js';
import { jsonText, UuidSchema } from '../domain/validation.js';
import { processExportJob } from '../domain/worker/process-export-job.js';
import { logger, metrics, tracer } from '../platform/powertools.js';
import { type WorkerRuntime, workerRuntime } from '../wiring/worker-context.js';

/** The body of an export-queue message: an API job, or a scheduled run. */
export const ExportWorkerMessage = z.union([
  z.strictObject({ jobId: UuidSchema, chunk: z.optional(z.int().check(z.positive())) }),
  ScheduledExportMessage,
]);

/** The fields of an SQS record the worker reads, its body parsed as an export message. */
const ExportWorkerRecord = z.object({
  messageId: z.string(),
  attributes: z.object({ ApproximateReceiveCount: z.string() }),
  body: jsonText(ExportWorkerMessage),
});
type ExportWorkerRecord = z.infer<typeof ExportWorkerRecord>;

/** Used when the context has no deadline (a test or the local runtime calling the handler directly). */
const DEFAULT_TIMEOUT_MS = 15 * 60 * 1000;

/**
 * Builds the export worker's Lambda handler around a runtime (clients and settings), so the
 * local runtime and tests can run the very same pipeline in-process with their own clients.
 *
 * Per record: the body is parsed with zod (`{jobId}`, `{jobId, chunk}` or `{schedule, scheduledTime}`), then
 * `processExportJob` runs with the record's `ApproximateReceiveCount`, the runtime's
 * `maxReceiveCount` and the invocation's remaining time. A thrown error fails only that record
 * (partial batch response), so SQS redelivers it alone; records are processed one after the other,
 * so each export has the invocation's time to itself. Each call builds its own BatchProcessor,
 * so concurrent in-process invocations do not share batch state.
 */
export function createExportWorkerHandler(runtime: () => WorkerRuntime | Promise<WorkerRuntime>) {
  const handle = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const { deps, maxReceiveCount } = await runtime();
    const deadline = Date.now() + DEFAULT_TIMEOUT_MS;
    const remainingTimeMs =
      typeof context.getRemainingTimeInMillis === 'function'
        ? () => context.getRemainingTimeInMillis()
        : () => deadline - Date.now();
    metrics.addMetric('ExportMessagesReceived', MetricUnit.Count, event.Records.length);

    const recordHandler = async (record: ExportWorkerRecord) => {
      const message = record.body;
      const log = logger.createChild();
      log.appendKeys({
        messageId: record.messageId,
        requestId: context.awsRequestId,
        ...('jobId' in message
          ? { jobId: message.jobId, ...(message.chunk && { chunk: message.chunk }) }
          : { schedule: message.schedule, scheduledTime: message.scheduledTime }),
      });
      try {
        const outcome = await processExportJob(deps, {
          message,
          receiveCount: Number(record.attributes.ApproximateReceiveCount),
          maxReceiveCount,
          remainingTimeMs,
          workerId: `${context.awsRequestId ?? 'local'}/${randomUUID()}`,
          log,
        });
        log.info('message processed', { outcome: outcome.status, jobId: outcome.jobId });
        return outcome;
      } catch (error) {
        log.warn('message failed; SQS will redeliver it or move it to the dead-letter queue', {
          error,
          receiveCount: record.attributes.ApproximateReceiveCount,
        });
        throw error;
      }
    };

    const processor = new BatchProcessor(EventType.SQS, { parser, schema: ExportWorkerRecord, logger });
    return processPartialResponse(event, recordHandler, processor, {
      context,
      processInParallel: false,
      // Every record failing is still a partial response: SQS retries exactly the failed records.
      throwOnFullBatchFailure: false,
    });
  };

  return middy(handle)
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}

/** The Lambda entry point (SQS event source with `reportBatchItemFailures`). */
export const handler = createExportWorkerHandler(workerRuntime);
