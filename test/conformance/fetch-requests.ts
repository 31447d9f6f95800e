/**
 * Raw requests the fetch scenarios build on, through the project's codec: batches of a known size, and
 * a Fetch at any version with what a consumer observes of its answer (batches by base offset, not
 * bytes, since a broker may end a fetch inside a batch that clients then ignore). Topics are created
 * and produced to with topic-requests.ts.
 */
import type { Struct } from '../../local/kafka/message-codec';
import { FetchSchema } from '../../local/kafka/messages/01-fetch';
import { recordBatch } from './batch-builder';
import { answered, CLOSED, type Target } from './harness';

/**
 * A v2 batch of `records` uncompressed records whose values are `valueBytes` long, so a scenario
 * knows every batch's size (Produce takes one batch per partition and request). Every such batch has
 * the same create time, so no observation depends on the clock.
 */
export function sizedBatch(valueBytes: number, records = 1): Buffer {
  const value = 'x'.repeat(valueBytes);
  return recordBatch({
    records: Array.from({ length: records }, () => ({ value })),
    baseTimestamp: 1_700_000_000_000n,
  });
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

/** Fetch v11 from `offset` of one partition, answered at once: that partition's answer. */
export async function fetchPartition(
  t: Target,
  topic: string,
  partition: number,
  offset: number,
): Promise<Struct> {
  const response = answered(
    await t.request(
      FetchSchema,
      11,
      fetchBody({ version: 11, minBytes: 0, maxBytes: 1 << 20, partitions: [{ topic, partition, offset }] }),
    ),
    `fetch ${topic}-${partition}`,
  );
  return ((response.Responses as Struct[])[0].Partitions as Struct[])[0];
}
