import type { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

import { createSweepJobsHandler } from '../../../functions/handlers/sweep-jobs.js';
import { metrics } from '../../../functions/platform/powertools.js';
import type { Sweeper } from '../../../functions/wiring/sweeper.js';
import { lambdaContext } from '../../../local/lambda-context.js';
import { scheduledEvent } from '../../support/eventbridge-events.js';

/** The sweeper's invocation context (the stack gives it two minutes). */
const sweeperContext = () => lambdaContext({ functionName: 'sweep-jobs', timeoutMs: 2 * 60 * 1000 });

/** Records every single-metric EMF document the handler emits: name, value and dimensions. */
function recordSingleMetrics() {
  const emitted: { name: string; value: number; dimensions: Record<string, string> }[] = [];
  vi.spyOn(metrics, 'singleMetric').mockImplementation(() => {
    const dimensions: Record<string, string> = {};
    return {
      addDimension: (name: string, value: string) => {
        dimensions[name] = value;
      },
      addMetric: (name: string, _unit: unknown, value: number) => {
        emitted.push({ name, value, dimensions: { ...dimensions } });
      },
    } as unknown as Metrics;
  });
  return emitted;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('sweep-jobs handler', () => {
  it('runs one sweep per scheduled event and returns its counts', async () => {
    const sweep = vi.fn<Sweeper>(async () => ({ requeued: 2, failed: 1, renotified: 0 }));
    const handler = createSweepJobsHandler(() => sweep);
    recordSingleMetrics();

    const result = await handler(scheduledEvent(), sweeperContext());

    expect(result).toEqual({ requeued: 2, failed: 1, renotified: 0 });
    expect(sweep).toHaveBeenCalledTimes(1);
  });

  it('emits JobsSwept per outcome, zeros included', async () => {
    const handler = createSweepJobsHandler(() => async () => ({ requeued: 3, failed: 0, renotified: 2 }));
    const emitted = recordSingleMetrics();

    await handler(scheduledEvent(), sweeperContext());

    expect(emitted).toEqual([
      { name: 'JobsSwept', value: 3, dimensions: { outcome: 'requeued' } },
      { name: 'JobsSwept', value: 0, dimensions: { outcome: 'failed' } },
      { name: 'JobsSwept', value: 2, dimensions: { outcome: 'renotified' } },
    ]);
  });

  it('rejects an event that is not an EventBridge event without sweeping', async () => {
    const sweep = vi.fn<Sweeper>(async () => ({ requeued: 0, failed: 0, renotified: 0 }));
    const handler = createSweepJobsHandler(() => sweep);

    await expect(handler({ Records: [] }, sweeperContext())).rejects.toThrow();
    expect(sweep).not.toHaveBeenCalled();
  });

  it('fails the invocation when the sweep fails, so the error metric and alarm see it', async () => {
    const handler = createSweepJobsHandler(() => async () => {
      throw new Error('database unavailable');
    });

    await expect(handler(scheduledEvent(), sweeperContext())).rejects.toThrow('database unavailable');
  });
});
