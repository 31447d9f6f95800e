// Produce: v3–11. Behaviour: acks 0 (no response), 1 and -1 (same here: one replica); each batch must
// be magic 2 with a valid CRC-32C and within max.message.bytes. Offsets are assigned by rewriting the
// batch's baseOffset in place; the bytes are stored as received (LogAppendTime topics also get their
// timestamp stamped and CRC recomputed). Requests for partitions led by another broker get
// NOT_LEADER_OR_FOLLOWER.
import { ErrorCode } from '../protocol/errors';
import type { Struct } from '../protocol/message-codec';
import { ProduceSchema } from '../protocol/messages/00-produce';
import { InvalidBatchError, parseBatches } from '../log/record-batch';
import { StorageError } from '../storage/partition-store';
import type { ApiHandler, RequestContext } from './api';

interface PartitionData {
  Index: number;
  Records: Buffer | null;
}

function producePartition(context: RequestContext, topicName: string, data: PartitionData): Struct {
  const { cluster } = context;
  const result = (
    code: number,
    message: string | null = null,
    baseOffset = -1n,
    logStart = -1n,
    appendTime = -1n,
  ): Struct => ({
    Index: data.Index,
    ErrorCode: code,
    BaseOffset: baseOffset,
    LogAppendTimeMs: appendTime,
    LogStartOffset: logStart,
    RecordErrors: [],
    ErrorMessage: message,
  });
  const topic = cluster.topics.get(topicName);
  const partition = topic?.partitions[data.Index];
  if (!topic || !partition)
    return result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic-partition ${topicName}-${data.Index}`);
  if (partition.leader !== context.broker.nodeId) return result(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  if (!data.Records || data.Records.length === 0) return result(ErrorCode.CORRUPT_MESSAGE, 'no records');

  let batches;
  try {
    batches = parseBatches(data.Records);
  } catch (error) {
    if (!(error instanceof InvalidBatchError)) throw error;
    const code =
      error.kind === 'unsupported' ? ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT : ErrorCode.CORRUPT_MESSAGE;
    return result(code, error.message);
  }
  const limit = Number(topic.configs['max.message.bytes']);
  const tooLarge = batches.find((b) => b.bytes.length > limit);
  if (tooLarge) {
    return result(
      ErrorCode.MESSAGE_TOO_LARGE,
      `batch of ${tooLarge.bytes.length} bytes exceeds max.message.bytes=${limit} of ${topicName}`,
    );
  }
  if (batches.some((b) => b.transactional || b.control)) {
    return result(ErrorCode.INVALID_RECORD, 'transactional batches are not supported by this broker');
  }
  // Idempotent producers: a resent batch is answered with the offset it got the first time.
  const toAppend = [];
  let duplicateOffset: number | undefined;
  for (const b of batches) {
    const check = partition.log.producers.check(b);
    if (check.kind === 'error') return result(check.code, check.message);
    if (check.kind === 'duplicate') duplicateOffset ??= check.baseOffset;
    else toAppend.push(b);
  }
  if (toAppend.length === 0 && duplicateOffset !== undefined) {
    return result(ErrorCode.NONE, null, BigInt(duplicateOffset), BigInt(partition.log.logStartOffset));
  }
  const now = cluster.now();
  const logAppendTime = topic.configs['message.timestamp.type'] === 'LogAppendTime';
  let base: number;
  try {
    base = partition.log.append(toAppend, now, logAppendTime);
  } catch (error) {
    if (!(error instanceof StorageError)) throw error;
    return result(ErrorCode.KAFKA_STORAGE_ERROR, error.message);
  }
  return result(
    ErrorCode.NONE,
    null,
    BigInt(base),
    BigInt(partition.log.logStartOffset),
    logAppendTime ? BigInt(now) : -1n,
  );
}

export const produce: ApiHandler = {
  key: 0,
  name: 'Produce',
  schema: ProduceSchema,
  minVersion: 3,
  maxVersion: 11,
  handle(request, context) {
    const acks = request.Acks as number;
    const topics = request.TopicData as { Name: string; PartitionData: PartitionData[] }[];
    let responses: Struct[];
    if (acks !== 0 && acks !== 1 && acks !== -1) {
      responses = topics.map((t) => ({
        Name: t.Name,
        PartitionResponses: t.PartitionData.map((p) => ({
          Index: p.Index,
          ErrorCode: ErrorCode.INVALID_REQUIRED_ACKS,
          BaseOffset: -1n,
        })),
      }));
    } else {
      responses = topics.map((t) => ({
        Name: t.Name,
        PartitionResponses: t.PartitionData.map((p) => producePartition(context, t.Name, p)),
      }));
      context.cluster.notifyData();
    }
    return acks === 0 ? null : { Responses: responses, ThrottleTimeMs: 0 };
  },
};
