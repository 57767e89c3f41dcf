import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { DependencyError, ExportError } from '../../domain/errors.js';
import {
  EVENT_SOURCE,
  type EventPublisher,
  type ExportEvent,
} from '../../domain/notifications/export-events.js';

/**
 * The `PutEvents` entry of an event: source `data-export`, the detail-type, the detail as JSON,
 * and the time of the state change. The local bus builds its events from this very entry.
 */
export function putEventsEntry(event: ExportEvent, eventBusName: string): PutEventsRequestEntry {
  return {
    EventBusName: eventBusName,
    Source: EVENT_SOURCE,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    Time: new Date(event.detail.occurredAt),
    Resources: [],
  };
}

export interface EventBridgeEventPublisherProps {
  readonly client: Pick<EventBridgeClient, 'send'>;
  /** `EVENT_BUS_NAME`: the bus the stack creates. */
  readonly eventBusName: string;
}

/**
 * The EventPublisher port on EventBridge `PutEvents`. `PutEvents` answers 200 even when it
 * refused an entry, so the entry's own result is checked: a refused entry throws, and the caller
 * leaves the event to the sweeper's resend.
 */
export class EventBridgeEventPublisher implements EventPublisher {
  constructor(private readonly props: EventBridgeEventPublisherProps) {}

  async publish(event: ExportEvent): Promise<void> {
    let failed: { code?: string; message?: string } | undefined;
    try {
      const output = await this.props.client.send(
        new PutEventsCommand({ Entries: [putEventsEntry(event, this.props.eventBusName)] }),
      );
      const entry = output.Entries?.[0];
      if ((output.FailedEntryCount ?? 0) > 0 || entry?.ErrorCode)
        failed = { code: entry?.ErrorCode, message: entry?.ErrorMessage };
    } catch (error) {
      throw new DependencyError('the event bus is unavailable', error);
    }
    if (failed) {
      // ThrottlingException and InternalFailure are worth retrying; anything else is a misconfiguration.
      const retryable = failed.code === 'ThrottlingException' || failed.code === 'InternalFailure';
      throw new ExportError('event_rejected', `the event bus refused the event: ${failed.code}`, 503, {
        retryable,
        details: failed,
      });
    }
  }
}
