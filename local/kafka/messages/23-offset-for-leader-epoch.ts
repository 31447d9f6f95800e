// OffsetForLeaderEpoch (key 23): v0–4, flexible from v4. v1 adds the answered LeaderEpoch (KIP-279),
// v2 the asker's CurrentLeaderEpoch (KIP-320), v3 the ReplicaId (-2 for consumers).
import { field, message, structs, type ApiSchema } from '../schema';

export const OffsetForLeaderEpochSchema = {
  request: message({
    name: 'OffsetForLeaderEpochRequest',
    apiKey: 23,
    valid: '0-4',
    flexible: '4+',
    fields: [
      field('ReplicaId', 'int32', '3+', { default: -2 }),
      structs('Topics', '0+', [
        field('Topic', 'string', '0+'),
        structs('Partitions', '0+', [
          field('Partition', 'int32', '0+'),
          field('CurrentLeaderEpoch', 'int32', '2+', { default: -1 }),
          field('LeaderEpoch', 'int32', '0+'),
        ]),
      ]),
    ],
  }),
  response: message({
    name: 'OffsetForLeaderEpochResponse',
    apiKey: 23,
    valid: '0-4',
    flexible: '4+',
    fields: [
      field('ThrottleTimeMs', 'int32', '2+'),
      structs('Topics', '0+', [
        field('Topic', 'string', '0+'),
        structs('Partitions', '0+', [
          field('ErrorCode', 'int16', '0+'),
          field('Partition', 'int32', '0+'),
          field('LeaderEpoch', 'int32', '1+', { default: -1 }),
          field('EndOffset', 'int64', '0+', { default: -1n }),
        ]),
      ]),
    ],
  }),
} satisfies ApiSchema;
