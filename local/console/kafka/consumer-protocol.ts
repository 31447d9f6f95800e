/**
 * The bytes a consumer group's leader hands each member in SyncGroup (Kafka's
 * ConsumerProtocolAssignment, versions 0–3, never flexible): which partitions of which topics the
 * member reads. DescribeGroups passes them on as they are, so the console reads them here.
 *
 *   Version int16, AssignedPartitions [Topic string, Partitions [int32]], UserData nullable bytes (ignored)
 */
import { Reader } from '../../kafka/primitives';

export interface TopicAssignment {
  readonly topic: string;
  readonly partitions: readonly number[];
}

/**
 * The member's assignment; empty for empty bytes (a group that is not Stable) and for bytes that are
 * not a consumer assignment (another protocol type, which the console does not read).
 */
export function decodeAssignment(bytes: Buffer): TopicAssignment[] {
  if (bytes.length < 6) return [];
  try {
    const r = new Reader(bytes);
    r.int16(); // version: every version starts with the same layout
    const topics = r.int32();
    const out: TopicAssignment[] = [];
    for (let t = 0; t < topics; t++) {
      const topic = r.nullableString() ?? '';
      const count = r.int32();
      const partitions: number[] = [];
      for (let p = 0; p < count; p++) partitions.push(r.int32());
      out.push({ topic, partitions: partitions.sort((a, b) => a - b) });
    }
    return out.sort((a, b) => a.topic.localeCompare(b.topic));
  } catch {
    return [];
  }
}
