// Fetch (key 1): v4–17, flexible from v12.
// Topics are named up to v12 and identified by topic id from v13; v12 brings the tagged ClusterId and
// per-partition epoch fields. v14 only adds an error (OFFSET_MOVED_TO_TIERED_STORAGE); v15 moves the
// replica id into the tagged ReplicaState; v16 adds the tagged NodeEndpoints of the leaders named in
// CurrentLeader; v17 adds each partition's tagged ReplicaDirectoryId.
import { field, message, struct, structs, type ApiSchema } from '../schema';

export const FetchSchema = {
  request: message({
    name: 'FetchRequest',
    apiKey: 1,
    valid: '4-17',
    flexible: '12+',
    fields: [
      field('ClusterId', 'string', '12+', { nullable: '12+', tag: 0, tagged: '12+', default: null }),
      field('ReplicaId', 'int32', '0-14', { default: -1 }),
      struct(
        'ReplicaState',
        '15+',
        [
          field('ReplicaId', 'int32', '15+', { default: -1 }),
          field('ReplicaEpoch', 'int64', '15+', { default: -1n }),
        ],
        { tag: 1, tagged: '15+' },
      ),
      field('MaxWaitMs', 'int32', '0+'),
      field('MinBytes', 'int32', '0+'),
      field('MaxBytes', 'int32', '3+', { default: 2147483647 }),
      field('IsolationLevel', 'int8', '4+'),
      field('SessionId', 'int32', '7+'),
      field('SessionEpoch', 'int32', '7+', { default: -1 }),
      structs('Topics', '0+', [
        field('Topic', 'string', '0-12'),
        field('TopicId', 'uuid', '13+'),
        structs('Partitions', '0+', [
          field('Partition', 'int32', '0+'),
          field('CurrentLeaderEpoch', 'int32', '9+', { default: -1 }),
          field('FetchOffset', 'int64', '0+'),
          field('LastFetchedEpoch', 'int32', '12+', { default: -1 }),
          field('LogStartOffset', 'int64', '5+', { default: -1n }),
          field('PartitionMaxBytes', 'int32', '0+'),
          field('ReplicaDirectoryId', 'uuid', '17+', { tag: 0, tagged: '17+' }),
        ]),
      ]),
      structs('ForgottenTopicsData', '7+', [
        field('Topic', 'string', '7-12'),
        field('TopicId', 'uuid', '13+'),
        field('Partitions', '[]int32', '7+'),
      ]),
      field('RackId', 'string', '11+'),
    ],
  }),
  response: message({
    name: 'FetchResponse',
    apiKey: 1,
    valid: '4-17',
    flexible: '12+',
    fields: [
      field('ThrottleTimeMs', 'int32', '1+'),
      field('ErrorCode', 'int16', '7+'),
      field('SessionId', 'int32', '7+'),
      structs('Responses', '0+', [
        field('Topic', 'string', '0-12'),
        field('TopicId', 'uuid', '13+'),
        structs('Partitions', '0+', [
          field('PartitionIndex', 'int32', '0+'),
          field('ErrorCode', 'int16', '0+'),
          field('HighWatermark', 'int64', '0+'),
          field('LastStableOffset', 'int64', '4+', { default: -1n }),
          field('LogStartOffset', 'int64', '5+', { default: -1n }),
          struct(
            'DivergingEpoch',
            '12+',
            [
              field('Epoch', 'int32', '12+', { default: -1 }),
              field('EndOffset', 'int64', '12+', { default: -1n }),
            ],
            { tag: 0, tagged: '12+' },
          ),
          struct(
            'CurrentLeader',
            '12+',
            [
              field('LeaderId', 'int32', '12+', { default: -1 }),
              field('LeaderEpoch', 'int32', '12+', { default: -1 }),
            ],
            { tag: 1, tagged: '12+' },
          ),
          struct(
            'SnapshotId',
            '12+',
            [
              field('EndOffset', 'int64', '0+', { default: -1n }),
              field('Epoch', 'int32', '0+', { default: -1 }),
            ],
            { tag: 2, tagged: '12+' },
          ),
          structs(
            'AbortedTransactions',
            '4+',
            [field('ProducerId', 'int64', '4+'), field('FirstOffset', 'int64', '4+')],
            {
              nullable: '4+',
            },
          ),
          field('PreferredReadReplica', 'int32', '11+', { default: -1 }),
          field('Records', 'records', '0+', { nullable: '0+' }),
        ]),
      ]),
      structs(
        'NodeEndpoints',
        '16+',
        [
          field('NodeId', 'int32', '16+'),
          field('Host', 'string', '16+'),
          field('Port', 'int32', '16+'),
          field('Rack', 'string', '16+', { nullable: '16+', default: null }),
        ],
        { tag: 0, tagged: '16+' },
      ),
    ],
  }),
} satisfies ApiSchema;
