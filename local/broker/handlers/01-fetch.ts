// Fetch: v4–17 (v13 names topics by id; v15's ReplicaState and v17's ReplicaDirectoryId concern
// followers, which replicate in process here: replication/partition.ts). Consumers read up to the
// high watermark; a CurrentLeaderEpoch (v9+) older than the partition's answers FENCED_LEADER_EPOCH,
// a newer one UNKNOWN_LEADER_EPOCH. Behaviour, as Apache Kafka's: whole stored batches from the
// one containing FetchOffset (clients skip earlier records), up to PartitionMaxBytes per partition and
// MaxBytes in all; until some partition has returned data, its first batch comes back even past both
// limits, so a large batch cannot stall a consumer. Kafka reads a byte range and may end inside a
// batch; those trailing bytes count against MaxBytes here too, but are not sent (clients drop them).
// Waits up to MaxWaitMs for MinBytes, woken by any produce; a read error (an offset out of range)
// answers at once, an unknown topic or partition does not. Unknown topics and partitions are listed
// after the others, as Kafka does. No fetch sessions (session id 0: every fetch is a full fetch);
// read_committed sees the same data (no transactions) with an empty aborted-transactions list, where
// read_uncommitted gets none (null). From v16 a partition this broker does not lead names its leader
// (CurrentLeader, with its epoch as in Metadata) and the response lists that broker's endpoint.
import { entryDenial } from '../auth/authorize-request';
import { ErrorCode } from '../../kafka/errors';
import { FetchSchema } from '../../kafka/messages/01-fetch';
import { BatchField } from '../../kafka/record-batch';
import type { RequestOf, ResponseInput } from '../../kafka/schema';
import type { PartitionLog } from '../log/partition-log';
import { endpointOf, leaderCheck, type ApiHandler, type RequestContext } from './api';

type FetchTopic = RequestOf<typeof FetchSchema>['Topics'][number];
type FetchPartition = FetchTopic['Partitions'][number];
type FetchResponse = ResponseInput<typeof FetchSchema>;
type PartitionData = FetchResponse['Responses'][number]['Partitions'][number];

const READ_COMMITTED = 1;

/** Kafka's fetch.max.bytes default: no fetch answers with more, whatever MaxBytes asks for. */
const BROKER_FETCH_MAX_BYTES = 55 * 1024 * 1024;

/** One partition's answer, in the order Kafka lists it. */
interface PartitionAnswer {
  readonly topic: FetchTopic;
  readonly data: PartitionData;
}

/** A partition answer that carries an error and no data. */
function failed(req: FetchPartition, code: number, abortedTransactions: [] | null): PartitionData {
  return {
    PartitionIndex: req.Partition,
    ErrorCode: code,
    HighWatermark: -1n,
    LastStableOffset: -1n,
    LogStartOffset: -1n,
    AbortedTransactions: abortedTransactions,
    PreferredReadReplica: -1,
    // Empty, never null: librdkafka rejects a null record set.
    Records: [],
  };
}

/**
 * One pass over the requested partitions. `bytes` counts what Kafka would have read (it decides
 * whether MinBytes is met); `readError` is set by errors that end a long poll at once.
 */
function collect(
  topics: FetchTopic[],
  maxBytes: number,
  isolationLevel: number,
  context: RequestContext,
): { answers: PartitionAnswer[]; bytes: number; readError: boolean; readable: number } {
  const { cluster } = context;
  const byId = context.header.apiVersion >= 13;
  const read: PartitionAnswer[] = [];
  // Partitions the broker does not know: Kafka answers them without reading, after the rest.
  const unknown: PartitionAnswer[] = [];
  let limit = maxBytes;
  let firstBatchRule = true;
  let bytes = 0;
  let readError = false;
  for (const topic of topics) {
    const known = byId ? cluster.topicById(topic.TopicId) : cluster.topics.get(topic.Topic);
    const name = byId ? known?.name : topic.Topic;
    // Partitions of a topic without ReadData are answered without reading, listed with the unknown ones.
    const denied = name === undefined ? ErrorCode.NONE : entryDenial(context, 'topic', name);
    for (const req of topic.Partitions) {
      if (denied !== ErrorCode.NONE) {
        unknown.push({ topic, data: failed(req, denied, []) });
        continue;
      }
      const partition = known?.partitions[req.Partition];
      if (!partition) {
        const code = known || !byId ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID;
        unknown.push({ topic, data: failed(req, code, []) });
        continue;
      }
      const leadership = leaderCheck(context, partition, req.CurrentLeaderEpoch);
      if (leadership !== ErrorCode.NONE) {
        readError = true;
        const data = failed(req, leadership, null);
        if (context.header.apiVersion >= 16 && leadership === ErrorCode.NOT_LEADER_OR_FOLLOWER)
          data.CurrentLeader = { LeaderId: partition.leader, LeaderEpoch: partition.leaderEpoch };
        read.push({ topic, data });
        continue;
      }
      const log = partition.log;
      const hwm = log.highWatermark;
      const offset = Number(req.FetchOffset);
      // Kafka reads a consumer's fetch up to the high watermark, but an offset up to the log end is
      // in range (it waits there for replication).
      if (offset < log.logStartOffset || offset > log.logEndOffset) {
        readError = true;
        read.push({ topic, data: failed(req, ErrorCode.OFFSET_OUT_OF_RANGE, null) });
        continue;
      }
      const slice = readSlice(log, offset, Math.min(req.PartitionMaxBytes, limit), firstBatchRule);
      if (slice.bytes > 0) {
        firstBatchRule = false;
        limit = Math.max(0, limit - slice.bytes);
        bytes += slice.bytes;
      }
      read.push({
        topic,
        data: {
          PartitionIndex: req.Partition,
          ErrorCode: ErrorCode.NONE,
          HighWatermark: BigInt(hwm),
          LastStableOffset: BigInt(hwm),
          LogStartOffset: BigInt(log.logStartOffset),
          AbortedTransactions: isolationLevel === READ_COMMITTED ? [] : null,
          PreferredReadReplica: -1,
          Records: slice.batches,
        },
      });
    }
  }
  return { answers: [...read, ...unknown], bytes, readError, readable: read.length };
}

/**
 * What Kafka reads of a partition from `offset`: the bytes from the start of the batch holding it, up
 * to `maxBytes` (the first batch whole when `firstBatchRule` holds and it is larger; nothing when it
 * does not hold and the first batch does not fit). Returns the whole batches in that range and the
 * range's size, which may end inside a batch.
 */
function readSlice(
  log: PartitionLog,
  offset: number,
  maxBytes: number,
  firstBatchRule: boolean,
): { batches: Buffer[]; bytes: number } {
  const found = log.read(offset, Math.max(maxBytes, 1));
  const first = found.batches[0];
  if (!first) return { batches: [], bytes: 0 };
  if (first.length > maxBytes) {
    return firstBatchRule ? { batches: [first], bytes: first.length } : { batches: [], bytes: 0 };
  }
  const last = found.batches[found.batches.length - 1];
  const nextOffset =
    Number(last.readBigInt64BE(BatchField.baseOffset)) + last.readInt32BE(BatchField.lastOffsetDelta) + 1;
  // A batch that did not fit whole follows: Kafka's byte range runs into it, up to maxBytes.
  const bytes = nextOffset < log.highWatermark ? maxBytes : found.bytes;
  return { batches: found.batches, bytes };
}

/** The endpoints of the leaders named in CurrentLeader (v16+), once each. */
function nodeEndpoints(
  answers: PartitionAnswer[],
  context: RequestContext,
): NonNullable<FetchResponse['NodeEndpoints']> {
  const leaders = new Set(
    answers.flatMap((a) =>
      a.data.CurrentLeader?.LeaderId !== undefined ? [a.data.CurrentLeader.LeaderId] : [],
    ),
  );
  return context.cluster.brokers
    .filter((b) => leaders.has(b.nodeId))
    .map((b): NonNullable<FetchResponse['NodeEndpoints']>[number] => {
      const { host, port } = endpointOf(context, b);
      return { NodeId: b.nodeId, Host: host, Port: port, Rack: null };
    });
}

/** The response's topics: consecutive answers of the same topic share one entry, as in Kafka's. */
function responseTopics(answers: PartitionAnswer[]): FetchResponse['Responses'] {
  const out: { topic: FetchTopic; Partitions: PartitionData[] }[] = [];
  for (const answer of answers) {
    const last = out.at(-1);
    if (last && last.topic === answer.topic) last.Partitions.push(answer.data);
    else out.push({ topic: answer.topic, Partitions: [answer.data] });
  }
  return out.map((t): FetchResponse['Responses'][number] => ({
    Topic: t.topic.Topic,
    TopicId: t.topic.TopicId,
    Partitions: t.Partitions,
  }));
}

export const fetch: ApiHandler<typeof FetchSchema> = {
  key: 1,
  name: 'Fetch',
  schema: FetchSchema,
  minVersion: 4,
  maxVersion: 17,
  async handle(request, context): Promise<FetchResponse> {
    const maxBytes = Math.min(request.MaxBytes, BROKER_FETCH_MAX_BYTES);
    const minBytes = Math.min(request.MinBytes, maxBytes);
    const deadline = Date.now() + Math.max(request.MaxWaitMs, 0);
    const pass = () => collect(request.Topics, maxBytes, request.IsolationLevel, context);
    let result = pass();
    // Kafka answers at once when nothing is readable, on a read error, or once MinBytes are there;
    // otherwise it waits for more data until MaxWaitMs.
    while (result.readable > 0 && !result.readError && result.bytes < minBytes && Date.now() < deadline) {
      let cancel = (): void => undefined;
      const woken = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), deadline - Date.now());
        const unsubscribeData = context.cluster.onData(() => resolve(true));
        const unsubscribeClose = context.onClose(() => resolve(false));
        cancel = () => {
          clearTimeout(timer);
          unsubscribeData();
          unsubscribeClose();
        };
      });
      cancel();
      result = pass();
      if (!woken) break;
    }
    return {
      ThrottleTimeMs: 0,
      ErrorCode: ErrorCode.NONE,
      SessionId: 0,
      Responses: responseTopics(result.answers),
      NodeEndpoints: nodeEndpoints(result.answers, context),
    };
  },
};
