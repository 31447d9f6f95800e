// CreateTopics: v0–7. Behaviour: NumPartitions -1 means the broker default; ReplicationFactor -1 or
// up to the number of brokers is accepted, but each partition keeps one copy (SKIPPED.md); manual
// assignments are refused. Unknown or invalid configs get INVALID_CONFIG with the reason.
import { TopicError } from '../cluster/cluster';
import { ErrorCode } from '../protocol/errors';
import type { Struct } from '../protocol/message-codec';
import { CreateTopicsSchema } from '../protocol/messages/19-create-topics';
import type { ApiHandler } from './api';

interface CreatableTopic {
  Name: string;
  NumPartitions: number;
  ReplicationFactor: number;
  Assignments: unknown[];
  Configs: { Name: string; Value: string | null }[];
}

export const createTopics: ApiHandler = {
  key: 19,
  name: 'CreateTopics',
  schema: CreateTopicsSchema,
  minVersion: 0,
  maxVersion: 7,
  handle(request, context) {
    const { cluster } = context;
    const validateOnly = request.validateOnly === true;
    const topics = request.Topics as CreatableTopic[];
    return {
      ThrottleTimeMs: 0,
      Topics: topics.map((t): Struct => {
        const fail = (code: number, message: string): Struct => ({
          Name: t.Name,
          ErrorCode: code,
          ErrorMessage: message,
          NumPartitions: -1,
          ReplicationFactor: -1,
          Configs: null,
        });
        if (t.Assignments.length > 0)
          return fail(ErrorCode.INVALID_REQUEST, 'manual replica assignments are not supported');
        if (
          t.ReplicationFactor !== -1 &&
          (t.ReplicationFactor < 1 || t.ReplicationFactor > cluster.brokers.length)
        ) {
          return fail(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            `replication factor ${t.ReplicationFactor} is larger than the ${cluster.brokers.length} available broker(s)`,
          );
        }
        try {
          const partitions = t.NumPartitions === -1 ? cluster.defaultPartitions : t.NumPartitions;
          const configs = Object.fromEntries(t.Configs.map((c) => [c.Name, c.Value]));
          const topic = cluster.createTopic(t.Name, partitions, configs, validateOnly);
          return {
            Name: t.Name,
            TopicId: topic.id,
            ErrorCode: ErrorCode.NONE,
            ErrorMessage: null,
            NumPartitions: partitions,
            ReplicationFactor: t.ReplicationFactor === -1 ? 1 : t.ReplicationFactor,
            Configs: Object.entries(topic.configs).map(([Name, Value]) => ({
              Name,
              Value,
              ReadOnly: false,
              ConfigSource: 5,
              IsSensitive: false,
            })),
          };
        } catch (error) {
          if (!(error instanceof TopicError)) throw error;
          return fail(error.code, error.message);
        }
      }),
    };
  },
};
