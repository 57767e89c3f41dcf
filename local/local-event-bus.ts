import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { putEventsEntry } from '../functions/adapters/eventbridge/eventbridge-event-publisher.js';
import {
  EVENT_SOURCE,
  type EventPublisher,
  EXPORT_DETAIL_TYPES,
  type ExportEvent,
} from '../functions/domain/notifications/export-events.js';
import { LOCAL_REGION } from './lambda-context.js';

/** The local bus's name, as the stack names its own. */
export const LOCAL_EVENT_BUS_NAME = 'data-export-local';

/** An event as EventBridge delivers it to a rule's targets. */
export interface BusEnvelope {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

/**
 * The envelope EventBridge makes of a `PutEvents` entry: the entry's source, detail-type, time and
 * detail, with a new event id, the account and the region.
 */
export function busEnvelope(event: ExportEvent, busName: string, region = LOCAL_REGION): BusEnvelope {
  const entry = putEventsEntry(event, busName);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': entry.DetailType!,
    source: entry.Source!,
    account: '000000000000',
    time: (entry.Time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: entry.Resources ?? [],
    detail: JSON.parse(entry.Detail!),
  };
}

export interface LocalEventBusProps {
  /** One event a line; created with its directory. */
  readonly eventsFile: string;
  /** The rule's target: the webhook delivery queue. */
  readonly sqs: SQSClient;
  readonly webhookQueueUrl: string;
}

/**
 * EventBridge on one machine: the same `PutEvents` entry the AWS adapter sends (`putEventsEntry`)
 * becomes an EventBridge-shaped event, sent to the webhook queue as the stack's rule (source
 * `data-export`, the export detail-types) sends it to its SQS target, then appended to the events
 * file (what a catch-all archive would show). A refused send throws, as a refused `PutEvents` entry.
 */
export class LocalEventBus implements EventPublisher {
  constructor(private readonly props: LocalEventBusProps) {}

  async publish(event: ExportEvent): Promise<void> {
    const envelope = busEnvelope(event, LOCAL_EVENT_BUS_NAME);
    if (
      envelope.source === EVENT_SOURCE &&
      (EXPORT_DETAIL_TYPES as readonly string[]).includes(envelope['detail-type'])
    ) {
      await this.props.sqs.send(
        new SendMessageCommand({
          QueueUrl: this.props.webhookQueueUrl,
          MessageBody: JSON.stringify(envelope),
        }),
      );
    }
    // After the target took it: an event the bus refused is in no archive.
    await mkdir(path.dirname(this.props.eventsFile), { recursive: true });
    await appendFile(this.props.eventsFile, `${JSON.stringify(envelope)}\n`);
  }
}
