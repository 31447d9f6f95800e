// OffsetDelete (key 47): v0 only, never flexible.
import { field, message, structs, type ApiSchema } from '../schema';

export const OffsetDeleteSchema = {
  request: message({
    name: 'OffsetDeleteRequest',
    apiKey: 47,
    valid: '0',
    flexible: 'none',
    fields: [
      field('GroupId', 'string', '0+'),
      structs('Topics', '0+', [
        field('Name', 'string', '0+'),
        structs('Partitions', '0+', [field('PartitionIndex', 'int32', '0+')]),
      ]),
    ],
  }),
  response: message({
    name: 'OffsetDeleteResponse',
    apiKey: 47,
    valid: '0',
    flexible: 'none',
    fields: [
      field('ErrorCode', 'int16', '0+'),
      field('ThrottleTimeMs', 'int32', '0+'),
      structs('Topics', '0+', [
        field('Name', 'string', '0+'),
        structs('Partitions', '0+', [
          field('PartitionIndex', 'int32', '0+'),
          field('ErrorCode', 'int16', '0+'),
        ]),
      ]),
    ],
  }),
} satisfies ApiSchema;
