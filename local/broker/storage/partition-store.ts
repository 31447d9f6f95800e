/**
 * One partition's log on disk: segment files named by their first offset (`00000000000000000042.log`),
 * each holding stored record batches back to back, exactly as served. Appends go to the newest
 * segment, which rolls once it reaches `segmentBytes`; segments wholly below the log start offset are
 * deleted. Recovery reads every segment, checks each batch's framing, CRC and offset continuity, and
 * truncates at the first one that fails (a tail torn by a crash), dropping any later segment.
 */
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import * as path from 'node:path';
import { crc32c } from '../../kafka/crc32c';
import { fsyncDirectory } from './journal';
import { BATCH_HEADER_SIZE, BatchField, LOG_OVERHEAD } from '../../kafka/record-batch';

const SEGMENT = /^(\d{20})\.log$/;

/** A write to the data directory failed; the produce that caused it gets KAFKA_STORAGE_ERROR. */
export class StorageError extends Error {
  public override readonly name = 'StorageError';
}

interface Segment {
  readonly baseOffset: number;
  readonly file: string;
  size: number;
}

/** What recovery found and what it had to cut. */
export interface RecoveryReport {
  readonly batches: Buffer[];
  /** Bytes removed from a torn or corrupt tail (0 when the log was clean). */
  readonly truncatedBytes: number;
  /** The lowest offset the next append may take: past every batch and every segment's base offset. */
  readonly nextOffset: number;
}

export class PartitionStore {
  private readonly segments: Segment[] = [];
  private fd: number | undefined;
  private dirty = false;

  constructor(
    readonly dir: string,
    private readonly segmentBytes: () => number,
    private readonly fsyncEachAppend: boolean,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  private static fileName(baseOffset: number): string {
    return `${String(baseOffset).padStart(20, '0')}.log`;
  }

  /** Reads the segments back, truncating a torn tail. Call once, before any append. */
  recover(): RecoveryReport {
    const files = readdirSync(this.dir)
      .map((f) => SEGMENT.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ baseOffset: Number(m[1]), file: path.join(this.dir, m[0]) }))
      .sort((a, b) => a.baseOffset - b.baseOffset);
    const batches: Buffer[] = [];
    let truncated = 0;
    let expected: number | undefined;
    for (let i = 0; i < files.length; i++) {
      const { baseOffset, file } = files[i];
      const data = readFileSync(file);
      let at = 0;
      let valid = true;
      while (at < data.length) {
        const size =
          data.length - at >= LOG_OVERHEAD
            ? LOG_OVERHEAD + data.readInt32BE(at + BatchField.batchLength)
            : -1;
        if (size < BATCH_HEADER_SIZE || at + size > data.length) {
          valid = false;
          break;
        }
        const batch = data.subarray(at, at + size);
        const offset = Number(batch.readBigInt64BE(BatchField.baseOffset));
        if (
          batch.readInt8(BatchField.magic) !== 2 ||
          batch.readUInt32BE(BatchField.crc) !== crc32c(batch, BatchField.attributes, size) ||
          (expected !== undefined && offset !== expected)
        ) {
          valid = false;
          break;
        }
        batches.push(batch);
        expected = offset + batch.readInt32BE(BatchField.lastOffsetDelta) + 1;
        at += size;
      }
      if (!valid) {
        truncated += data.length - at;
        const fd = openSync(file, 'r+');
        ftruncateSync(fd, at);
        fsyncSync(fd);
        closeSync(fd);
        this.segments.push({ baseOffset, file, size: at });
        for (const later of files.slice(i + 1)) {
          truncated += readFileSync(later.file).length;
          unlinkSync(later.file);
        }
        break;
      }
      this.segments.push({ baseOffset, file, size: data.length });
    }
    const lastBase = this.segments.at(-1)?.baseOffset ?? 0;
    return { batches, truncatedBytes: truncated, nextOffset: Math.max(expected ?? 0, lastBase) };
  }

  /** Writes batches (offsets already assigned) to the active segment before they are acknowledged. */
  append(batches: readonly Buffer[]): void {
    // Writes only ever grow the last segment or add new ones, so these two numbers are enough to undo.
    const segmentsBefore = this.segments.length;
    const activeSizeBefore = this.segments.at(-1)?.size;
    try {
      this.write(batches);
    } catch (error) {
      this.rollBack(segmentsBefore, activeSizeBefore);
      throw new StorageError(`could not write to ${this.dir}: ${(error as Error).message}`);
    }
    if (this.fsyncEachAppend) this.sync();
    else this.dirty = true;
  }

  /** Undoes a partly written append: a torn batch must not sit before later, acknowledged ones. */
  private rollBack(segmentsBefore: number, activeSizeBefore: number | undefined): void {
    this.closeActiveQuietly();
    while (this.segments.length > segmentsBefore) {
      const created = this.segments.pop()!;
      rmSync(created.file, { force: true });
    }
    const active = this.segments.at(-1);
    if (active && activeSizeBefore !== undefined && active.size !== activeSizeBefore) {
      active.size = activeSizeBefore;
      truncateSync(active.file, active.size);
    }
  }

  private closeActiveQuietly(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // the descriptor is unusable anyway
    }
    this.fd = undefined;
  }

  private write(batches: readonly Buffer[]): void {
    for (const batch of batches) {
      let active = this.segments.at(-1);
      if (!active || (active.size > 0 && active.size + batch.length > this.segmentBytes())) {
        this.closeActive();
        const baseOffset = Number(batch.readBigInt64BE(BatchField.baseOffset));
        active = { baseOffset, file: path.join(this.dir, PartitionStore.fileName(baseOffset)), size: 0 };
        this.segments.push(active);
      }
      if (this.fd === undefined) {
        const created = active.size === 0;
        this.fd = openSync(active.file, 'a');
        if (created) fsyncDirectory(this.dir); // the new segment's name must survive a power loss too
      }
      let written = 0;
      while (written < batch.length) written += writeSync(this.fd, batch, written, batch.length - written);
      active.size += batch.length;
    }
  }

  /** Flushes the active segment to the device if anything was written since the last flush. */
  sync(): void {
    if (this.fd !== undefined) fsyncSync(this.fd);
    this.dirty = false;
  }

  get needsSync(): boolean {
    return this.dirty;
  }

  /**
   * Cuts the log at `offset`, a batch boundary (a returning replica's records its leader does not
   * have): later segments go, the one holding `offset` is cut where that batch began. `empty` removes
   * every segment, so the next append (at `offset`) starts a new one.
   */
  truncateTo(offset: number, empty = false): void {
    this.closeActive();
    while (this.segments.length > 0 && (empty || this.segments.at(-1)!.baseOffset >= offset)) {
      const last = this.segments.at(-1)!;
      if (!empty && this.segments.length === 1 && last.baseOffset === offset) break;
      unlinkSync(this.segments.pop()!.file);
    }
    const active = this.segments.at(-1);
    if (active) {
      const data = readFileSync(active.file);
      let at = 0;
      while (at + LOG_OVERHEAD <= data.length) {
        if (Number(data.readBigInt64BE(at + BatchField.baseOffset)) >= offset) break;
        at += LOG_OVERHEAD + data.readInt32BE(at + BatchField.batchLength);
      }
      if (at < data.length) {
        truncateSync(active.file, at);
        active.size = at;
      }
    }
    fsyncDirectory(this.dir);
  }

  /** Deletes segments whose every record is below `logStartOffset` (the active one is kept). */
  dropBelow(logStartOffset: number): void {
    let removed = false;
    while (this.segments.length > 1 && this.segments[1].baseOffset <= logStartOffset) {
      unlinkSync(this.segments.shift()!.file);
      removed = true;
    }
    if (removed) fsyncDirectory(this.dir);
  }

  private closeActive(): void {
    if (this.fd === undefined) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
  }

  close(): void {
    this.closeActive();
  }
}
