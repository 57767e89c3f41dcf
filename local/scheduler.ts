import type { ScheduledExportMessage } from '../functions/domain/schedules/scheduled-export-message.js';

/** What the scheduler needs of a catalogue entry. */
export interface ScheduleEntry {
  readonly name: string;
  /** 5-field cron, UTC. */
  readonly cron: string;
}

export interface SchedulerProps {
  readonly schedules: readonly ScheduleEntry[];
  /** The next `count` run times of `cron` strictly after `from` (the domain's `nextRunTimes`). */
  readonly nextRunTimes: (cron: string, from: Date, count: number) => Date[];
  /** Puts one message on the export queue, as the EventBridge rule's SQS target does. */
  readonly send: (message: ScheduledExportMessage) => Promise<void>;
  /** @default () => new Date() */
  readonly now?: () => Date;
  readonly log?: (line: string) => void;
  readonly logError?: (message: string, error: unknown) => void;
}

export interface Scheduler {
  /** The next planned run of each schedule. */
  nextRuns(): ReadonlyMap<string, Date>;
  stop(): void;
}

/** setTimeout's ceiling (about 24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * EventBridge rules on one machine: for each schedule, a chain of timers firing at the cron's next
 * run time, each putting `{"schedule", "scheduledTime"}` (the rule's input transformer output) on
 * the export queue, so scheduled runs get the queue's retries, DLQ and audit as in AWS. Like
 * EventBridge, runs missed while the runtime was down are not caught up; `POST
 * /schedules/{name}/run` backfills a date.
 */
export function startScheduler(props: SchedulerProps): Scheduler {
  const now = props.now ?? (() => new Date());
  const log = props.log ?? (() => {});
  const logError = props.logError ?? ((message, error) => console.error(message, error));
  const planned = new Map<string, Date>();
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;

  const plan = (schedule: ScheduleEntry, after: Date) => {
    if (stopped) return;
    const [next] = props.nextRunTimes(schedule.cron, after, 1);
    if (!next) return;
    planned.set(schedule.name, next);
    log(`scheduler: next ${schedule.name} run at ${next.toISOString()} (cron ${schedule.cron} UTC)`);
    wait(schedule, next);
  };

  const wait = (schedule: ScheduleEntry, at: Date) => {
    const delay = at.getTime() - now().getTime();
    const timer = setTimeout(
      () => {
        if (delay > MAX_TIMER_MS) return wait(schedule, at);
        void fire(schedule, at);
      },
      Math.max(0, Math.min(delay, MAX_TIMER_MS)),
    );
    timer.unref();
    timers.set(schedule.name, timer);
  };

  const fire = async (schedule: ScheduleEntry, at: Date) => {
    if (stopped) return;
    const message: ScheduledExportMessage = { schedule: schedule.name, scheduledTime: at.toISOString() };
    try {
      await props.send(message);
      log(`scheduler: ${schedule.name} fired for ${message.scheduledTime}`);
    } catch (error) {
      logError(`scheduler: could not queue ${schedule.name} for ${message.scheduledTime}`, error);
    }
    // From the later of the planned time and now: a timer that fired late (a sleeping laptop) does
    // not fire again for runs that passed meanwhile, as EventBridge would not either.
    const current = now();
    plan(schedule, current > at ? current : at);
  };

  const start = now();
  for (const schedule of props.schedules) plan(schedule, start);
  return {
    nextRuns: () => new Map(planned),
    stop() {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}
