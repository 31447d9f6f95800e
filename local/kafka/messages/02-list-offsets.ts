// ListOffsets (key 2): v0–9, flexible from v6.
// v0 alone carries MaxNumOffsets and returns an OldStyleOffsets array instead of a single Timestamp/Offset.
import { field, message, structs, type ApiSchema } from '../schema';

export const ListOffsetsSchema = {
  request: message({
    name: 'ListOffsetsRequest',
    apiKey: 2,
    valid: '0-9',
    flexible: '6+',
    fields: [
      field('ReplicaId', 'int32', '0+'),
      field('IsolationLevel', 'int8', '2+'),
      structs('Topics', '0+', [
        field('Name', 'string', '0+'),
        structs('Partitions', '0+', [
          field('PartitionIndex', 'int32', '0+'),
          field('CurrentLeaderEpoch', 'int32', '4+', { default: -1 }),
          field('Timestamp', 'int64', '0+'),
          field('MaxNumOffsets', 'int32', '0', { default: 1 }),
        ]),
      ]),
    ],
  }),
  response: message({
    name: 'ListOffsetsResponse',
    apiKey: 2,
    valid: '0-9',
    flexible: '6+',
    fields: [
      field('ThrottleTimeMs', 'int32', '2+'),
      structs('Topics', '0+', [
        field('Name', 'string', '0+'),
        structs('Partitions', '0+', [
          field('PartitionIndex', 'int32', '0+'),
          field('ErrorCode', 'int16', '0+'),
          field('OldStyleOffsets', '[]int64', '0'),
          field('Timestamp', 'int64', '1+', { default: -1n }),
          field('Offset', 'int64', '1+', { default: -1n }),
          field('LeaderEpoch', 'int32', '4+', { default: -1 }),
        ]),
      ]),
    ],
  }),
} satisfies ApiSchema;
