import { createEventBridgeClient } from '../../adapters/eventbridge/client.js';
import { config } from '../config.js';
import { once } from '../once.js';
import { tracer } from '../powertools.js';

/** The Lambda's EventBridge client, created on first use from `config()` and traced by X-Ray. */
export const eventBridgeClient = once(() =>
  tracer.captureAWSv3Client(createEventBridgeClient({ region: config().AWS_REGION })),
);

/** `EVENT_BUS_NAME`, required by whoever publishes outcome events (worker and sweeper). */
export function eventBusName(): string {
  const name = config().EVENT_BUS_NAME;
  if (!name) throw new Error('invalid configuration: EVENT_BUS_NAME: required to publish export events');
  return name;
}
