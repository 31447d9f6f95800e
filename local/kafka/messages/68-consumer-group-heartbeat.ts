// ConsumerGroupHeartbeat (key 68): v0–1, flexible from v0 — the KIP-848 consumer group protocol.
// v1 adds SubscribedTopicRegex (and has the client generate its member id).
import { field, message, struct, structs, type ApiSchema } from '../schema';

/** Partitions by topic id: what a member owns (request) or is assigned (response). */
const topicPartitionFields = () => [field('TopicId', 'uuid', '0+'), field('Partitions', '[]int32', '0+')];

export const ConsumerGroupHeartbeatSchema = {
  request: message({
    name: 'ConsumerGroupHeartbeatRequest',
    apiKey: 68,
    valid: '0-1',
    flexible: '0+',
    fields: [
      field('GroupId', 'string', '0+'),
      field('MemberId', 'string', '0+'),
      field('MemberEpoch', 'int32', '0+'),
      field('InstanceId', 'string', '0+', { nullable: '0+', default: null }),
      field('RackId', 'string', '0+', { nullable: '0+', default: null }),
      field('RebalanceTimeoutMs', 'int32', '0+', { default: -1 }),
      field('SubscribedTopicNames', '[]string', '0+', { nullable: '0+', default: null }),
      field('SubscribedTopicRegex', 'string', '1+', { nullable: '1+', default: null }),
      field('ServerAssignor', 'string', '0+', { nullable: '0+', default: null }),
      structs('TopicPartitions', '0+', topicPartitionFields(), { nullable: '0+', default: null }),
    ],
  }),
  response: message({
    name: 'ConsumerGroupHeartbeatResponse',
    apiKey: 68,
    valid: '0-1',
    flexible: '0+',
    fields: [
      field('ThrottleTimeMs', 'int32', '0+'),
      field('ErrorCode', 'int16', '0+'),
      field('ErrorMessage', 'string', '0+', { nullable: '0+', default: null }),
      field('MemberId', 'string', '0+', { nullable: '0+', default: null }),
      field('MemberEpoch', 'int32', '0+'),
      field('HeartbeatIntervalMs', 'int32', '0+'),
      struct('Assignment', '0+', [structs('TopicPartitions', '0+', topicPartitionFields())], {
        nullable: '0+',
        default: null,
      }),
    ],
  }),
} satisfies ApiSchema;
