/**
 * Raw requests the admin, produce and list-offsets scenarios share, through the project's codec:
 * creating a topic, producing a hand-built batch, asking for an offset, reading stored batches. Each
 * returns the decoded response part a scenario observes, or CLOSED when the broker hung up.
 */
import type { Struct } from '../../local/broker/protocol/message-codec';
import { CreateTopicsSchema } from '../../local/broker/protocol/messages/19-create-topics';
import { DeleteRecordsSchema } from '../../local/broker/protocol/messages/21-delete-records';
import { FetchSchema } from '../../local/broker/protocol/messages/01-fetch';
import { ListOffsetsSchema } from '../../local/broker/protocol/messages/02-list-offsets';
import { MetadataSchema } from '../../local/broker/protocol/messages/03-metadata';
import { ProduceSchema } from '../../local/broker/protocol/messages/00-produce';
import { CLOSED, type Target } from './harness';

/** Fails a scenario's setup step loudly: the observation would be meaningless after it. */
function expectAnswer<T>(answer: T | typeof CLOSED, what: string): T {
  if (answer === CLOSED) throw new Error(`${what}: the broker closed the connection`);
  return answer;
}

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
 * Creates one topic (CreateTopics v5), failing unless the broker answers NONE, and waits until Metadata
 * lists a leader for every partition and each partition answers ListOffsets: Kafka's controller answers
 * before its brokers know the topic, so a request right after creation could otherwise find it unknown.
 */
export async function createTopic(t: Target, name: string, topic: NewTopic = {}): Promise<void> {
  const response = expectAnswer(
    await t.request(CreateTopicsSchema, 5, createTopicsBody({ [name]: topic })),
    `create ${name}`,
  );
  const result = (response.Topics as Struct[])[0];
  if (result.ErrorCode !== 0) throw new Error(`create ${name}: error ${String(result.ErrorCode)}`);
  for (let attempt = 0; attempt < 100; attempt++) {
    const metadata = expectAnswer(
      await t.request(MetadataSchema, 9, {
        Topics: [{ Name: name, TopicId: Buffer.alloc(16) }],
        AllowAutoTopicCreation: false,
        IncludeTopicAuthorizedOperations: false,
      }),
      `metadata of ${name}`,
    );
    const [listed] = metadata.Topics as Struct[];
    const partitions = listed.Partitions as Struct[];
    const led = partitions.length > 0 && partitions.every((p) => (p.LeaderId as number) >= 0);
    // Kafka's broker leads a partition a moment after Metadata names it leader: ask each partition.
    if (listed.ErrorCode === 0 && led && (await everyPartitionAnswers(t, name, partitions.length))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`topic ${name} was created but its partitions did not answer within 5 s`);
}

/** Whether ListOffsets (latest) answers NONE for every partition of `topic`. */
async function everyPartitionAnswers(t: Target, topic: string, partitions: number): Promise<boolean> {
  for (let p = 0; p < partitions; p++) {
    const answer = await listOffsets(t, topic, p, -1n);
    if (answer === CLOSED || answer.ErrorCode !== 0) return false;
  }
  return true;
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
  options: { version?: number; acks?: number } = {},
): Promise<Struct | typeof CLOSED> {
  const response = await t.request(
    ProduceSchema,
    options.version ?? 8,
    produceBody(topic, partition, records, options.acks),
  );
  if (response === CLOSED) return CLOSED;
  return ((response.Responses as Struct[])[0].PartitionResponses as Struct[])[0];
}

/** Produces and fails unless the broker answers NONE; resolves to the base offset. */
export async function produceOk(
  t: Target,
  topic: string,
  partition: number,
  records: Buffer,
): Promise<number> {
  const answer = expectAnswer(await produce(t, topic, partition, records), `produce to ${topic}`);
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

/** ListOffsets for one partition at `version`: that partition's answer. */
export async function listOffsets(
  t: Target,
  topic: string,
  partition: number,
  timestamp: bigint,
  version = 7,
): Promise<Struct | typeof CLOSED> {
  const response = await t.request(ListOffsetsSchema, version, listOffsetsBody(topic, partition, timestamp));
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

/** Fetch v11 from `offset` of one partition, without waiting: that partition's answer. */
export async function fetchPartition(
  t: Target,
  topic: string,
  partition: number,
  offset: bigint,
): Promise<Struct> {
  const response = expectAnswer(
    await t.request(FetchSchema, 11, {
      ReplicaId: -1,
      MaxWaitMs: 0,
      MinBytes: 0,
      MaxBytes: 1 << 20,
      IsolationLevel: 0,
      SessionId: 0,
      SessionEpoch: -1,
      Topics: [
        {
          Topic: topic,
          Partitions: [
            {
              Partition: partition,
              CurrentLeaderEpoch: -1,
              FetchOffset: offset,
              LogStartOffset: -1n,
              PartitionMaxBytes: 1 << 20,
            },
          ],
        },
      ],
      ForgottenTopicsData: [],
      RackId: '',
    }),
    `fetch ${topic}-${partition}`,
  );
  return ((response.Responses as Struct[])[0].Partitions as Struct[])[0];
}
