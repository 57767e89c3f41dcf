import { beforeAll, describe, expect, it } from 'vitest';
import { toEventBridgeCron } from '../../functions/domain/schedules/eventbridge-cron.js';
import { SCHEDULES } from '../../functions/domain/schedules/schedule-catalogue.js';
import { ScheduledExportMessage } from '../../functions/domain/schedules/scheduled-export-message.js';
import { logicalId, type SynthResult, synthStage } from './support/synth.js';

// biome-ignore lint/suspicious/noExplicitAny: synthesised CloudFormation JSON, checked by the assertions
type Properties = Record<string, any>;

let prod: SynthResult;
let dev: SynthResult;
let rules: Properties[];

/** The stack's EventBridge rules except the stale-job sweeper's and the webhooks' (see their own tests). */
function scheduleRules(result: SynthResult): Properties[] {
  const others = [result.stack.worker.sweepRule, result.stack.webhooks.rule].map((rule) =>
    logicalId(result.stack, rule),
  );
  return Object.entries(result.template.findResources('AWS::Events::Rule'))
    .filter(([id]) => !others.includes(id))
    .map(([, rule]) => rule.Properties);
}

beforeAll(() => {
  prod = synthStage('prod');
  dev = synthStage('dev');
  rules = scheduleRules(prod);
});

const ruleFor = (name: string) => rules.find((rule) => String(rule.Description).includes(`'${name}'`));

describe('scheduled exports', () => {
  it('creates exactly one rule per catalogue entry', () => {
    expect(rules).toHaveLength(SCHEDULES.length);
    for (const schedule of SCHEDULES) expect(ruleFor(schedule.name), schedule.name).toBeDefined();
  });

  it("uses the cron converter's expression for each entry", () => {
    for (const schedule of SCHEDULES) {
      expect(ruleFor(schedule.name)?.ScheduleExpression).toBe(toEventBridgeCron(schedule.cron));
    }
  });

  it('runs the docs/schedules.md schedules at their UTC times', () => {
    expect(ruleFor('daily_transactions')?.ScheduleExpression).toBe('cron(0 1 * * ? *)');
    expect(ruleFor('weekly_users')?.ScheduleExpression).toBe('cron(0 2 ? * SUN *)');
  });

  it('puts the message the worker expects on the export queue', () => {
    const queueArn = { 'Fn::GetAtt': [logicalId(prod.stack, prod.stack.worker.queue), 'Arn'] };
    for (const schedule of SCHEDULES) {
      const [target] = ruleFor(schedule.name)?.Targets ?? [];
      expect(target.Arn).toEqual(queueArn);
      expect(target.InputTransformer.InputPathsMap).toEqual({ time: '$.time' });

      // EventBridge substitutes the event's time (an ISO 8601 string, quoted) for <time>.
      const message = JSON.parse(
        target.InputTransformer.InputTemplate.replace('<time>', '"2024-03-01T01:00:00Z"'),
      );
      expect(ScheduledExportMessage.parse(message)).toEqual({
        schedule: schedule.name,
        scheduledTime: '2024-03-01T01:00:00Z',
      });
    }
  });

  it('lets only these rules send to the queue', () => {
    const exportQueue = { Ref: logicalId(prod.stack, prod.stack.worker.queue) };
    const statements = Object.values(prod.template.findResources('AWS::SQS::QueuePolicy'))
      .filter((policy) => JSON.stringify(policy.Properties.Queues) === JSON.stringify([exportQueue]))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Properties[])
      .filter((s) => s.Principal?.Service === 'events.amazonaws.com');
    const sourceArns = statements.flatMap((s) => [s.Condition?.ArnEquals?.['aws:SourceArn']].flat());
    const ruleArns = [...prod.stack.scheduledExports.rules.values()].map((rule) => ({
      'Fn::GetAtt': [logicalId(prod.stack, rule), 'Arn'],
    }));

    for (const s of statements) expect([s.Action].flat()).toContain('sqs:SendMessage');
    expect(sourceArns).toHaveLength(ruleArns.length);
    expect(sourceArns).toEqual(expect.arrayContaining(ruleArns));
  });

  it('enables the rules per stage', () => {
    const states = (result: SynthResult) => scheduleRules(result).map((rule) => rule.State);

    expect(new Set(states(prod))).toEqual(new Set(['ENABLED']));
    expect(new Set(states(dev))).toEqual(new Set(['DISABLED']));
  });
});
