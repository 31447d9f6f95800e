// ListOffsets: v0–9. Behaviour: timestamp -1 → high watermark, -2 → log start offset, -3 (v7+) → the
// record with the largest timestamp, -4 (v8+) → the local log start (the log start here), -5 (v9+) →
// the latest tiered offset (none: -1); earlier versions get UNSUPPORTED_VERSION for these, as in Kafka.
// Any other timestamp → the first offset whose record timestamp is at or after it, or -1 if none
// (records inside batches compressed other than with gzip cannot be read: SKIPPED.md). v0 answers a
// list of segment offsets instead (PartitionLog.legacyOffsetsBefore). From v1 a partition asked for
// twice in one request gets INVALID_REQUEST both times. The latest offset is the high watermark, with
// the partition's leader epoch; other answers carry the epoch their offset was written in. A
// CurrentLeaderEpoch (v4+) is checked as Fetch checks it.
import { entryDenial } from '../auth/authorize-request';
import { ErrorCode } from '../../kafka/errors';
import { ListOffsetsSchema } from '../../kafka/messages/02-list-offsets';
import type { RequestOf, ResponseInput } from '../../kafka/schema';
import { leaderCheck, type ApiHandler } from './api';

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;
const LATEST_TIERED = -5n;

/** The first version that defines each special timestamp. */
const DEFINED_FROM = new Map([
  [MAX_TIMESTAMP, 7],
  [EARLIEST_LOCAL, 8],
  [LATEST_TIERED, 9],
]);

type PartitionRequest = RequestOf<typeof ListOffsetsSchema>['Topics'][number]['Partitions'][number];
type PartitionResponse = ResponseInput<typeof ListOffsetsSchema>['Topics'][number]['Partitions'][number];

export const listOffsets: ApiHandler<typeof ListOffsetsSchema> = {
  key: 2,
  name: 'ListOffsets',
  schema: ListOffsetsSchema,
  minVersion: 0,
  maxVersion: 9,
  handle(request, context): ResponseInput<typeof ListOffsetsSchema> {
    const { cluster, header } = context;
    const version = header.apiVersion;
    const topics = request.Topics;
    const asked = new Map<string, number>();
    for (const t of topics) {
      for (const p of t.Partitions) {
        const key = `${t.Name}\0${p.PartitionIndex}`;
        asked.set(key, (asked.get(key) ?? 0) + 1);
      }
    }
    const answerFor = (topic: string, p: PartitionRequest): PartitionResponse => {
      const answer = (
        code: number,
        offset = -1n,
        timestamp = -1n,
        oldStyle: bigint[] = [],
        leaderEpoch = -1,
      ): PartitionResponse => ({
        PartitionIndex: p.PartitionIndex,
        ErrorCode: code,
        OldStyleOffsets: oldStyle,
        Timestamp: timestamp,
        Offset: offset,
        LeaderEpoch: leaderEpoch,
      });
      const denied = entryDenial(context, 'topic', topic);
      if (denied !== ErrorCode.NONE) return answer(denied);
      if (version >= 1 && asked.get(`${topic}\0${p.PartitionIndex}`)! > 1) {
        return answer(ErrorCode.INVALID_REQUEST);
      }
      const partition = cluster.partition(topic, p.PartitionIndex);
      if (!partition) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const leadership = leaderCheck(context, partition, p.CurrentLeaderEpoch);
      if (leadership !== ErrorCode.NONE) return answer(leadership);
      const log = partition.log;
      /** An offset found in the log, with the epoch it was written in. */
      const found = (offset: number, timestamp = -1n) =>
        answer(ErrorCode.NONE, BigInt(offset), timestamp, [], log.epochForOffset(offset));
      if (version === 0) {
        const offsets = log.legacyOffsetsBefore(p.Timestamp, p.MaxNumOffsets, cluster.now());
        return answer(ErrorCode.NONE, -1n, -1n, offsets.map(BigInt));
      }
      const definedFrom = DEFINED_FROM.get(p.Timestamp);
      if (definedFrom !== undefined && version < definedFrom) return answer(ErrorCode.UNSUPPORTED_VERSION);
      switch (p.Timestamp) {
        case LATEST:
          return answer(ErrorCode.NONE, BigInt(log.highWatermark), -1n, [], partition.leaderEpoch);
        case EARLIEST:
        case EARLIEST_LOCAL:
          return found(log.logStartOffset);
        case LATEST_TIERED:
          return answer(ErrorCode.NONE);
        case MAX_TIMESTAMP: {
          const max = log.maxTimestampOffset();
          return max ? found(max.offset, max.timestamp) : answer(ErrorCode.NONE);
        }
      }
      const at = log.offsetForTimestamp(p.Timestamp);
      return at ? found(at.offset, at.timestamp) : answer(ErrorCode.NONE);
    };
    return {
      ThrottleTimeMs: 0,
      Topics: topics.map((t): ResponseInput<typeof ListOffsetsSchema>['Topics'][number] => ({
        Name: t.Name,
        Partitions: t.Partitions.map((p) => answerFor(t.Name, p)),
      })),
    };
  },
};
