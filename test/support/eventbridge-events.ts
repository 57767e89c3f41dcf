import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';

/** The event an EventBridge schedule rule (`rate(…)` or `cron(…)`) delivers to a Lambda target. */
export function scheduledEvent(overrides: Partial<ScheduledEvent> = {}): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:000000000000:rule/data-export-sweep'],
    detail: {},
    ...overrides,
  };
}
