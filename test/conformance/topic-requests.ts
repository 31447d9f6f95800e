/**
 * Raw requests the scenarios share, through the project's codec: creating a topic and waiting until it
 * is served, producing a hand-built batch, asking for an offset, deleting records. Each returns the
 * decoded response part a scenario observes, or CLOSED when the broker hung up; the `…Ok`/`…Before`
 * setup steps throw unless the broker answers NONE.
 */
import type { Struct } from '../../local/kafka/message-codec';
import { CreateTopicsSchema } from '../../local/kafka/messages/19-create-topics';
import { DeleteRecordsSchema } from '../../local/kafka/messages/21-delete-records';
import { ListOffsetsSchema } from '../../local/kafka/messages/02-list-offsets';
import { MetadataSchema } from '../../local/kafka/messages/03-metadata';
import { ProduceSchema } from '../../local/kafka/messages/00-produce';
import { until } from '../support/until';
import { answered, CLOSED, type Target } from './harness';

/** ListOffsets' timestamp for the latest offset. */
const LATEST = -1n;

export interface NewTopic {
  readonly partitions?: number;
  readonly replicationFactor?: number;
  readonly configs?: Readonly<Record<string, string | null>>;
}

/** A CreateTopics request body for `topics` (name → settings). */
export function createTopicsBody(
  topics: Readonly<Record<string, NewTopic>>,
  options: { validateOnly?: boolean } = {},
): Struct {
  return {
    Topics: Object.entries(topics).map(([name, t]) => ({
      Name: name,
      NumPartitions: t.partitions ?? 1,
      ReplicationFactor: t.replicationFactor ?? 1,
      Assignments: [],
      Configs: Object.entries(t.configs ?? {}).map(([Name, Value]) => ({ Name, Value })),
    })),
    timeoutMs: 30_000,
    validateOnly: options.validateOnly ?? false,
  };
}

/**
 * Creates one topic (CreateTopics v5), failing unless the broker answers NONE, and resolves to its id
 * once every broker's Metadata names a leader for each partition and each leader answers ListOffsets
 * for it: Kafka's controller answers before its brokers know the topic, each broker learns of it in
 * its own time, and a broker leads a partition a moment after Metadata names it leader.
 */
export async function createTopic(t: Target, name: string, topic: NewTopic = {}): Promise<Buffer> {
  const response = answered(
    await t.request(CreateTopicsSchema, 5, createTopicsBody({ [name]: topic })),
    `create ${name}`,
  );
  const result = (response.Topics as Struct[])[0];
  if (result.ErrorCode !== 0) throw new Error(`create ${name}: error ${String(result.ErrorCode)}`);
  // A count of -1 takes the broker's default: then any number of partitions will do.
  const expected = topic.partitions ?? 1;
  let described: Struct = {};
  for (let node = 1; node <= t.nodeIds.length; node++) {
    described = await until(async () => {
      const metadata = await describeTopic(t, name, node);
      const partitions = metadata.Partitions as Struct[];
      const led = partitions.filter((p) => (p.LeaderId as number) >= 0);
      const all = expected > 0 ? partitions.length === expected : partitions.length > 0;
      return metadata.ErrorCode === 0 && all && led.length === partitions.length && metadata;
    }, `leaders for ${name} on ${t.name} broker ${node}`);
  }
  for (const p of described.Partitions as Struct[]) {
    const partition = p.PartitionIndex as number;
    const leader = t.nodeIds.indexOf(p.LeaderId as number) + 1;
    await until(async () => {
      const answer = await listOffsets(t, name, partition, LATEST, 7, leader);
      return answer !== CLOSED && answer.ErrorCode === 0;
    }, `${name}-${partition} served by its leader on ${t.name}`);
  }
  return described.TopicId as Buffer;
}

/** Metadata (v12) of one topic, as broker `node` (1-based) knows it. */
export async function describeTopic(t: Target, name: string, node = 1): Promise<Struct> {
  const metadata = answered(
    await t.request(
      MetadataSchema,
      12,
      { Topics: [{ TopicId: Buffer.alloc(16), Name: name }], AllowAutoTopicCreation: false },
      node,
    ),
    `metadata of ${name}`,
  );
  return (metadata.Topics as Struct[])[0];
}

/** The broker (1-based, as Target.connect takes it) that leads a partition. */
async function leaderBroker(t: Target, topic: string, partition: number): Promise<number> {
  const p = ((await describeTopic(t, topic)).Partitions as Struct[]).find(
    (x) => x.PartitionIndex === partition,
  );
  if (!p) throw new Error(`${topic} has no partition ${partition}`);
  return t.nodeIds.indexOf(p.LeaderId as number) + 1;
}

/** A Produce request body putting `records` into one partition. */
export function produceBody(topic: string, partition: number, records: Buffer | null, acks = -1): Struct {
  return {
    TransactionalId: null,
    Acks: acks,
    TimeoutMs: 10_000,
    TopicData: [{ Name: topic, PartitionData: [{ Index: partition, Records: records }] }],
  };
}

/** Produces `records` to one partition and resolves to that partition's response. */
export async function produce(
  t: Target,
  topic: string,
  partition: number,
  records: Buffer | null,
  options: { version?: number; acks?: number; node?: number } = {},
): Promise<Struct | typeof CLOSED> {
  const response = await t.request(
    ProduceSchema,
    options.version ?? 8,
    produceBody(topic, partition, records, options.acks),
    options.node,
  );
  if (response === CLOSED) return CLOSED;
  return ((response.Responses as Struct[])[0].PartitionResponses as Struct[])[0];
}

/**
 * Produces (acks all) to the partition's leader and fails unless it answers NONE; resolves to the base
 * offset.
 */
export async function produceOk(
  t: Target,
  topic: string,
  partition: number,
  records: Buffer,
): Promise<number> {
  const node = t.nodeIds.length > 1 ? await leaderBroker(t, topic, partition) : 1;
  const answer = answered(await produce(t, topic, partition, records, { node }), `produce to ${topic}`);
  if (answer.ErrorCode !== 0) throw new Error(`produce to ${topic}: error ${String(answer.ErrorCode)}`);
  return Number(answer.BaseOffset);
}

/** A ListOffsets request body for one partition. */
export function listOffsetsBody(
  topic: string,
  partition: number,
  timestamp: bigint,
  maxNumOffsets = 1,
): Struct {
  return {
    ReplicaId: -1,
    IsolationLevel: 0,
    Topics: [
      {
        Name: topic,
        Partitions: [
          {
            PartitionIndex: partition,
            CurrentLeaderEpoch: -1,
            Timestamp: timestamp,
            MaxNumOffsets: maxNumOffsets,
          },
        ],
      },
    ],
  };
}

/** ListOffsets for one partition at `version`, sent to broker `node`: that partition's answer. */
export async function listOffsets(
  t: Target,
  topic: string,
  partition: number,
  timestamp: bigint,
  version = 7,
  node = 1,
): Promise<Struct | typeof CLOSED> {
  const response = await t.request(
    ListOffsetsSchema,
    version,
    listOffsetsBody(topic, partition, timestamp),
    node,
  );
  if (response === CLOSED) return CLOSED;
  return ((response.Topics as Struct[])[0].Partitions as Struct[])[0];
}

/** DeleteRecords before `offset` in one partition (v1): that partition's answer. */
export async function deleteRecords(
  t: Target,
  topic: string,
  partition: number,
  offset: bigint,
  version = 1,
): Promise<Struct | typeof CLOSED> {
  const response = await t.request(DeleteRecordsSchema, version, {
    Topics: [{ Name: topic, Partitions: [{ PartitionIndex: partition, Offset: offset }] }],
    TimeoutMs: 10_000,
  });
  if (response === CLOSED) return CLOSED;
  return ((response.Topics as Struct[])[0].Partitions as Struct[])[0];
}

/** DeleteRecords below `offset` (v1); fails the scenario unless the broker answers NONE. */
export async function deleteRecordsBefore(
  t: Target,
  topic: string,
  partition: number,
  offset: number,
): Promise<void> {
  const answer = answered(
    await deleteRecords(t, topic, partition, BigInt(offset)),
    `delete records of ${topic}`,
  );
  if (answer.ErrorCode !== 0)
    throw new Error(`delete records of ${topic}: error ${String(answer.ErrorCode)}`);
}
