// OffsetFetch (key 9): v0–9, flexible from v6.
// v8 replaces the single-group layout (v0–7) with a batch of Groups; Topics may be null from v2 (all topics).
import { field, message, structs, type ApiSchema } from '../schema';

export const OffsetFetchSchema = {
  request: message({
    name: 'OffsetFetchRequest',
    apiKey: 9,
    valid: '0-9',
    flexible: '6+',
    fields: [
      field('GroupId', 'string', '0-7'),
      structs(
        'Topics',
        '0-7',
        [field('Name', 'string', '0-7'), field('PartitionIndexes', '[]int32', '0-7')],
        { nullable: '2-7' },
      ),
      structs('Groups', '8+', [
        field('GroupId', 'string', '8+'),
        field('MemberId', 'string', '9+', { nullable: '9+', default: null }),
        field('MemberEpoch', 'int32', '9+', { default: -1 }),
        structs('Topics', '8+', [field('Name', 'string', '8+'), field('PartitionIndexes', '[]int32', '8+')], {
          nullable: '8+',
        }),
      ]),
      field('RequireStable', 'bool', '7+'),
    ],
  }),
  response: message({
    name: 'OffsetFetchResponse',
    apiKey: 9,
    valid: '0-9',
    flexible: '6+',
    fields: [
      field('ThrottleTimeMs', 'int32', '3+'),
      structs('Topics', '0-7', [
        field('Name', 'string', '0-7'),
        structs('Partitions', '0-7', [
          field('PartitionIndex', 'int32', '0-7'),
          field('CommittedOffset', 'int64', '0-7'),
          field('CommittedLeaderEpoch', 'int32', '5-7', { default: -1 }),
          field('Metadata', 'string', '0-7', { nullable: '0-7' }),
          field('ErrorCode', 'int16', '0-7'),
        ]),
      ]),
      field('ErrorCode', 'int16', '2-7'),
      structs('Groups', '8+', [
        field('GroupId', 'string', '8+'),
        structs('Topics', '8+', [
          field('Name', 'string', '8+'),
          structs('Partitions', '8+', [
            field('PartitionIndex', 'int32', '8+'),
            field('CommittedOffset', 'int64', '8+'),
            field('CommittedLeaderEpoch', 'int32', '8+', { default: -1 }),
            field('Metadata', 'string', '8+', { nullable: '8+' }),
            field('ErrorCode', 'int16', '8+'),
          ]),
        ]),
        field('ErrorCode', 'int16', '8+'),
      ]),
    ],
  }),
} satisfies ApiSchema;
