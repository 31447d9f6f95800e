/**
 * Committed offsets of every group, in memory and, with a data directory, in the offsets journal:
 * each commit is appended, a deleted group or offset is journaled as such, and the journal is
 * rewritten to the latest offset per partition at start-up and every so many commits.
 */
import type { Journal } from '../storage/journal';
import type { OffsetEntry } from '../storage/data-dir';

export interface CommittedOffset {
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
}

/** Committed offsets are keyed `<partition>:<topic>`; the first ':' splits the key. */
const offsetKey = (topic: string, partition: number) => `${partition}:${topic}`;
function parseOffsetKey(key: string): { topic: string; partition: number } {
  const sep = key.indexOf(':');
  return { partition: Number(key.slice(0, sep)), topic: key.slice(sep + 1) };
}

/** Offset commits between compactions of the offsets journal (consumers auto-commit often). */
const OFFSETS_COMPACTION_EVERY = 10_000;

export class OffsetStore {
  private readonly byGroup = new Map<string, Map<string, CommittedOffset>>();
  /** Journal entries written since the last compaction. */
  private appended = 0;

  /** @param journal where offsets persist; none keeps them in memory. Its entries are replayed first. */
  constructor(private readonly journal?: Journal<OffsetEntry>) {
    if (!journal) return;
    for (const e of journal.load()) {
      if ('deleteGroup' in e) this.byGroup.delete(e.deleteGroup);
      else if ('deleted' in e) this.byGroup.get(e.group)?.delete(offsetKey(e.topic, e.partition));
      else
        this.offsetsOf(e.group).set(offsetKey(e.topic, e.partition), {
          offset: BigInt(e.offset),
          leaderEpoch: e.epoch,
          metadata: e.metadata,
        });
    }
    this.compact(journal);
  }

  private offsetsOf(groupId: string): Map<string, CommittedOffset> {
    let offsets = this.byGroup.get(groupId);
    if (!offsets) {
      offsets = new Map();
      this.byGroup.set(groupId, offsets);
    }
    return offsets;
  }

  /** Groups that have committed offsets (a restarted broker knows its groups by them). */
  groupIds(): string[] {
    return [...this.byGroup.keys()].filter((g) => this.hasOffsets(g));
  }

  hasOffsets(groupId: string): boolean {
    return (this.byGroup.get(groupId)?.size ?? 0) > 0;
  }

  commit(groupId: string, topic: string, partition: number, offset: CommittedOffset): void {
    this.offsetsOf(groupId).set(offsetKey(topic, partition), offset);
    this.append({
      group: groupId,
      topic,
      partition,
      offset: String(offset.offset),
      epoch: offset.leaderEpoch,
      metadata: offset.metadata,
    });
  }

  committed(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.byGroup.get(groupId)?.get(offsetKey(topic, partition));
  }

  /** Topics and partitions with a committed offset in the group. */
  partitions(groupId: string): { topic: string; partition: number }[] {
    return [...(this.byGroup.get(groupId)?.keys() ?? [])].map(parseOffsetKey);
  }

  /** Forgets one partition's committed offset. */
  delete(groupId: string, topic: string, partition: number): void {
    if (this.byGroup.get(groupId)?.delete(offsetKey(topic, partition)))
      this.append({ group: groupId, topic, partition, deleted: true });
  }

  /** Forgets every committed offset of the group. */
  deleteGroup(groupId: string): void {
    if (!this.byGroup.delete(groupId)) return;
    this.append({ deleteGroup: groupId });
  }

  /** Forgets every group's committed offsets of a deleted topic, so a new topic of that name starts clean. */
  forgetTopic(topic: string): void {
    for (const groupId of this.byGroup.keys()) {
      for (const { topic: committed, partition } of this.partitions(groupId)) {
        if (committed === topic) this.delete(groupId, topic, partition);
      }
    }
  }

  /** Appends to the journal, compacting it once it holds many superseded entries. */
  private append(entry: OffsetEntry): void {
    if (!this.journal) return;
    this.journal.append(entry);
    if (++this.appended >= OFFSETS_COMPACTION_EVERY) this.compact(this.journal);
  }

  /** Rewrites the journal as the latest committed offset per group and partition. */
  private compact(journal: Journal<OffsetEntry>): void {
    const latest: OffsetEntry[] = [];
    for (const [group, offsets] of this.byGroup) {
      for (const [key, c] of offsets) {
        latest.push({
          group,
          ...parseOffsetKey(key),
          offset: String(c.offset),
          epoch: c.leaderEpoch,
          metadata: c.metadata,
        });
      }
    }
    journal.rewrite(latest);
    this.appended = 0;
  }
}
