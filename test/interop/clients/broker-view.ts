/**
 * What the embedded broker holds, read without the client under test, so a client's own report is
 * checked against the broker: end offsets and committed offsets through kafkajs's admin, record batch
 * headers (producer id and sequence, which show whether a producer was idempotent) through raw Fetch
 * requests, and the partition Kafka's default partitioner picks for a key.
 */
import { Kafka, logLevel, Partitioners, type Admin } from 'kafkajs';
import { parseBatches } from '../../../local/kafka/record-batch';
import { FetchSchema } from '../../../local/kafka/messages/01-fetch';
import { decodeResponse } from '../../../local/kafka/response-frame';
import { fetchRequest, RawConnection } from '../../support/raw-kafka';

const defaultPartitioner = Partitioners.DefaultPartitioner();

/**
 * The partition the Java client's default partitioner (murmur2 of the key, which kafkajs's default
 * partitioner also computes) gives `key` in a topic of `partitions` partitions. librdkafka's
 * murmur2_random, franz-go's default and the console producer all agree with it.
 */
export function keyPartition(key: string, partitions: number): number {
  return defaultPartitioner({
    topic: 'any',
    partitionMetadata: Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 1,
      replicas: [1],
      isr: [1],
      partitionErrorCode: 0,
    })),
    message: { key, value: null },
  });
}

/**
 * Where a partitioner-correct broker stores records sent in this order with these keys to a topic of
 * `partitions` partitions: the partition each key hashes to, and the next offset there.
 */
export function placements(
  keys: readonly string[],
  partitions: number,
): { partition: number; offset: number }[] {
  const next = new Map<number, number>();
  return keys.map((key) => {
    const partition = keyPartition(key, partitions);
    const offset = next.get(partition) ?? 0;
    next.set(partition, offset + 1);
    return { partition, offset };
  });
}

/** Runs `work` with a connected kafkajs admin client. */
export async function withAdmin<T>(bootstrap: string, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Each partition's end offset (high watermark), by partition index. */
export function endOffsets(bootstrap: string, topic: string): Promise<number[]> {
  return withAdmin(bootstrap, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
  });
}

/** The offsets `group` has committed on `topic`, by partition index (-1 where none). */
export function committedOffsets(bootstrap: string, group: string, topic: string): Promise<number[]> {
  return withAdmin(bootstrap, async (admin) => {
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return committed.partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
  });
}

/** The cluster's brokers by id, with the address each is reached at. */
export function clusterNodes(bootstrap: string): Promise<{ id: number; host: string; port: number }[]> {
  return withAdmin(bootstrap, async (admin) =>
    (await admin.describeCluster()).brokers
      .sort((a, b) => a.nodeId - b.nodeId)
      .map((b) => ({ id: b.nodeId, host: b.host, port: b.port })),
  );
}

/**
 * The topic's partitions by index, each with its leader, as the leader's only replica and in-sync
 * replica: what a broker without replication holds.
 */
export function unreplicatedPartitions(
  bootstrap: string,
  topic: string,
): Promise<{ partition: number; leader: number; replicas: number[]; isr: number[] }[]> {
  return withAdmin(bootstrap, async (admin) =>
    (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions
      .sort((a, b) => a.partitionId - b.partitionId)
      .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: [p.leader], isr: [p.leader] })),
  );
}

export interface StoredBatch {
  readonly partition: number;
  readonly baseOffset: number;
  readonly recordCount: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
}

/** The headers of every record batch stored in `topic`, fetched from each partition's leader. */
export async function storedBatches(bootstrap: string, topic: string): Promise<StoredBatch[]> {
  const { leaders, brokers } = await withAdmin(bootstrap, async (admin) => {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const cluster = await admin.describeCluster();
    return { leaders: metadata.topics[0].partitions, brokers: cluster.brokers };
  });
  const batches: StoredBatch[] = [];
  for (const { partitionId, leader } of leaders) {
    const broker = brokers.find((b) => b.nodeId === leader)!;
    const connection = await RawConnection.open(broker.port, broker.host);
    try {
      connection.write(fetchRequest(topic, 0n, { partition: partitionId }));
      const frame = await connection.response();
      if (!frame) throw new Error(`broker ${leader} closed the connection instead of answering a fetch`);
      const { body } = decodeResponse(FetchSchema, 11, frame);
      const [answer] = (
        body.Responses as { Partitions: { ErrorCode: number; Records: Buffer | null }[] }[]
      )[0].Partitions;
      if (answer.ErrorCode !== 0)
        throw new Error(`fetch ${topic}[${partitionId}]: error ${answer.ErrorCode}`);
      for (const batch of parseBatches(answer.Records ?? Buffer.alloc(0))) {
        batches.push({
          partition: partitionId,
          baseOffset: Number(batch.bytes.readBigInt64BE(0)),
          recordCount: batch.recordCount,
          producerId: batch.producerId,
          producerEpoch: batch.producerEpoch,
          baseSequence: batch.baseSequence,
        });
      }
    } finally {
      connection.end();
    }
  }
  return batches;
}

/**
 * Whether the batches are what idempotent producers write: each carries a producer id, and each
 * producer's sequence numbers in a partition start at 0 and run on without a gap or a repeat. Returns
 * the problems found.
 */
export function idempotenceProblems(batches: readonly StoredBatch[]): string[] {
  const problems: string[] = [];
  const nextSequence = new Map<string, number>();
  for (const b of [...batches].sort((x, y) => x.partition - y.partition || x.baseOffset - y.baseOffset)) {
    const at = `partition ${b.partition} offset ${b.baseOffset}`;
    if (b.producerId < 0n) problems.push(`${at}: no producer id`);
    const producer = `${b.partition}/${b.producerId}`;
    const expected = nextSequence.get(producer) ?? 0;
    if (b.baseSequence !== expected) problems.push(`${at}: sequence ${b.baseSequence}, expected ${expected}`);
    nextSequence.set(producer, b.baseSequence + b.recordCount);
  }
  return problems;
}
