import type { Message } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { sqsRecord, succeededMessages } from '../../../local/event-source.js';

describe('the local SQS event source', () => {
  it.each(['__proto__', 'constructor', 'toString'])(
    'hands a message attribute named %s to the handler as a plain key',
    (name) => {
      // The SDK's JSON parse makes `__proto__` an own key, as a sender can name an attribute so.
      const attributes = JSON.parse(`{"${name}": {"DataType": "String", "StringValue": "v"}}`);

      const record = sqsRecord({ MessageId: 'm1', Body: '{}', MessageAttributes: attributes }, 'arn:queue');

      expect(Object.hasOwn(record.messageAttributes, name)).toBe(true);
      expect(record.messageAttributes[name]).toMatchObject({ dataType: 'String', stringValue: 'v' });
      expect(Object.keys(record.messageAttributes)).toEqual([name]);
    },
  );
});

describe("the local SQS event source's batch failure rules (Lambda's ReportBatchItemFailures)", () => {
  const batch: Message[] = ['m1', 'm2', 'm3'].map((id) => ({ MessageId: id, Body: '{}' }));
  const ids = (messages: readonly Message[]) => messages.map((m) => m.MessageId);

  it('counts the whole batch as processed when the handler returns nothing or no failures', () => {
    expect(ids(succeededMessages(batch, undefined))).toEqual(['m1', 'm2', 'm3']);
    expect(ids(succeededMessages(batch, null))).toEqual(['m1', 'm2', 'm3']);
    expect(ids(succeededMessages(batch, { batchItemFailures: [] }))).toEqual(['m1', 'm2', 'm3']);
  });

  it('keeps the reported items for redelivery and deletes the others', () => {
    const response = { batchItemFailures: [{ itemIdentifier: 'm2' }] };

    expect(ids(succeededMessages(batch, response))).toEqual(['m1', 'm3']);
  });

  it.each([
    ['an empty item identifier', ''],
    ['an identifier not in the batch', 'm9'],
  ])('fails the whole batch for %s', (_what, itemIdentifier) => {
    const response = { batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier }] };

    expect(succeededMessages(batch, response)).toEqual([]);
  });
});
