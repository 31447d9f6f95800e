// ConsumerGroupHeartbeat: v0–1. Behaviour: the KIP-848 consumer group protocol is not implemented, so
// every heartbeat is answered UNSUPPORTED_VERSION, as Apache Kafka answers when that protocol is
// disabled. The API is advertised so that clients asking for it stop at once: without it, librdkafka
// (group.protocol=consumer) waits for a coordinator forever; with this answer it raises a fatal error,
// the Java client fails its poll, and franz-go (ServerSideBalancer) falls back to the classic protocol.
import { requestDenial } from '../auth/authorize-request';
import { ErrorCode } from '../../kafka/errors';
import { ConsumerGroupHeartbeatSchema } from '../../kafka/messages/68-consumer-group-heartbeat';
import type { ResponseInput } from '../../kafka/schema';
import type { ApiHandler } from './api';

/** What a client asking for the consumer group protocol is told (the Java client shows it). */
export const CONSUMER_PROTOCOL_UNSUPPORTED =
  'the embedded Kafka broker (kw) does not support the consumer group protocol (KIP-848): ' +
  'use group.protocol=classic';

export const consumerGroupHeartbeat: ApiHandler<typeof ConsumerGroupHeartbeatSchema> = {
  key: 68,
  name: 'ConsumerGroupHeartbeat',
  schema: ConsumerGroupHeartbeatSchema,
  minVersion: 0,
  maxVersion: 1,
  handle(_request, context): ResponseInput<typeof ConsumerGroupHeartbeatSchema> {
    // On the IAM listener a group without AlterGroup is refused first (30), as Kafka would.
    const denied = requestDenial(context);
    return {
      ThrottleTimeMs: 0,
      ErrorCode: denied !== ErrorCode.NONE ? denied : ErrorCode.UNSUPPORTED_VERSION,
      ErrorMessage: denied !== ErrorCode.NONE ? null : CONSUMER_PROTOCOL_UNSUPPORTED,
      MemberId: null,
      MemberEpoch: 0,
      HeartbeatIntervalMs: 0,
      Assignment: null,
    };
  },
};
