/**
 * Raw requests the fetch scenarios build on, through the project's codec: a topic whose partitions
 * have a leader, batches of a known size produced into it, records deleted below an offset, and a
 * Fetch at any version with what a consumer observes of its answer (batches by base offset, not
 * bytes, since a broker may end a fetch inside a batch that clients then ignore).
 */
import { crc32c } from '../../local/broker/log/crc32c';
import type { Struct } from '../../local/broker/protocol/message-codec';
import { ProduceSchema } from '../../local/broker/protocol/messages/00-produce';
import { FetchSchema } from '../../local/broker/protocol/messages/01-fetch';
import { MetadataSchema } from '../../local/broker/protocol/messages/03-metadata';
import { CreateTopicsSchema } from '../../local/broker/protocol/messages/19-create-topics';
import { DeleteRecordsSchema } from '../../local/broker/protocol/messages/21-delete-records';
import { Writer } from '../../local/broker/protocol/primitives';
import { until } from '../support/until';
import { CLOSED, type Target } from './harness';

/** The decoded answer, or an error naming the setup step the scenario could not get past. */
function answered(response: Struct | typeof CLOSED, what: string): Struct {
  if (response === CLOSED) throw new Error(`${what}: the broker closed the connection`);
  return response;
}

/**
 * Creates a topic and waits until its leaders serve every partition (Apache Kafka accepts CreateTopics
 * before its brokers lead the new partitions). Resolves to the topic id.
 */
export async function createTopicWithLeaders(t: Target, name: string, partitions = 1): Promise<Buffer> {
  const created = answered(
    await t.request(CreateTopicsSchema, 4, {
      Topics: [{ Name: name, NumPartitions: partitions, ReplicationFactor: 1, Assignments: [], Configs: [] }],
      timeoutMs: 30_000,
    }),
    `create ${name}`,
  );
  const code = (created.Topics as Struct[])[0].ErrorCode;
  if (code !== 0) throw new Error(`create ${name}: error ${String(code)}`);
  // Every broker's metadata must know the topic and its leaders (each learns of it on its own time).
  let leaders: Struct = {};
  for (let broker = 1; broker <= t.nodeIds.length; broker++) {
    leaders = await until(async () => {
      const topic = await describeTopic(t, name, broker);
      const led = (topic.Partitions as Struct[]).filter((p) => (p.LeaderId as number) >= 0);
      return topic.ErrorCode === 0 && led.length === partitions && topic;
    }, `leaders for ${name} on ${t.name} broker ${broker}`);
  }
  // Kafka's metadata cache names a leader a moment before that broker serves the partition.
  for (const p of leaders.Partitions as Struct[]) {
    const partition = p.PartitionIndex as number;
    const spec = { version: 12, minBytes: 0, partitions: [{ topic: name, partition, offset: 0 }] };
    await until(async () => {
      const response = answered(
        await t.request(FetchSchema, 12, fetchBody(spec), t.nodeIds.indexOf(p.LeaderId as number) + 1),
        `fetch from ${name}`,
      );
      return ((response.Responses as Struct[])[0].Partitions as Struct[])[0].ErrorCode === 0;
    }, `${name}-${partition} served by its leader on ${t.name}`);
  }
  const topicId = leaders.TopicId as Buffer;
  return topicId;
}

/** Metadata (v12) of one topic, as broker `node` (1-based) knows it. */
async function describeTopic(t: Target, name: string, node = 1): Promise<Struct> {
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

/**
 * A v2 batch of `records` uncompressed records whose values are `valueBytes` long, so a scenario
 * knows every batch's size (Produce takes one batch per partition and request).
 */
export function sizedBatch(valueBytes: number, records = 1): Buffer {
  const value = Buffer.alloc(valueBytes, 'x');
  const body = Buffer.concat(
    Array.from({ length: records }, (_, offsetDelta) => {
      const record = new Writer().int8(0).varlong(0n).varint(offsetDelta).varint(-1);
      record.varint(value.length).raw(value).varint(0);
      const bytes = record.toBuffer();
      return new Writer().varint(bytes.length).raw(bytes).toBuffer();
    }),
  );
  const header = new Writer()
    .int64(0n)
    .int32(49 + body.length)
    .int32(-1)
    .int8(2)
    .uint32(0)
    .int16(0)
    .int32(records - 1)
    .int64(BATCH_TIMESTAMP)
    .int64(BATCH_TIMESTAMP)
    .int64(-1n)
    .int16(-1)
    .int32(-1)
    .int32(records);
  const batch = Buffer.concat([header.toBuffer(), body]);
  batch.writeUInt32BE(crc32c(batch, 21), 17);
  return batch;
}

/** Every scenario batch has the same create time, so no observation depends on the clock. */
const BATCH_TIMESTAMP = 1_700_000_000_000n;

/** Produces one batch (acks all) to the partition's leader and resolves to its base offset. */
export async function produceBatch(
  t: Target,
  topic: string,
  partition: number,
  records: Buffer,
): Promise<number> {
  const response = answered(
    await t.request(
      ProduceSchema,
      7,
      {
        TransactionalId: null,
        Acks: -1,
        TimeoutMs: 10_000,
        TopicData: [{ Name: topic, PartitionData: [{ Index: partition, Records: records }] }],
      },
      t.nodeIds.length > 1 ? await leaderBroker(t, topic, partition) : 1,
    ),
    `produce to ${topic}`,
  );
  const answer = ((response.Responses as Struct[])[0].PartitionResponses as Struct[])[0];
  if (answer.ErrorCode !== 0) throw new Error(`produce to ${topic}: error ${String(answer.ErrorCode)}`);
  return Number(answer.BaseOffset);
}

/** DeleteRecords below `offset`; fails the scenario unless the broker answers NONE. */
export async function deleteRecordsBefore(
  t: Target,
  topic: string,
  partition: number,
  offset: number,
): Promise<void> {
  const response = answered(
    await t.request(DeleteRecordsSchema, 1, {
      Topics: [{ Name: topic, Partitions: [{ PartitionIndex: partition, Offset: BigInt(offset) }] }],
      TimeoutMs: 10_000,
    }),
    `delete records of ${topic}`,
  );
  const answer = ((response.Topics as Struct[])[0].Partitions as Struct[])[0];
  if (answer.ErrorCode !== 0)
    throw new Error(`delete records of ${topic}: error ${String(answer.ErrorCode)}`);
}

/** One partition to fetch. */
export interface FetchPartitionSpec {
  readonly topic: string;
  /** Sent instead of the name from v13. */
  readonly topicId?: Buffer;
  readonly partition?: number;
  readonly offset: number;
  /** @default 1 MiB */
  readonly partitionMaxBytes?: number;
}

export interface FetchSpec {
  readonly version: number;
  readonly partitions: readonly FetchPartitionSpec[];
  /** @default 0: answer at once */
  readonly maxWaitMs?: number;
  /** @default 1 */
  readonly minBytes?: number;
  /** @default 50 MiB */
  readonly maxBytes?: number;
  /** 0 read_uncommitted, 1 read_committed. @default 0 */
  readonly isolationLevel?: number;
  /** Extra request fields (ReplicaState, ClusterId, ...). */
  readonly extra?: Struct;
}

/** A consumer's Fetch request body: partitions of the same topic grouped, in the order given. */
export function fetchBody(spec: FetchSpec): Struct {
  const topics: { Topic: string; TopicId: Buffer; Partitions: Struct[] }[] = [];
  for (const p of spec.partitions) {
    let topic = topics.at(-1);
    if (!topic || topic.Topic !== p.topic) {
      topic = { Topic: p.topic, TopicId: p.topicId ?? Buffer.alloc(16), Partitions: [] };
      topics.push(topic);
    }
    topic.Partitions.push({
      Partition: p.partition ?? 0,
      CurrentLeaderEpoch: -1,
      FetchOffset: BigInt(p.offset),
      LastFetchedEpoch: -1,
      LogStartOffset: -1n,
      PartitionMaxBytes: p.partitionMaxBytes ?? 1 << 20,
    });
  }
  return {
    ReplicaId: -1,
    MaxWaitMs: spec.maxWaitMs ?? 0,
    MinBytes: spec.minBytes ?? 1,
    MaxBytes: spec.maxBytes ?? 50 << 20,
    IsolationLevel: spec.isolationLevel ?? 0,
    SessionId: 0,
    SessionEpoch: -1,
    Topics: topics,
    ForgottenTopicsData: [],
    RackId: '',
    ...spec.extra,
  };
}

/** Base offsets of the whole batches in a fetched record set, and whether bytes of a cut batch follow. */
export function wholeBatches(records: Buffer | null): { baseOffsets: number[]; cutBatchFollows: boolean } {
  const baseOffsets: number[] = [];
  let at = 0;
  while (records && records.length - at >= 12) {
    const size = 12 + records.readInt32BE(at + 8);
    if (at + size > records.length) break;
    baseOffsets.push(Number(records.readBigInt64BE(at)));
    at += size;
  }
  return { baseOffsets, cutBatchFollows: records !== null && at < records.length };
}

/**
 * What a consumer of `t` observes of a Fetch answer: top-level error and session, then per partition
 * every field with the records as whole batches; topic ids only as "the one requested" (ids differ
 * between brokers). Throttle times are left out by the harness.
 */
export function fetchObservation(t: Target, response: Struct | typeof CLOSED, spec: FetchSpec): unknown {
  if (response === CLOSED) return CLOSED;
  const sentIds = new Set(spec.partitions.map((p) => p.topicId?.toString('hex')));
  return {
    ErrorCode: response.ErrorCode,
    SessionId: response.SessionId,
    Responses: (response.Responses as Struct[]).map((topic) => ({
      Topic: topic.Topic,
      TopicId: spec.version >= 13 ? sentIds.has((topic.TopicId as Buffer).toString('hex')) : 'not sent',
      Partitions: (topic.Partitions as Struct[]).map(({ Records, ...rest }) => ({
        ...rest,
        Records: Records === null ? null : wholeBatches(Records as Buffer).baseOffsets,
      })),
    })),
    ...(spec.version >= 16
      ? {
          // Ports differ between brokers: an endpoint is observed as the node it names and whether
          // it is the address that node listens on.
          NodeEndpoints: (response.NodeEndpoints as Struct[]).map(({ NodeId, Host, Port, Rack }) => ({
            NodeId,
            Rack,
            address: t.bootstrap.split(',')[t.nodeIds.indexOf(NodeId as number)] === `${Host}:${Port}`,
          })),
        }
      : {}),
  };
}

/** Sends a Fetch and resolves to its observation. */
export async function fetchObserved(t: Target, spec: FetchSpec): Promise<unknown> {
  return fetchObservation(t, await t.request(FetchSchema, spec.version, fetchBody(spec)), spec);
}
