/**
 * One replica's log of a partition, in memory (and in its store): record batches in offset order, a
 * log start offset, a log end offset, a high watermark and the leader-epoch cache. The partition that
 * owns the replica moves the high watermark (replication/partition.ts); the last stable offset equals
 * it (no transactions).
 */
import type { PartitionStore } from '../storage/partition-store';
import { ProducerStates } from './producer-state';
import {
  BatchField,
  assignBaseOffset,
  InvalidBatchError,
  readRecords,
  stampLogAppendTime,
  type BatchInfo,
  type RecordView,
} from '../../kafka/record-batch';

interface StoredBatch {
  readonly baseOffset: number;
  /** Offset after the batch's last record. */
  readonly nextOffset: number;
  readonly maxTimestamp: bigint;
  readonly bytes: Buffer;
  /** When it was appended (broker clock), for retention of batches with odd timestamps. */
  readonly appendedAt: number;
}

/** Where a leader epoch began in this log (Kafka's leader-epoch checkpoint entries). */
export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

export interface ReadResult {
  /** Whole stored batches, the first containing the requested offset (it may start earlier). */
  readonly batches: Buffer[];
  readonly bytes: number;
}

/** A stored batch's records, or undefined when they cannot be read (a codec other than gzip, damage). */
function recordsOf(batch: StoredBatch): RecordView[] | undefined {
  try {
    return readRecords(batch.bytes);
  } catch (error) {
    if (error instanceof InvalidBatchError) return undefined;
    throw error;
  }
}

export class PartitionLog {
  private readonly batches: StoredBatch[] = [];
  private size = 0;
  logStartOffset = 0;
  private endOffset = 0;
  /** Idempotent producers' sequence state, rebuilt from the batches at start-up. */
  readonly producers = new ProducerStates();
  /** When the log was opened: the time it was last written until the first append. */
  private readonly openedAt = Date.now();
  /**
   * Offsets below it are on every in-sync replica: what consumers may read. Moved by the partition
   * (replication/partition.ts); a recovered log starts with it at its end.
   */
  highWatermark = 0;
  /** Leader epochs and the offset each began at, ascending (from the batches' PartitionLeaderEpoch). */
  private readonly epochs: EpochEntry[] = [];

  /**
   * @param store where batches are written before they are acknowledged; none keeps the log in memory.
   *   Batches the store recovered are loaded first.
   */
  constructor(readonly store?: PartitionStore) {
    if (!store) return;
    const now = Date.now();
    const recovered = store.recover();
    if (recovered.batches.length > 0)
      this.logStartOffset = Number(recovered.batches[0].readBigInt64BE(BatchField.baseOffset));
    for (const bytes of recovered.batches) this.pushStored(bytes, now);
    // Never hand out an offset again: a segment's name, or a journaled log start, may lie past the
    // last readable batch when a power loss took unflushed writes.
    if (recovered.nextOffset > this.endOffset) this.endOffset = this.logStartOffset = recovered.nextOffset;
    this.highWatermark = this.endOffset;
  }

  /** Offset the next record will get. */
  get logEndOffset(): number {
    return this.endOffset;
  }

  /** Moves the high watermark forward to `offset` (never back, never past the log end). */
  advanceHighWatermark(offset: number): boolean {
    const next = Math.min(offset, this.endOffset);
    if (next <= this.highWatermark) return false;
    this.highWatermark = next;
    return true;
  }

  /** Records that `epoch` began at `startOffset`, if it is newer than the latest epoch known. */
  noteEpoch(epoch: number, startOffset: number): void {
    const latest = this.epochs.at(-1);
    if (epoch < 0 || (latest && latest.epoch >= epoch)) return;
    this.epochs.push({ epoch, startOffset });
  }

  /** The newest leader epoch this log has seen, or -1. */
  get latestEpoch(): number {
    return this.epochs.at(-1)?.epoch ?? -1;
  }

  /** The leader-epoch cache, oldest first. */
  get epochEntries(): readonly EpochEntry[] {
    return this.epochs;
  }

  /**
   * OffsetForLeaderEpoch's answer, as Kafka's leader-epoch cache gives it: for the latest epoch, the
   * log end; for an older one, the largest epoch at or below it and the offset where the next epoch
   * began; -1/-1 for an epoch newer than any known (or -1 asked).
   */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    if (epoch < 0) return { epoch: -1, endOffset: -1 };
    if (epoch === this.latestEpoch) return { epoch, endOffset: this.endOffset };
    const higher = this.epochs.find((e) => e.epoch > epoch);
    if (!higher) return { epoch: -1, endOffset: -1 };
    const floor = this.epochs.filter((e) => e.epoch <= epoch).at(-1);
    return { epoch: floor ? floor.epoch : epoch, endOffset: higher.startOffset };
  }

  /** The leader epoch the record at `offset` was written in, or -1 if unknown. */
  epochForOffset(offset: number): number {
    return this.epochs.filter((e) => e.startOffset <= offset).at(-1)?.epoch ?? -1;
  }

  get sizeInBytes(): number {
    return this.size;
  }

  /**
   * Appends validated batches, assigning offsets by rewriting each baseOffset in place (and, when
   * given, the leader epoch, which the CRC does not cover). Returns the first offset assigned.
   */
  append(batches: readonly BatchInfo[], now: number, logAppendTime: boolean, leaderEpoch?: number): number {
    const first = this.endOffset;
    const prepared: { batch: BatchInfo; baseOffset: number; nextOffset: number }[] = [];
    let offset = this.endOffset;
    for (const received of batches) {
      // Stored batches are views into the request; one much smaller than the request's memory would
      // pin all of it (a 70-byte batch in a 20 MB request), so such a batch gets its own copy.
      const batch =
        received.bytes.byteLength * 2 < received.bytes.buffer.byteLength
          ? { ...received, bytes: Buffer.from(received.bytes) }
          : received;
      assignBaseOffset(batch.bytes, offset);
      if (leaderEpoch !== undefined) batch.bytes.writeInt32BE(leaderEpoch, BatchField.partitionLeaderEpoch);
      if (logAppendTime) stampLogAppendTime(batch.bytes, now);
      prepared.push({ batch, baseOffset: offset, nextOffset: offset + batch.lastOffsetDelta + 1 });
      offset += batch.lastOffsetDelta + 1;
    }
    // Disk first: if the write fails nothing below happens, so no offset, producer sequence or
    // acknowledgement refers to a batch the store does not hold.
    this.store?.append(prepared.map((p) => p.batch.bytes));
    for (const { batch, baseOffset, nextOffset } of prepared) {
      this.producers.record(
        batch.producerId,
        batch.producerEpoch,
        batch.baseSequence,
        batch.lastOffsetDelta,
        baseOffset,
        logAppendTime ? BigInt(now) : batch.maxTimestamp,
      );
      this.batches.push({
        baseOffset,
        nextOffset,
        maxTimestamp: logAppendTime ? BigInt(now) : batch.maxTimestamp,
        bytes: batch.bytes,
        appendedAt: now,
      });
      this.size += batch.bytes.length;
    }
    if (leaderEpoch !== undefined) this.noteEpoch(leaderEpoch, first);
    this.endOffset = offset;
    return first;
  }

  /**
   * A follower's append: batches copied from the leader's log, offsets, epochs and timestamps as the
   * leader stored them. They must continue this log exactly.
   */
  appendReplica(batches: readonly Buffer[], now: number): void {
    if (batches.length === 0) return;
    const first = Number(batches[0].readBigInt64BE(BatchField.baseOffset));
    if (first !== this.endOffset) {
      throw new Error(`replica append at ${first} does not continue the log ending at ${this.endOffset}`);
    }
    this.store?.append(batches);
    for (const bytes of batches) this.pushStored(bytes, now);
  }

  /**
   * Adds a batch whose offsets, epoch and timestamps are already in its bytes (recovered from the
   * store, or copied from the leader) at the end of the log, with its producer's sequence and epoch.
   */
  private pushStored(bytes: Buffer, now: number): void {
    const baseOffset = Number(bytes.readBigInt64BE(BatchField.baseOffset));
    const nextOffset = baseOffset + bytes.readInt32BE(BatchField.lastOffsetDelta) + 1;
    const maxTimestamp = bytes.readBigInt64BE(BatchField.maxTimestamp);
    const stored: StoredBatch = { baseOffset, nextOffset, maxTimestamp, bytes, appendedAt: now };
    this.recordProducer(stored);
    this.noteEpoch(bytes.readInt32BE(BatchField.partitionLeaderEpoch), baseOffset);
    this.batches.push(stored);
    this.size += bytes.length;
    this.endOffset = nextOffset;
  }

  /** The idempotent producer's state after a stored batch. */
  private recordProducer(b: StoredBatch): void {
    this.producers.record(
      b.bytes.readBigInt64BE(BatchField.producerId),
      b.bytes.readInt16BE(BatchField.producerEpoch),
      b.bytes.readInt32BE(BatchField.baseSequence),
      b.bytes.readInt32BE(BatchField.lastOffsetDelta),
      b.baseOffset,
      b.maxTimestamp,
    );
  }

  /**
   * Drops every batch at or past `offset` (a returning replica's records its leader does not have),
   * with the epochs that began there; `offset` must be a batch boundary.
   */
  truncateTo(offset: number): void {
    if (offset >= this.endOffset) return;
    while (this.batches.length > 0 && this.batches[this.batches.length - 1].baseOffset >= offset) {
      this.size -= this.batches.pop()!.bytes.length;
    }
    while (this.epochs.length > 0 && this.epochs[this.epochs.length - 1].startOffset >= offset)
      this.epochs.pop();
    this.endOffset = Math.max(offset, this.logStartOffset);
    if (this.highWatermark > this.endOffset) this.highWatermark = this.endOffset;
    this.rebuildProducers();
    this.store?.truncateTo(this.endOffset);
  }

  /** Idempotent producers' state as the batches still in the log leave it. */
  private rebuildProducers(): void {
    this.producers.clear();
    for (const b of this.batches) this.recordProducer(b);
  }

  /** Empties the log and starts it again at `offset` (a follower too far behind its leader's log start). */
  resetTo(offset: number): void {
    this.batches.length = 0;
    this.epochs.length = 0;
    this.size = 0;
    this.logStartOffset = this.endOffset = this.highWatermark = offset;
    this.producers.clear();
    this.store?.truncateTo(offset, true);
  }

  /** Index of the first batch whose records reach `offset` (binary search). */
  private indexFor(offset: number): number {
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid].nextOffset <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Batches from `offset` up to about `maxBytes` (always at least one whole batch if any), none
   * starting at or past `limit` (a consumer reads up to the high watermark, a follower to the end).
   */
  read(offset: number, maxBytes: number, limit = this.highWatermark): ReadResult {
    const out: Buffer[] = [];
    let bytes = 0;
    for (let i = this.indexFor(offset); i < this.batches.length; i++) {
      if (this.batches[i].baseOffset >= limit) break;
      const b = this.batches[i].bytes;
      if (out.length > 0 && bytes + b.length > maxBytes) break;
      out.push(b);
      bytes += b.length;
    }
    return { batches: out, bytes };
  }

  /**
   * Earliest readable offset whose record timestamp is ≥ `timestamp`, with that record's timestamp, or
   * undefined if none: as Kafka, the first batch whose max timestamp reaches it, then the first record
   * in it that does. Batches compressed with codecs other than gzip cannot be read: their first offset
   * and max timestamp stand in (SKIPPED.md).
   */
  offsetForTimestamp(timestamp: bigint): { offset: number; timestamp: bigint } | undefined {
    for (const batch of this.batches) {
      if (batch.nextOffset <= this.logStartOffset || batch.maxTimestamp < timestamp) continue;
      const records = recordsOf(batch);
      if (!records)
        return { offset: Math.max(batch.baseOffset, this.logStartOffset), timestamp: batch.maxTimestamp };
      const found = records.find(
        (r) => r.timestamp >= timestamp && batch.baseOffset + r.offsetDelta >= this.logStartOffset,
      );
      if (found) return { offset: batch.baseOffset + found.offsetDelta, timestamp: found.timestamp };
    }
    return undefined;
  }

  /**
   * The record with the largest timestamp (ListOffsets MAX_TIMESTAMP), as Kafka finds it: the first
   * readable batch with the largest max timestamp, then its first record with that timestamp (a
   * log-append-time batch's first record; an unreadable batch's first offset).
   */
  maxTimestampOffset(): { offset: number; timestamp: bigint } | undefined {
    let best: StoredBatch | undefined;
    for (const batch of this.batches) {
      if (batch.nextOffset <= this.logStartOffset) continue;
      if (!best || batch.maxTimestamp > best.maxTimestamp) best = batch;
    }
    if (!best) return undefined;
    const { baseOffset, maxTimestamp } = best;
    const top = recordsOf(best)?.find((r) => r.timestamp === maxTimestamp);
    return { offset: baseOffset + (top?.offsetDelta ?? 0), timestamp: maxTimestamp };
  }

  /**
   * ListOffsets v0: the offsets where log segments start and the log end, newest first, at most `max`,
   * of those written at or before `timestamp` (-1 the log end onwards, -2 the log start). Kafka answers
   * from its segment files' modification times; this log counts as one segment, written at its last
   * append, starting at the log start offset.
   */
  legacyOffsetsBefore(timestamp: bigint, max: number, now: number): number[] {
    const lastWritten = this.batches.at(-1)?.appendedAt ?? this.openedAt;
    const points = [{ offset: this.logStartOffset, writtenAt: lastWritten }];
    // Kafka adds the log end while the active segment holds anything.
    if (this.endOffset > 0) points.push({ offset: this.endOffset, writtenAt: now });
    let newest = points.length - 1;
    if (timestamp === -2n) newest = 0;
    else if (timestamp !== -1n) while (newest >= 0 && BigInt(points[newest].writtenAt) > timestamp) newest--;
    return points
      .slice(0, newest + 1)
      .reverse()
      .slice(0, Math.max(0, max))
      .map((p) => p.offset);
  }

  /** DeleteRecords: records before `offset` become unreadable; whole batches below it are dropped. */
  deleteBefore(offset: number): void {
    if (offset <= this.logStartOffset) return;
    this.logStartOffset = offset;
    if (offset > this.endOffset) this.endOffset = offset; // a journaled start beyond what recovery found
    while (this.batches.length > 0 && this.batches[0].nextOffset <= offset) {
      this.size -= this.batches.shift()!.bytes.length;
    }
    this.store?.dropBelow(this.logStartOffset);
  }

  /** Drops batches from the head that are older than `retentionMs` or beyond `retentionBytes`. */
  enforceRetention(now: number, retentionMs: number, retentionBytes: number): void {
    const expired = (b: StoredBatch) =>
      retentionMs >= 0 &&
      now - Math.max(Number(b.maxTimestamp), 0) > retentionMs &&
      now - b.appendedAt > retentionMs;
    // The active (last) batch is kept, as Kafka keeps the active segment.
    while (this.batches.length > 1) {
      const head = this.batches[0];
      const overSize = retentionBytes >= 0 && this.size - head.bytes.length >= retentionBytes;
      if (!expired(head) && !overSize) break;
      this.batches.shift();
      this.size -= head.bytes.length;
      this.logStartOffset = Math.max(this.logStartOffset, head.nextOffset);
    }
    this.store?.dropBelow(this.logStartOffset);
  }
}
