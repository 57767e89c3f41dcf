/**
 * One export-worker "execution environment" of the local runtime, in a process of its own (see
 * `worker-processes.ts`): it builds the worker handler once from the configuration its parent
 * sends, then runs each SQS event it is given with a Lambda context counting down to the
 * invocation's deadline, and sends back the batch response.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { OutboxMailer } from '../functions/adapters/mail/outbox-mailer.js';
import { createSqsClient } from '../functions/adapters/sqs/client.js';
import type { Config } from '../functions/platform/config.js';
import { once } from '../functions/platform/once.js';
import { lambdaContext } from './lambda-context.js';
import { LocalEventBus } from './local-event-bus.js';

/** What the parent sends: the configuration first, then one message per invocation. */
export type WorkerProcessRequest =
  | {
      readonly type: 'init';
      readonly config: Config;
      readonly outboxDir: string;
      readonly eventsFile: string;
      readonly webhookQueueUrl: string;
    }
  | {
      readonly type: 'invoke';
      readonly id: number;
      readonly event: SQSEvent;
      readonly functionName: string;
      /** Epoch milliseconds at which the invocation times out. */
      readonly deadline: number;
    };

/** What the process answers to an `invoke`. */
export type WorkerProcessResponse =
  | { readonly id: number; readonly response: SQSBatchResponse | undefined | null }
  | { readonly id: number; readonly error: string };

type Handler = (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;

let handler: Promise<Handler> | undefined;

process.on('message', (request: WorkerProcessRequest) => {
  if (request.type === 'init') {
    handler = (async () => {
      const { createWorkerRuntime } = await import('../functions/wiring/worker-context.js');
      const { createExportWorkerHandler } = await import('../functions/handlers/export-worker.js');
      // Mail to the outbox folder, events to the emulated bus, as the runtime's own sweeper does.
      const mailer = new OutboxMailer({ dir: request.outboxDir, from: request.config.MAIL_FROM });
      const events = new LocalEventBus({
        eventsFile: request.eventsFile,
        sqs: createSqsClient({ endpoint: request.config.SQS_ENDPOINT, region: request.config.AWS_REGION }),
        webhookQueueUrl: request.webhookQueueUrl,
      });
      return createExportWorkerHandler(
        once(() => createWorkerRuntime(request.config, { mailer, events })),
      ) as unknown as Handler;
    })();
    return;
  }
  void invoke(request);
});

async function invoke(request: Extract<WorkerProcessRequest, { type: 'invoke' }>): Promise<void> {
  let answer: WorkerProcessResponse;
  try {
    if (!handler) throw new Error('invoked before init');
    const context = lambdaContext({
      functionName: request.functionName,
      timeoutMs: Math.max(0, request.deadline - Date.now()),
    });
    answer = { id: request.id, response: await (await handler)(request.event, context) };
  } catch (error) {
    answer = {
      id: request.id,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    };
  }
  process.send?.(answer);
}

// The parent going away ends this environment too.
process.on('disconnect', () => process.exit(0));
