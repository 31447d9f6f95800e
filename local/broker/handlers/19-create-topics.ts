// CreateTopics: v0–7. Behaviour: each topic is checked as Kafka's controller checks it (name, a name
// colliding over '.' versus '_', existence, configs, replication factor, partitions, in that order);
// NumPartitions and ReplicationFactor -1 mean the broker defaults (the replication factor's is
// min(3, brokers), as a three-broker MSK cluster's default.replication.factor); each partition gets its
// replicas on that many live brokers; manual assignments are refused. A name given twice in one request gets one INVALID_REQUEST answer and is not created.
import { TopicError } from '../cluster/cluster';
import { entryDenial } from '../auth/authorize-request';
import { ErrorCode } from '../../kafka/errors';
import { CreateTopicsSchema } from '../../kafka/messages/19-create-topics';
import type { ResponseInput } from '../../kafka/schema';
import type { ApiHandler } from './api';

type CreateTopicsResponse = ResponseInput<typeof CreateTopicsSchema>;
type TopicResult = CreateTopicsResponse['Topics'][number];

/** The topic id of a topic that was not created, as Kafka answers it. */
const NO_TOPIC_ID = Buffer.alloc(16);
const SOURCE_TOPIC = 1;
const SOURCE_DEFAULT = 5;

/** The answer for a topic that was not created. */
function failure(name: string, code: number, message: string): TopicResult {
  return {
    Name: name,
    TopicId: NO_TOPIC_ID,
    ErrorCode: code,
    ErrorMessage: message,
    NumPartitions: -1,
    ReplicationFactor: -1,
    Configs: null,
  };
}

export const createTopics: ApiHandler<typeof CreateTopicsSchema> = {
  key: 19,
  name: 'CreateTopics',
  schema: CreateTopicsSchema,
  minVersion: 0,
  maxVersion: 7,
  handle(request, context): CreateTopicsResponse {
    const { cluster } = context;
    const validateOnly = request.validateOnly;
    const topics = request.Topics;
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    for (const t of topics) (seen.has(t.Name) ? duplicates : seen).add(t.Name);
    const results = topics
      .filter((t) => !duplicates.has(t.Name))
      .map((t): TopicResult => {
        const denied = entryDenial(context, 'topic', t.Name);
        if (denied !== ErrorCode.NONE) return failure(t.Name, denied, 'Authorization failed.');
        if (t.Assignments.length > 0)
          return failure(t.Name, ErrorCode.INVALID_REQUEST, 'manual replica assignments are not supported');
        try {
          const configs = Object.fromEntries(t.Configs.map((c) => [c.Name, c.Value]));
          const topic = cluster.createTopic(t.Name, t.NumPartitions, configs, {
            validateOnly,
            replicationFactor: t.ReplicationFactor,
          });
          return {
            Name: t.Name,
            TopicId: topic.id,
            ErrorCode: ErrorCode.NONE,
            ErrorMessage: null,
            NumPartitions: t.NumPartitions === -1 ? cluster.defaultPartitions : t.NumPartitions,
            ReplicationFactor:
              t.ReplicationFactor === -1 ? cluster.defaultReplicationFactor : t.ReplicationFactor,
            Configs: Object.entries(topic.configs).map(
              ([Name, Value]): NonNullable<TopicResult['Configs']>[number] => ({
                Name,
                Value,
                ReadOnly: false,
                ConfigSource: topic.overrides.has(Name) ? SOURCE_TOPIC : SOURCE_DEFAULT,
                IsSensitive: false,
              }),
            ),
          };
        } catch (error) {
          if (!(error instanceof TopicError)) throw error;
          return failure(t.Name, error.code, error.message);
        }
      });
    for (const name of duplicates)
      results.push(failure(name, ErrorCode.INVALID_REQUEST, `topic ${name} is named more than once`));
    return { ThrottleTimeMs: 0, Topics: results };
  },
};
