import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { SweepResult } from '../domain/worker/sweep-stale-jobs.js';
import { logger, metrics, tracer } from '../platform/powertools.js';
import { type Sweeper, sweeper } from '../wiring/sweeper.js';

/** The `outcome` dimension values of `JobsSwept`. */
const OUTCOMES = ['requeued', 'failed', 'renotified'] as const satisfies readonly (keyof SweepResult)[];

/**
 * Builds the sweeper's Lambda handler around a sweeper (see `createSweeper`), so tests and the
 * local runtime can run the same pipeline with their own clients.
 *
 * Input: the EventBridge scheduled event (`rate(5 minutes)`), parsed with Powertools' schema; its
 * `time` is logged, but staleness is measured from the clock, so a late retry of the invocation
 * does not look further back. Output: the counts, also logged and published as `JobsSwept` with
 * the dimension `outcome` (`requeued` | `failed` | `renotified`), zero included so the metric always has data.
 */
export function createSweepJobsHandler(sweep: () => Sweeper | Promise<Sweeper>) {
  const handle = async (raw: unknown, _context: Context): Promise<SweepResult> => {
    const event = EventBridgeSchema.parse(raw);
    const run = await sweep();
    const result = await run({ log: logger });
    logger.info('stale jobs swept', { ...result, scheduledTime: event.time });
    for (const outcome of OUTCOMES) {
      // One EMF document per outcome: a shared Metrics instance has one dimension set per flush.
      const single = metrics.singleMetric();
      single.addDimension('outcome', outcome);
      single.addMetric('JobsSwept', MetricUnit.Count, result[outcome]);
    }
    return result;
  };

  return middy(handle)
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

/** The Lambda entry point (EventBridge rule, every 5 minutes). */
export const handler = createSweepJobsHandler(sweeper);
