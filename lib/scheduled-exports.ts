import { EventField, Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
// Pure modules shared with the runtime: the same catalogue and cron conversion the local scheduler uses.
import { toEventBridgeCron } from '../functions/domain/schedules/eventbridge-cron.js';

/** What this construct needs of a schedule catalogue entry. */
export interface ScheduleEntry {
  readonly name: string;
  /** Five-field cron, UTC. */
  readonly cron: string;
  readonly destination: { readonly bucket: string | null; readonly prefix: string };
}

export interface ScheduledExportsProps {
  /** The schedule catalogue (`SCHEDULES`). */
  readonly schedules: readonly ScheduleEntry[];
  /** The export queue: scheduled runs get the same retries, DLQ, metrics and audit as API exports. */
  readonly queue: IQueue;
  /** @default true */
  readonly enabled?: boolean;
}

/**
 * One EventBridge rule per catalogue entry, its expression converted from the catalogue's cron,
 * putting `{schedule, scheduledTime}` (the worker's scheduled-message schema) on the export queue.
 */
export class ScheduledExports extends Construct {
  /** Rules by schedule name. */
  public readonly rules: ReadonlyMap<string, Rule>;

  constructor(scope: Construct, id: string, props: ScheduledExportsProps) {
    super(scope, id);
    const rules = new Map<string, Rule>();
    for (const schedule of props.schedules) {
      if (rules.has(schedule.name))
        throw new Error(`ScheduledExports: schedule '${schedule.name}' is listed twice`);
      const rule = new Rule(this, `Rule-${schedule.name}`, {
        description: `Scheduled export '${schedule.name}' (${schedule.cron} UTC)`,
        schedule: Schedule.expression(toEventBridgeCron(schedule.cron)),
        enabled: props.enabled ?? true,
      });
      rule.addTarget(
        new SqsQueue(props.queue, {
          message: RuleTargetInput.fromObject({ schedule: schedule.name, scheduledTime: EventField.time }),
        }),
      );
      rules.set(schedule.name, rule);
    }
    this.rules = rules;
  }
}
