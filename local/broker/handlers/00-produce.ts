// Produce: v3–11. Behaviour: acks 0 (no response), 1 (answered after the leader's append) and -1
// (answered once every in-sync replica has the batch: the high watermark reaches its end, or
// REQUEST_TIMED_OUT at TimeoutMs; NOT_ENOUGH_REPLICAS before the append when the ISR is smaller than
// min.insync.replicas, NOT_ENOUGH_REPLICAS_AFTER_APPEND when it shrank below it while waiting;
// NOT_LEADER_OR_FOLLOWER when leadership moved meanwhile). Each partition gets exactly one record
// batch, checked in Kafka's order: the request's own rules (one magic-2 batch, zstd only from v7),
// then acks, leadership, min.insync.replicas for acks=-1, then the log's (base offset 0,
// max.message.bytes, CRC, header counts, record framing in uncompressed batches, keys in compacted
// topics, segment.bytes) and the idempotent producer's sequence. As in Kafka, errors the log's validator finds answer the
// partition's log start offset, the others -1; with acks=0 any error closes the connection, the only
// way to tell the client. Offsets are assigned by rewriting the batch's baseOffset in place; the bytes
// are stored as received (LogAppendTime topics also get their timestamp stamped and CRC recomputed).
import { entryDenial } from '../auth/authorize-request';
import type { Partition, Topic } from '../cluster/cluster';
import {
  BatchField,
  checkRecords,
  COMPRESSION_ZSTD,
  crcMatches,
  headerProblem,
  InvalidBatchError,
  readBatch,
  readRecords,
  splitBatches,
  type BatchInfo,
} from '../../kafka/record-batch';
import { ErrorCode, errorName } from '../../kafka/errors';
import { ProduceSchema } from '../../kafka/messages/00-produce';
import type { RequestOf, ResponseInput } from '../../kafka/schema';
import { StorageError } from '../storage/partition-store';
import { CloseConnection, type ApiHandler, type RequestContext } from './api';

type PartitionData = RequestOf<typeof ProduceSchema>['TopicData'][number]['PartitionData'][number];
type PartitionResponse = ResponseInput<
  typeof ProduceSchema
>['Responses'][number]['PartitionResponses'][number];

/** A partition's answer: the error, and what a failed append still tells (Kafka's log start offset). */
interface Outcome {
  readonly code: number;
  readonly message?: string;
  readonly baseOffset?: bigint;
  readonly logStartOffset?: bigint;
  readonly logAppendTime?: bigint;
  readonly recordErrors?: PartitionResponse['RecordErrors'];
  /** For an appended batch (or a resent one): the offset after its last record, which acks=-1 waits for. */
  readonly endOffset?: number;
}

/** The request's own rules, checked before acks and leadership: the batch, or the refusal. */
function requestedBatch(records: Buffer | null, version: number): { batch: BatchInfo } | Outcome {
  if (!records) return { code: ErrorCode.CORRUPT_MESSAGE, message: 'no records' };
  if (records.length === 0) {
    return {
      code: ErrorCode.INVALID_RECORD,
      message: 'a produce request needs one record batch per partition',
    };
  }
  let batches;
  try {
    batches = splitBatches(records);
  } catch (error) {
    if (!(error instanceof InvalidBatchError)) throw error;
    return { code: ErrorCode.CORRUPT_MESSAGE, message: error.message };
  }
  const [first] = batches;
  if (first.magic !== 2) {
    return {
      code: ErrorCode.INVALID_RECORD,
      message: `message format v${first.magic}: produce v3 and later take record batches (magic 2) only`,
    };
  }
  const batch = readBatch(first.bytes);
  if (batch.compression === COMPRESSION_ZSTD && version < 7) {
    return {
      code: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      message: `zstd needs produce v7 or later (got v${version})`,
    };
  }
  if (batches.length > 1) {
    return {
      code: ErrorCode.INVALID_RECORD,
      message: 'a produce request carries one record batch per partition',
    };
  }
  return { batch };
}

/** What the log refuses in a batch, as Kafka's log checks it before appending; undefined if nothing. */
function refusal(topic: Topic, partition: Partition, batch: BatchInfo): Outcome | undefined {
  const { bytes } = batch;
  const logStart = BigInt(partition.log.logStartOffset);
  const invalid = (message: string, recordErrors: Outcome['recordErrors'] = []): Outcome => ({
    code: ErrorCode.INVALID_RECORD,
    message,
    logStartOffset: logStart,
    recordErrors,
  });
  if (bytes.readBigInt64BE(BatchField.baseOffset) !== 0n)
    return invalid('a producer writes base offset 0; the broker assigns offsets');
  const limit = Number(topic.configs['max.message.bytes']);
  if (bytes.length > limit) {
    return {
      code: ErrorCode.MESSAGE_TOO_LARGE,
      message: `batch of ${bytes.length} bytes exceeds max.message.bytes=${limit} of ${topic.name}`,
    };
  }
  if (!crcMatches(bytes)) return { code: ErrorCode.CORRUPT_MESSAGE, message: 'batch CRC mismatch' };
  const problem = headerProblem(batch);
  if (problem) return invalid(problem);
  if (batch.transactional) return invalid('transactional batches are not supported by this broker');
  const compacted = !topic.configs['cleanup.policy'].split(',').includes('delete');
  // Kafka reads every record; here those of uncompressed batches always (their framing), and keys in
  // compacted topics (also inside gzip batches).
  try {
    if (compacted) {
      const keyless = readRecords(bytes)?.filter((r) => !r.hasKey) ?? [];
      if (keyless.length > 0) {
        return invalid(
          `compacted topic ${topic.name} takes only records with keys`,
          keyless.map((r) => ({
            BatchIndex: r.index,
            BatchIndexErrorMessage: `compacted topic ${topic.name} cannot take a record without a key`,
          })),
        );
      }
    } else if (batch.compression === 0) {
      checkRecords(bytes);
    }
  } catch (error) {
    if (!(error instanceof InvalidBatchError)) throw error;
    return invalid(error.message);
  }
  const segmentBytes = Number(topic.configs['segment.bytes']);
  if (bytes.length > segmentBytes) {
    return {
      code: ErrorCode.RECORD_LIST_TOO_LARGE,
      message: `${bytes.length} bytes of records exceed segment.bytes=${segmentBytes} of ${topic.name}`,
    };
  }
  return undefined;
}

/** Appends one partition's batch, or says why not. */
function append(context: RequestContext, topic: Topic, partition: Partition, batch: BatchInfo): Outcome {
  const refused = refusal(topic, partition, batch);
  if (refused) return refused;
  const log = partition.log;
  const check = log.producers.check(batch);
  if (check.kind === 'error') {
    return { code: check.code, message: check.message, logStartOffset: BigInt(log.logStartOffset) };
  }
  // Idempotent producers: a resent batch is answered as the first time (Kafka gives its timestamp).
  if (check.kind === 'duplicate') {
    return {
      code: ErrorCode.NONE,
      baseOffset: BigInt(check.baseOffset),
      logStartOffset: BigInt(log.logStartOffset),
      logAppendTime: check.timestamp,
      endOffset: check.baseOffset + batch.lastOffsetDelta + 1,
    };
  }
  const now = context.cluster.now();
  const logAppendTime = topic.configs['message.timestamp.type'] === 'LogAppendTime';
  try {
    const base = partition.appendAsLeader(batch, now, logAppendTime);
    context.cluster.replication.appended(partition);
    return {
      code: ErrorCode.NONE,
      baseOffset: BigInt(base),
      logStartOffset: BigInt(log.logStartOffset),
      logAppendTime: logAppendTime ? BigInt(now) : -1n,
      endOffset: base + batch.lastOffsetDelta + 1,
    };
  } catch (error) {
    if (!(error instanceof StorageError)) throw error;
    return { code: ErrorCode.KAFKA_STORAGE_ERROR, message: error.message };
  }
}

const answer = (index: number, o: Outcome): PartitionResponse => ({
  Index: index,
  ErrorCode: o.code,
  BaseOffset: o.baseOffset ?? -1n,
  LogAppendTimeMs: o.logAppendTime ?? -1n,
  LogStartOffset: o.logStartOffset ?? -1n,
  RecordErrors: o.recordErrors ?? [],
  ErrorMessage: o.message ?? null,
});

/** One partition's append, and what an acks=-1 answer must wait for. */
interface Appended {
  readonly outcome: Outcome;
  readonly partition?: Partition;
}

function producePartition(
  context: RequestContext,
  topicName: string,
  data: PartitionData,
  acks: number,
): Appended {
  // MSK's WriteData (or the producer id's permission) comes first: an unknown topic denied says 29.
  const denied = entryDenial(context, 'topic', topicName);
  if (denied !== ErrorCode.NONE) return { outcome: { code: denied } };
  const { cluster } = context;
  const topic = cluster.topics.get(topicName);
  const partition = topic?.partitions[data.Index];
  if (!topic || !partition) {
    return {
      outcome: {
        code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        message: `unknown topic-partition ${topicName}-${data.Index}`,
      },
    };
  }
  const requested = requestedBatch(data.Records, context.header.apiVersion);
  if (!('batch' in requested)) return { outcome: requested };
  if (acks !== 0 && acks !== 1 && acks !== -1) {
    return {
      outcome: { code: ErrorCode.INVALID_REQUIRED_ACKS, message: `acks must be -1, 0 or 1, not ${acks}` },
    };
  }
  if (partition.leader !== context.broker.nodeId)
    return { outcome: { code: ErrorCode.NOT_LEADER_OR_FOLLOWER } };
  if (acks === -1 && !partition.enoughReplicasToAppend) {
    return {
      outcome: {
        code: ErrorCode.NOT_ENOUGH_REPLICAS,
        message:
          `${topicName}-${data.Index} has ${partition.isr.length} in-sync replica(s) [${partition.isr.join(',')}], ` +
          `fewer than min.insync.replicas=${partition.effectiveMinIsr}`,
      },
    };
  }
  return { outcome: append(context, topic, partition, requested.batch), partition };
}

/** acks=-1: the appended partition's answer once its in-sync replicas have the batch. */
async function replicated(context: RequestContext, appended: Appended, timeoutMs: number): Promise<Outcome> {
  const { outcome, partition } = appended;
  if (!partition || outcome.code !== ErrorCode.NONE || outcome.endOffset === undefined) return outcome;
  const code = await partition.awaitReplication(outcome.endOffset, timeoutMs, context.onClose);
  return code === ErrorCode.NONE ? outcome : { ...outcome, code };
}

export const produce: ApiHandler<typeof ProduceSchema> = {
  key: 0,
  name: 'Produce',
  schema: ProduceSchema,
  minVersion: 3,
  maxVersion: 11,
  async handle(request, context): Promise<ResponseInput<typeof ProduceSchema> | null> {
    const acks = request.Acks;
    const appended = request.TopicData.map((t) => ({
      name: t.Name,
      partitions: t.PartitionData.map((p) => ({
        index: p.Index,
        ...producePartition(context, t.Name, p, acks),
      })),
    }));
    context.cluster.notifyData();
    const responses = await Promise.all(
      appended.map(async (t): Promise<ResponseInput<typeof ProduceSchema>['Responses'][number]> => ({
        Name: t.name,
        PartitionResponses: await Promise.all(
          t.partitions.map(async (p) =>
            answer(p.index, acks === -1 ? await replicated(context, p, request.TimeoutMs) : p.outcome),
          ),
        ),
      })),
    );
    if (acks !== 0) return { Responses: responses, ThrottleTimeMs: 0 };
    // acks=0 has no answer to carry an error: Kafka closes the connection instead.
    const failed = responses.flatMap((t) => t.PartitionResponses).find((p) => p.ErrorCode !== ErrorCode.NONE);
    if (failed) throw new CloseConnection(`acks=0 produce failed with ${errorName(failed.ErrorCode)}`);
    return null;
  },
};
