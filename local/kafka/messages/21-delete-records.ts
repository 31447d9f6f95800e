// DeleteRecords (key 21): v0–2, flexible from v2.
import { field, message, structs, type ApiSchema } from '../schema';

export const DeleteRecordsSchema = {
  request: message({
    name: 'DeleteRecordsRequest',
    apiKey: 21,
    valid: '0-2',
    flexible: '2+',
    fields: [
      structs('Topics', '0+', [
        field('Name', 'string', '0+'),
        structs('Partitions', '0+', [field('PartitionIndex', 'int32', '0+'), field('Offset', 'int64', '0+')]),
      ]),
      field('TimeoutMs', 'int32', '0+'),
    ],
  }),
  response: message({
    name: 'DeleteRecordsResponse',
    apiKey: 21,
    valid: '0-2',
    flexible: '2+',
    fields: [
      field('ThrottleTimeMs', 'int32', '0+'),
      structs('Topics', '0+', [
        field('Name', 'string', '0+'),
        structs('Partitions', '0+', [
          field('PartitionIndex', 'int32', '0+'),
          field('LowWatermark', 'int64', '0+'),
          field('ErrorCode', 'int16', '0+'),
        ]),
      ]),
    ],
  }),
} satisfies ApiSchema;
