import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { EventBridgeEventPublisher } from '../../../functions/adapters/eventbridge/eventbridge-event-publisher.js';
import { createSqsClient } from '../../../functions/adapters/sqs/client.js';
import {
  EVENT_SOURCE,
  type EventPublisher,
  type ExportEvent,
} from '../../../functions/domain/notifications/export-events.js';
import { busEnvelope, LocalEventBus } from '../../../local/local-event-bus.js';
import { RecordingEventPublisher } from '../../support/notification-fakes.js';

/**
 * The EventPublisher port, one set of cases run against the recording fake the worker tests read,
 * the EventBridge adapter (its `PutEvents` entries turned into the events EventBridge delivers,
 * since EventBridge has no local server) and the local bus on the S3/SQS emulator, read back from
 * its webhook queue and its events file. Each answers: which events would a rule on
 * `source = data-export` deliver to its target?
 */

/** What a rule target gets of an event. */
interface Delivered {
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
}

interface Subject {
  readonly publisher: EventPublisher;
  delivered(): Promise<Delivered[]>;
  /** Makes the next publishes be refused by the bus. */
  refuse(): void;
  close(): Promise<void>;
}

async function recording(): Promise<Subject> {
  const fake = new RecordingEventPublisher();
  return {
    publisher: fake,
    delivered: async () =>
      fake.published.map((e) => ({ source: EVENT_SOURCE, detailType: e.detailType, detail: e.detail })),
    refuse: () => {
      fake.fail = () => new Error('refused');
    },
    close: async () => {},
  };
}

async function eventBridge(): Promise<Subject> {
  const entries: Delivered[] = [];
  let refusing = false;
  const client = {
    send: async (command: PutEventsCommand) => {
      if (refusing)
        return { FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'x' }] };
      for (const entry of command.input.Entries ?? []) {
        entries.push({
          source: entry.Source!,
          detailType: entry.DetailType!,
          detail: JSON.parse(entry.Detail!),
        });
      }
      return { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] };
    },
  };
  return {
    publisher: new EventBridgeEventPublisher({ client: client as never, eventBusName: 'data-export-test' }),
    delivered: async () => entries,
    refuse: () => {
      refusing = true;
    },
    close: async () => {},
  };
}

async function localBus(): Promise<Subject> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'event-bus-contract-'));
  const sqs = createSqsClient({ endpoint: inject('awsEndpoint') });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `events-${path.basename(dir)}` }));
  const eventsFile = path.join(dir, 'events.ndjson');
  let refused = false;
  const bus = new LocalEventBus({ eventsFile, sqs, webhookQueueUrl: QueueUrl! });
  // The queue gone: SQS refuses the rule target's message.
  const missing = new LocalEventBus({ eventsFile, sqs, webhookQueueUrl: `${QueueUrl}-deleted` });
  return {
    publisher: { publish: (e) => (refused ? missing : bus).publish(e) },
    delivered: async () => {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      const queued = Messages.map((m) => JSON.parse(m.Body!) as ReturnType<typeof busEnvelope>);
      const filed = (await fs.readFile(eventsFile, 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as ReturnType<typeof busEnvelope>);
      expect(queued.map((e) => e.id)).toEqual(filed.map((e) => e.id));
      return queued.map((e) => ({ source: e.source, detailType: e['detail-type'], detail: e.detail }));
    },
    refuse: () => {
      refused = true;
    },
    close: async () => {
      sqs.destroy();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

function event(overrides: Partial<ExportEvent['detail']> = {}): ExportEvent {
  return {
    detailType: 'Export Completed',
    detail: {
      eventId: 'evt_0c6f6a4e-3f4e-4a55-9d58-3c7e9d2b8a11_completed',
      jobId: '0c6f6a4e-3f4e-4a55-9d58-3c7e9d2b8a11',
      kind: 'bulk',
      format: 'csv',
      status: 'completed',
      rows: 12,
      bytes: 345,
      files: 1,
      requestedBy: 'admin-1',
      occurredAt: '2024-05-01T10:00:00.000Z',
      ...overrides,
    },
  };
}

describe.each([
  ['recording', recording],
  ['EventBridge', eventBridge],
  ['local bus', localBus],
])('EventPublisher contract: %s', (_name, make) => {
  let s: Subject;
  beforeEach(async () => {
    s = await make();
  });
  afterEach(async () => {
    await s.close();
  });

  it('delivers each event with source data-export, its detail-type and its detail as published', async () => {
    const completed = event();
    const failed: ExportEvent = {
      detailType: 'Export Failed',
      detail: {
        ...event().detail,
        status: 'failed',
        rows: 0,
        error: { code: 'abandoned', message: 'Retry later.' },
      },
    };

    await s.publisher.publish(completed);
    await s.publisher.publish(failed);

    expect(await s.delivered()).toEqual([
      { source: 'data-export', detailType: 'Export Completed', detail: completed.detail },
      { source: 'data-export', detailType: 'Export Failed', detail: failed.detail },
    ]);
  });

  it('throws when the bus refuses, so the caller leaves the event unsent for the resend', async () => {
    s.refuse();

    await expect(s.publisher.publish(event())).rejects.toThrow();
  });
});

describe('the local bus envelope', () => {
  it('has the fields EventBridge gives a rule target', () => {
    const envelope = busEnvelope(event(), 'bus');

    expect(Object.keys(envelope).sort()).toEqual(
      ['account', 'detail', 'detail-type', 'id', 'region', 'resources', 'source', 'time', 'version'].sort(),
    );
    expect(envelope.time).toBe('2024-05-01T10:00:00Z');
  });
});
