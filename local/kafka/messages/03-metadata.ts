// Metadata (key 3): v0–12, flexible from v9.
// A null Topics array means "all topics" from v1 (v0 uses an empty array); topic IDs appear in v10 but are only honoured from v12.
import { field, message, structs, type ApiSchema } from '../schema';

export const MetadataSchema = {
  request: message({
    name: 'MetadataRequest',
    apiKey: 3,
    valid: '0-12',
    flexible: '9+',
    fields: [
      structs(
        'Topics',
        '0+',
        [field('TopicId', 'uuid', '10+'), field('Name', 'string', '0+', { nullable: '10+' })],
        {
          nullable: '1+',
        },
      ),
      field('AllowAutoTopicCreation', 'bool', '4+', { default: true }),
      field('IncludeClusterAuthorizedOperations', 'bool', '8-10'),
      field('IncludeTopicAuthorizedOperations', 'bool', '8+'),
    ],
  }),
  response: message({
    name: 'MetadataResponse',
    apiKey: 3,
    valid: '0-12',
    flexible: '9+',
    fields: [
      field('ThrottleTimeMs', 'int32', '3+'),
      structs('Brokers', '0+', [
        field('NodeId', 'int32', '0+'),
        field('Host', 'string', '0+'),
        field('Port', 'int32', '0+'),
        field('Rack', 'string', '1+', { nullable: '1+', default: null }),
      ]),
      field('ClusterId', 'string', '2+', { nullable: '2+', default: null }),
      field('ControllerId', 'int32', '1+', { default: -1 }),
      structs('Topics', '0+', [
        field('ErrorCode', 'int16', '0+'),
        field('Name', 'string', '0+', { nullable: '12+' }),
        field('TopicId', 'uuid', '10+'),
        field('IsInternal', 'bool', '1+'),
        structs('Partitions', '0+', [
          field('ErrorCode', 'int16', '0+'),
          field('PartitionIndex', 'int32', '0+'),
          field('LeaderId', 'int32', '0+'),
          field('LeaderEpoch', 'int32', '7+', { default: -1 }),
          field('ReplicaNodes', '[]int32', '0+'),
          field('IsrNodes', '[]int32', '0+'),
          field('OfflineReplicas', '[]int32', '5+'),
        ]),
        field('TopicAuthorizedOperations', 'int32', '8+', { default: -2147483648 }),
      ]),
      field('ClusterAuthorizedOperations', 'int32', '8-10', { default: -2147483648 }),
    ],
  }),
} satisfies ApiSchema;
