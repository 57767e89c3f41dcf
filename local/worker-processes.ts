import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Config } from '../functions/platform/config.js';
import type { SqsHandler } from './event-source.js';
import type { WorkerProcessRequest, WorkerProcessResponse } from './worker-process.js';

export interface WorkerProcessesProps {
  /** Concurrent execution environments (`WORKER_CONCURRENCY`). */
  readonly count: number;
  /** The worker's configuration (its own database login). */
  readonly config: Config;
  readonly outboxDir: string;
  /** The emulated EventBridge bus: its events file and the webhook delivery queue its rule targets. */
  readonly eventsFile: string;
  readonly webhookQueueUrl: string;
  readonly log?: (line: string) => void;
}

export interface WorkerProcesses {
  /** One handler per process, for the SQS event source's pollers. */
  readonly handlers: readonly SqsHandler[];
  stop(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL('./worker-process.ts', import.meta.url));
/** tsx's loader, resolved from this file so the processes start from any working directory. */
const TSX_LOADER = import.meta.resolve('tsx');
/** How long past its deadline an invocation may take to answer before its process is killed. */
const KILL_GRACE_MS = 1_000;

/**
 * The export worker's execution environments as child processes, so concurrent invocations (the
 * chunks of one job) really run in parallel on this machine's cores, each with its own memory and
 * connections, as separate Lambda environments do. An invocation that outlives its deadline is
 * killed with its process, as Lambda ends a timed-out environment, and a fresh process replaces it:
 * its messages return after the visibility timeout and a chunk resumes from its checkpoint.
 */
export function startWorkerProcesses(props: WorkerProcessesProps): WorkerProcesses {
  const environments = Array.from({ length: props.count }, () => new WorkerEnvironment(props));
  return {
    handlers: environments.map((environment) => (event, context) => environment.invoke(event, context)),
    stop: async () => {
      await Promise.all(environments.map((environment) => environment.stop()));
    },
  };
}

class WorkerEnvironment {
  private child: ChildProcess;
  private next = 0;
  private readonly pending = new Map<
    number,
    { resolve: (response: SQSBatchResponse | undefined | null) => void; reject: (error: Error) => void }
  >();
  private stopped = false;

  constructor(private readonly props: WorkerProcessesProps) {
    this.child = this.spawn();
  }

  invoke(event: SQSEvent, context: Context): Promise<SQSBatchResponse | undefined | null> {
    const id = ++this.next;
    const deadline = Date.now() + context.getRemainingTimeInMillis();
    const request: WorkerProcessRequest = {
      type: 'invoke',
      id,
      event,
      functionName: context.functionName,
      deadline,
    };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.props.log?.(
            `${context.functionName}: invocation ran past its deadline; its environment is replaced`,
          );
          this.replace(new Error('the invocation timed out and its environment was ended'));
        },
        deadline - Date.now() + KILL_GRACE_MS,
      );
      this.pending.set(id, {
        resolve: (response) => {
          clearTimeout(timer);
          resolve(response);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send(request);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.end(this.child);
  }

  private spawn(): ChildProcess {
    const child = fork(ENTRY, [], {
      execArgv: ['--import', TSX_LOADER],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (answer: WorkerProcessResponse) => {
      const waiter = this.pending.get(answer.id);
      if (!waiter) return;
      this.pending.delete(answer.id);
      if ('error' in answer) waiter.reject(new Error(answer.error));
      else waiter.resolve(answer.response);
    });
    child.on('exit', () => {
      if (child !== this.child) return;
      this.failPending(new Error('the worker environment exited'));
      if (!this.stopped) this.child = this.spawn();
    });
    const init: WorkerProcessRequest = {
      type: 'init',
      config: this.props.config,
      outboxDir: this.props.outboxDir,
      eventsFile: this.props.eventsFile,
      webhookQueueUrl: this.props.webhookQueueUrl,
    };
    child.send(init);
    return child;
  }

  private replace(reason: Error) {
    const old = this.child;
    this.failPending(reason);
    this.child = this.spawn();
    old.kill('SIGKILL');
  }

  private failPending(reason: Error) {
    for (const waiter of this.pending.values()) waiter.reject(reason);
    this.pending.clear();
  }

  private end(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
