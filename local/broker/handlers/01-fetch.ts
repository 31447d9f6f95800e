// Fetch: v4–13 (v13 names topics by id). Behaviour: whole stored batches from the one containing FetchOffset (clients skip
// earlier records), up to PartitionMaxBytes per partition and MaxBytes in all, but always the first
// batch found so a large batch cannot stall a consumer. Waits up to MaxWaitMs for MinBytes, woken by
// any produce. No fetch sessions (session id 0: every fetch is a full fetch); read_committed sees the
// same data (no transactions), with an empty aborted-transactions list.
import { ErrorCode } from '../protocol/errors';
import type { Struct } from '../protocol/message-codec';
import { FetchSchema } from '../protocol/messages/01-fetch';
import type { ApiHandler, RequestContext } from './api';

interface FetchPartition {
  Partition: number;
  FetchOffset: bigint;
  PartitionMaxBytes: number;
}

interface FetchTopic {
  Topic: string;
  TopicId: Buffer;
  Partitions: FetchPartition[];
}

/** One pass over the requested partitions; returns the response topics and the bytes found. */
function collect(
  topics: FetchTopic[],
  maxBytes: number,
  context: RequestContext,
): { responses: Struct[]; bytes: number; errors: boolean } {
  const { cluster, broker } = context;
  let total = 0;
  let errors = false;
  const byId = context.header.apiVersion >= 13;
  const responses = topics.map((t) => {
    const topic = byId ? cluster.topicById(t.TopicId) : cluster.topics.get(t.Topic);
    return {
      Topic: t.Topic,
      TopicId: t.TopicId,
      Partitions: t.Partitions.map((req): Struct => {
        const empty = (code: number, hwm = -1n, logStart = -1n): Struct => {
          if (code !== ErrorCode.NONE) errors = true;
          return {
            PartitionIndex: req.Partition,
            ErrorCode: code,
            HighWatermark: hwm,
            LastStableOffset: hwm,
            LogStartOffset: logStart,
            AbortedTransactions: code === ErrorCode.NONE ? [] : null,
            PreferredReadReplica: -1,
            // Empty, never null: librdkafka rejects a null record set.
            Records: [],
          };
        };
        const partition = topic?.partitions[req.Partition];
        if (!partition)
          return empty(topic || !byId ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID);
        if (partition.leader !== broker.nodeId) return empty(ErrorCode.NOT_LEADER_OR_FOLLOWER);
        const log = partition.log;
        const hwm = BigInt(log.highWatermark);
        const logStart = BigInt(log.logStartOffset);
        const offset = req.FetchOffset;
        if (offset < logStart || offset > hwm) return empty(ErrorCode.OFFSET_OUT_OF_RANGE, hwm, logStart);
        const budget = Math.min(req.PartitionMaxBytes, maxBytes - total);
        // Kafka returns a first batch even past the limits, so consumers always make progress.
        const read =
          budget > 0 || total === 0
            ? log.read(Number(offset), Math.max(budget, 1))
            : { batches: [], bytes: 0 };
        total += read.bytes;
        return {
          ...empty(ErrorCode.NONE, hwm, logStart),
          Records: read.batches,
        };
      }),
    };
  });
  return { responses, bytes: total, errors };
}

export const fetch: ApiHandler = {
  key: 1,
  name: 'Fetch',
  schema: FetchSchema,
  minVersion: 4,
  maxVersion: 13,
  async handle(request, context) {
    const topics = request.Topics as FetchTopic[];
    const maxBytes = Math.max(Number(request.MaxBytes), 1);
    const minBytes = Number(request.MinBytes);
    const deadline = Date.now() + Math.max(Number(request.MaxWaitMs), 0);
    let result = collect(topics, maxBytes, context);
    // Kafka answers at once when a partition has an error; otherwise it waits for MinBytes or MaxWaitMs.
    while (!result.errors && result.bytes < Math.max(minBytes, 1) && Date.now() < deadline) {
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
      result = collect(topics, maxBytes, context);
      if (!woken) break;
    }
    return { ThrottleTimeMs: 0, ErrorCode: ErrorCode.NONE, SessionId: 0, Responses: result.responses };
  },
};
