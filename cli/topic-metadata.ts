/**
 * A topic's partitions as Metadata reports them (leader, replicas, in-sync and offline replicas), for
 * `kw topics describe`. kafkajs refuses a whole Metadata answer in which any partition has no leader
 * (LEADER_NOT_AVAILABLE: Kafka's answer for a partition whose in-sync replicas are all down), so on a
 * plaintext cluster that answer is read with kw's own Kafka client instead: an offline partition then
 * shows as one rather than as an error. So is it when kafkajs cannot reach a broker Metadata lists.
 */
import type { Admin } from 'kafkajs';
import { ErrorCode } from '../local/kafka/errors';
import { MetadataSchema } from '../local/kafka/messages/03-metadata';
import { WireClient } from '../local/runtime/kafka/wire-client';
import { plaintextBootstrap, type ConnectionFlags } from './kafka-connection';

export interface PartitionReplicas {
  readonly partitionId: number;
  /** -1 while the partition has no leader. */
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** Replicas on brokers that are down. */
  readonly offlineReplicas: readonly number[];
}

/** kafkajs errors carry Kafka's error name in `type`; its retrier wraps the last one as the `cause`. */
export function kafkaErrorType(error: unknown): string | undefined {
  const e = error as { type?: string; errors?: { type?: string }[]; cause?: { type?: string } };
  return e.type ?? e.errors?.[0]?.type ?? e.cause?.type;
}

/**
 * Metadata v8 (OfflineReplicas) for some topics, or every topic (`names` null), from the first
 * bootstrap address that answers: each existing topic's partitions, by name.
 */
async function wireMetadata(
  servers: readonly string[],
  names: readonly string[] | null,
): Promise<Map<string, PartitionReplicas[]>> {
  let lastError: unknown;
  for (const address of servers) {
    let client: WireClient | undefined;
    try {
      client = await WireClient.open(address, 'kw-topics', 3000);
      const res = await client.request(
        MetadataSchema,
        8,
        { Topics: names && names.map((Name) => ({ Name })), AllowAutoTopicCreation: false },
        5000,
      );
      const topics = new Map<string, PartitionReplicas[]>();
      for (const topic of res.Topics) {
        if (topic.ErrorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || topic.Name === null) continue;
        const partitions = topic.Partitions.map((p) => ({
          partitionId: p.PartitionIndex,
          leader: p.LeaderId,
          replicas: p.ReplicaNodes,
          isr: p.IsrNodes,
          offlineReplicas: p.OfflineReplicas,
        }));
        topics.set(
          topic.Name,
          partitions.sort((x, y) => x.partitionId - y.partitionId),
        );
      }
      return topics;
    } catch (error) {
      lastError = error;
    } finally {
      client?.close();
    }
  }
  throw lastError;
}

/**
 * The broker address of a connection kafkajs could not make or keep (refused, timed out, closed),
 * found on the error or on the retrier's last cause; undefined for any other error.
 */
export function unansweredBroker(error: unknown): string | undefined {
  let e = error as { name?: string; broker?: string; cause?: unknown } | undefined;
  while (e) {
    if (e.name === 'KafkaJSConnectionError') return e.broker ?? 'a listed address';
    e = e.cause as typeof e;
  }
  return undefined;
}

/**
 * Runs `withKafkajs`; on a plaintext cluster, answers with `withWire` from kw's own Metadata request
 * to the bootstrap addresses instead when kafkajs refused a Metadata answer for a partition without a
 * leader, or could not reach a broker that answer listed (kafkajs asks any listed broker, and one
 * stopped a moment ago stays listed until the cluster fences it).
 */
async function wireFallback<T>(
  flags: ConnectionFlags,
  withKafkajs: () => Promise<T>,
  withWire: (servers: readonly string[]) => Promise<T>,
): Promise<T> {
  try {
    return await withKafkajs();
  } catch (error) {
    const servers = plaintextBootstrap(flags);
    const leaderless = kafkaErrorType(error) === 'LEADER_NOT_AVAILABLE';
    if ((!leaderless && unansweredBroker(error) === undefined) || !servers) throw error;
    return withWire(servers);
  }
}

/** Every topic's name, internal ones (`__...`) included. */
export function topicNames(admin: Admin, flags: ConnectionFlags): Promise<string[]> {
  return wireFallback(
    flags,
    () => admin.listTopics(),
    async (servers) => [...(await wireMetadata(servers, null)).keys()],
  );
}

/** The partitions of topic `name`, by partition id; undefined when there is no such topic. */
export function topicPartitions(
  admin: Admin,
  flags: ConnectionFlags,
  name: string,
): Promise<PartitionReplicas[] | undefined> {
  return wireFallback(
    flags,
    async () => {
      if (!(await admin.listTopics()).includes(name)) return undefined;
      const [meta] = (await admin.fetchTopicMetadata({ topics: [name] })).topics;
      return meta.partitions
        .map((p) => ({
          partitionId: p.partitionId,
          leader: p.leader,
          replicas: p.replicas,
          isr: p.isr,
          offlineReplicas: p.offlineReplicas ?? [],
        }))
        .sort((a, b) => a.partitionId - b.partitionId);
    },
    async (servers) => (await wireMetadata(servers, [name])).get(name),
  );
}
