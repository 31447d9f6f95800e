// ListOffsets: v0–9. Behaviour: timestamp -1 → high watermark, -2 → log start offset, -3 (v7+) →
// offset of the largest timestamp, otherwise the first offset whose record timestamp is at or after it
// (exact inside uncompressed batches, the batch's first offset in compressed ones), or -1 if none.
import { ErrorCode } from '../protocol/errors';
import type { Struct } from '../protocol/message-codec';
import { ListOffsetsSchema } from '../protocol/messages/02-list-offsets';
import type { ApiHandler } from './api';

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;

export const listOffsets: ApiHandler = {
  key: 2,
  name: 'ListOffsets',
  schema: ListOffsetsSchema,
  minVersion: 0,
  maxVersion: 9,
  handle(request, context) {
    const { cluster, broker } = context;
    const topics = request.Topics as {
      Name: string;
      Partitions: { PartitionIndex: number; Timestamp: bigint }[];
    }[];
    return {
      ThrottleTimeMs: 0,
      Topics: topics.map((t) => ({
        Name: t.Name,
        Partitions: t.Partitions.map((p): Struct => {
          const answer = (code: number, offset = -1n, timestamp = -1n): Struct => ({
            PartitionIndex: p.PartitionIndex,
            ErrorCode: code,
            OldStyleOffsets: code === ErrorCode.NONE && offset >= 0n ? [offset] : [],
            Timestamp: timestamp,
            Offset: offset,
            LeaderEpoch: -1,
          });
          const partition = cluster.partition(t.Name, p.PartitionIndex);
          if (!partition) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          if (partition.leader !== broker.nodeId) return answer(ErrorCode.NOT_LEADER_OR_FOLLOWER);
          const log = partition.log;
          if (p.Timestamp === LATEST) return answer(ErrorCode.NONE, BigInt(log.highWatermark));
          if (p.Timestamp === EARLIEST) return answer(ErrorCode.NONE, BigInt(log.logStartOffset));
          if (p.Timestamp === MAX_TIMESTAMP) {
            const max = log.maxTimestampOffset();
            return max ? answer(ErrorCode.NONE, BigInt(max.offset), max.timestamp) : answer(ErrorCode.NONE);
          }
          const found = log.offsetForTimestamp(p.Timestamp);
          return found === undefined
            ? answer(ErrorCode.NONE)
            : answer(ErrorCode.NONE, BigInt(found.offset), found.timestamp);
        }),
      })),
    };
  },
};
