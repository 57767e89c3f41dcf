import { describe, expect, it } from 'vitest';
import { sqsRecord } from '../../local/event-source.js';

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
