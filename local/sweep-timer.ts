import { randomUUID } from 'node:crypto';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { LOCAL_ACCOUNT, LOCAL_REGION, lambdaContext } from './lambda-context.js';

/** A Lambda fed by an EventBridge schedule rule, as the stale-job sweeper is. */
export type ScheduledHandler = (
  event: EventBridgeEvent<'Scheduled Event', Record<string, never>>,
  context: Context,
) => Promise<unknown>;

/** The rule's and the function's name, as in the stack. */
const NAME = 'sweep-jobs';
/** The sweeper Lambda's timeout in the stack (lib/export-worker.ts). */
const TIMEOUT_MS = 2 * 60_000;

/**
 * The stack's `rate(5 minutes)` rule for the stale-job sweeper, on one machine: every
 * `intervalSeconds` the handler gets the `Scheduled Event` EventBridge would send. Invocations do
 * not wait for each other, as Lambda's would not; a failed one is reported and the next runs on
 * time.
 * @returns stops the timer
 */
export function startSweepTimer(props: {
  readonly intervalSeconds: number;
  readonly sweep: ScheduledHandler;
  readonly logError: (message: string, error: unknown) => void;
}): () => void {
  const timer = setInterval(() => {
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event' as const,
      source: 'aws.events',
      account: LOCAL_ACCOUNT,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: LOCAL_REGION,
      resources: [`arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${NAME}`],
      detail: {},
    };
    props
      .sweep(event, lambdaContext({ functionName: NAME, timeoutMs: TIMEOUT_MS }))
      .catch((error: unknown) => props.logError('stale-job sweep failed', error));
  }, props.intervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
