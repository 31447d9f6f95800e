// Metadata: v0–12. Behaviour: every broker of the process; the requested topics (all when the list is
// null, or empty before v1). Invalid topic names get INVALID_TOPIC_EXCEPTION. Unknown topics are
// created when the broker allows it and the client asks (AllowAutoTopicCreation, implied before v4);
// as in Kafka, whose controller creates them asynchronously, the request that creates a topic is
// answered UNKNOWN_TOPIC_OR_PARTITION and the client's next Metadata request finds it. Each partition
// lists its leader and leader epoch, its replicas (stopped ones too), its in-sync replicas and the
// replicas whose brokers are down; one without a live leader answers LEADER_NOT_AVAILABLE, leader -1.
// Brokers lists the live brokers only. On the IAM listener (msk-iam.md §3) an all-topics request leaves
// out the topics the principal may not describe; a named one it may not describe (or auto-create)
// answers TOPIC_AUTHORIZATION_FAILED with no partitions, whether it exists or not.
import { entryDenial, omitted } from '../auth/authorize-request';
import { TopicError, topicNameProblem, type Topic } from '../cluster/cluster';
import { ErrorCode } from '../../kafka/errors';
import { MetadataSchema } from '../../kafka/messages/03-metadata';
import type { ResponseInput } from '../../kafka/schema';
import { endpointOf, type ApiHandler, type RequestContext } from './api';

const UNKNOWN_OPERATIONS = -2147483648;
const ZERO_UUID = Buffer.alloc(16);

type MetadataResponse = ResponseInput<typeof MetadataSchema>;
type TopicResponse = MetadataResponse['Topics'][number];

function describeTopic(topic: Topic): TopicResponse {
  return {
    ErrorCode: ErrorCode.NONE,
    Name: topic.name,
    TopicId: topic.id,
    IsInternal: false,
    Partitions: topic.partitions.map((p): TopicResponse['Partitions'][number] => ({
      ErrorCode: p.leader < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
      PartitionIndex: p.index,
      LeaderId: p.leader,
      LeaderEpoch: p.leaderEpoch,
      ReplicaNodes: [...p.replicas],
      IsrNodes: [...p.isr],
      OfflineReplicas: p.offlineReplicas,
    })),
    TopicAuthorizedOperations: UNKNOWN_OPERATIONS,
  };
}

function unknownTopic(name: string | null, id: Buffer, code: number): TopicResponse {
  return {
    ErrorCode: code,
    Name: name,
    TopicId: id,
    IsInternal: false,
    Partitions: [],
    TopicAuthorizedOperations: UNKNOWN_OPERATIONS,
  };
}

export const metadata: ApiHandler<typeof MetadataSchema> = {
  key: 3,
  name: 'Metadata',
  schema: MetadataSchema,
  minVersion: 0,
  maxVersion: 12,
  handle(request, context: RequestContext): MetadataResponse {
    const { cluster, header } = context;
    const requested = request.Topics;
    const all = requested === null || (header.apiVersion === 0 && requested.length === 0);
    const allowCreate = cluster.autoCreateTopics && (header.apiVersion < 4 || request.AllowAutoTopicCreation);

    const topics: TopicResponse[] = [];
    if (all) {
      for (const t of cluster.topics.values())
        if (!omitted(context, 'topic', t.name)) topics.push(describeTopic(t));
    } else {
      for (const want of requested) {
        if (want.Name === null || want.Name === '') {
          const byId = cluster.topicById(want.TopicId);
          const denied = byId ? entryDenial(context, 'topic', byId.name) : ErrorCode.NONE;
          if (denied !== ErrorCode.NONE) {
            topics.push(unknownTopic(null, want.TopicId, denied));
            continue;
          }
          topics.push(
            byId ? describeTopic(byId) : unknownTopic(null, want.TopicId, ErrorCode.UNKNOWN_TOPIC_ID),
          );
          continue;
        }
        const denied = entryDenial(context, 'topic', want.Name);
        if (denied !== ErrorCode.NONE) {
          topics.push(unknownTopic(want.Name, ZERO_UUID, denied));
          continue;
        }
        const topic = cluster.topics.get(want.Name);
        if (topic) {
          topics.push(describeTopic(topic));
          continue;
        }
        if (topicNameProblem(want.Name)) {
          topics.push(unknownTopic(want.Name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION));
          continue;
        }
        if (allowCreate) {
          try {
            cluster.createTopic(want.Name, -1);
          } catch (error) {
            // Like a creation Kafka's controller refuses (a name collision): the topic stays unknown.
            if (!(error instanceof TopicError)) throw error;
          }
        }
        topics.push(unknownTopic(want.Name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
      }
    }
    return {
      ThrottleTimeMs: 0,
      Brokers: cluster.liveBrokers.map((b): MetadataResponse['Brokers'][number] => {
        const { host, port } = endpointOf(context, b);
        return { NodeId: b.nodeId, Host: host, Port: port, Rack: null };
      }),
      ClusterId: cluster.clusterId,
      ControllerId: (cluster.liveBrokers[0] ?? cluster.brokers[0]).nodeId,
      Topics: topics,
      ClusterAuthorizedOperations: UNKNOWN_OPERATIONS,
    };
  },
};
