// OffsetCommit (key 8): v0–9, flexible from v8.
// v1 alone carries a per-partition CommitTimestamp; v2–4 carry a request-level RetentionTimeMs instead.
import { field, message, structs, type ApiSchema } from '../schema';

export const OffsetCommitSchema = {
  request: message({
    name: 'OffsetCommitRequest',
    apiKey: 8,
    valid: '0-9',
    flexible: '8+',
    fields: [
      field('GroupId', 'string', '0+'),
      field('GenerationIdOrMemberEpoch', 'int32', '1+', { default: -1 }),
      field('MemberId', 'string', '1+'),
      field('GroupInstanceId', 'string', '7+', { nullable: '7+', default: null }),
      field('RetentionTimeMs', 'int64', '2-4', { default: -1n }),
      structs('Topics', '0+', [
        field('Name', 'string', '0+'),
        structs('Partitions', '0+', [
          field('PartitionIndex', 'int32', '0+'),
          field('CommittedOffset', 'int64', '0+'),
          field('CommittedLeaderEpoch', 'int32', '6+', { default: -1 }),
          field('CommitTimestamp', 'int64', '1', { default: -1n }),
          field('CommittedMetadata', 'string', '0+', { nullable: '0+' }),
        ]),
      ]),
    ],
  }),
  response: message({
    name: 'OffsetCommitResponse',
    apiKey: 8,
    valid: '0-9',
    flexible: '8+',
    fields: [
      field('ThrottleTimeMs', 'int32', '3+'),
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
