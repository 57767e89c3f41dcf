import { beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SOURCE, EXPORT_DETAIL_TYPES } from '../../functions/domain/notifications/export-events.js';
import { logicalId, type SynthResult, synthStage } from './support/synth.js';

// biome-ignore lint/suspicious/noExplicitAny: synthesised CloudFormation JSON, checked by the assertions
type Properties = Record<string, any>;

let dev: SynthResult;
const resource = (construct: Parameters<typeof logicalId>[1]): Properties =>
  dev.template.toJSON().Resources[logicalId(dev.stack, construct)];

beforeAll(() => {
  dev = synthStage('dev');
});

describe('export events and webhook delivery', () => {
  it('routes the three export outcomes of the service bus, and nothing else, to the webhook queue', () => {
    const rule = resource(dev.stack.webhooks.rule).Properties;

    expect(rule.EventBusName).toEqual({ Ref: logicalId(dev.stack, dev.stack.webhooks.eventBus) });
    expect(rule.EventPattern).toEqual({ source: [EVENT_SOURCE], 'detail-type': [...EXPORT_DETAIL_TYPES] });
    expect(rule.Targets).toHaveLength(1);
    expect(rule.Targets[0].Arn).toEqual({
      'Fn::GetAtt': [logicalId(dev.stack, dev.stack.webhooks.queue), 'Arn'],
    });
    expect(rule.Targets[0].DeadLetterConfig.Arn).toEqual({
      'Fn::GetAtt': [logicalId(dev.stack, dev.stack.webhooks.deadLetterQueue), 'Arn'],
    });
  });

  it('retries a delivery for about a day (8 receives) before its DLQ, whose depth raises an alarm to the alarm topic', () => {
    const queue = resource(dev.stack.webhooks.queue).Properties;
    const alarm = resource(dev.stack.webhooks.deadLetterAlarm).Properties;
    const fn = resource(dev.stack.webhooks.handler).Properties;

    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: {
        'Fn::GetAtt': [logicalId(dev.stack, dev.stack.webhooks.deadLetterQueue), 'Arn'],
      },
      maxReceiveCount: 8,
    });
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Timeout);
    expect(fn.Environment.Variables).toMatchObject({
      WEBHOOK_MAX_ATTEMPTS: '8',
      WEBHOOK_RETRY_BASE_SECONDS: '30',
    });
    expect(alarm.Dimensions).toEqual([
      {
        Name: 'QueueName',
        Value: { 'Fn::GetAtt': [logicalId(dev.stack, dev.stack.webhooks.deadLetterQueue), 'QueueName'] },
      },
    ]);
    expect(alarm.AlarmActions).toEqual([{ Ref: logicalId(dev.stack, dev.stack.monitoring.alarmTopic) }]);
  });

  it('consumes the queue with partial batch responses, from the database network with egress', () => {
    const mappings = Object.values(dev.template.findResources('AWS::Lambda::EventSourceMapping')).filter(
      (m) =>
        JSON.stringify(m.Properties.EventSourceArn) ===
        JSON.stringify({ 'Fn::GetAtt': [logicalId(dev.stack, dev.stack.webhooks.queue), 'Arn'] }),
    );
    const fn = resource(dev.stack.webhooks.handler).Properties;

    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(fn.VpcConfig).toBeDefined();
    expect(fn.Environment.Variables.DATABASE_USER).toBe('data_export_sweeper');
  });
});
