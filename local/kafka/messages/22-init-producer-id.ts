// InitProducerId (key 22): v0–5, flexible from v2.
// From v3 the request may carry an existing ProducerId/ProducerEpoch (both default -1).
import { field, message, type ApiSchema } from '../schema';

export const InitProducerIdSchema = {
  request: message({
    name: 'InitProducerIdRequest',
    apiKey: 22,
    valid: '0-5',
    flexible: '2+',
    fields: [
      field('TransactionalId', 'string', '0+', { nullable: '0+' }),
      field('TransactionTimeoutMs', 'int32', '0+'),
      field('ProducerId', 'int64', '3+', { default: -1n }),
      field('ProducerEpoch', 'int16', '3+', { default: -1 }),
    ],
  }),
  response: message({
    name: 'InitProducerIdResponse',
    apiKey: 22,
    valid: '0-5',
    flexible: '2+',
    fields: [
      field('ThrottleTimeMs', 'int32', '0+'),
      field('ErrorCode', 'int16', '0+'),
      field('ProducerId', 'int64', '0+', { default: -1n }),
      field('ProducerEpoch', 'int16', '0+'),
    ],
  }),
} satisfies ApiSchema;
