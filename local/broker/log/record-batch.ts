/**
 * Record batches (message format v2) as the broker handles them: validated and stored as received,
 * served as stored. Only the header is read; records stay opaque (compressed or not), except to find
 * the offset of a timestamp inside an uncompressed batch.
 *
 * Header layout (61 bytes): baseOffset int64 @0, batchLength int32 @8, partitionLeaderEpoch int32 @12,
 * magic int8 @16, crc uint32 @17 (CRC-32C of bytes 21..end), attributes int16 @21, lastOffsetDelta
 * int32 @23, baseTimestamp int64 @27, maxTimestamp int64 @35, producerId int64 @43, producerEpoch
 * int16 @51, baseSequence int32 @53, recordCount int32 @57.
 */
import { Reader } from '../protocol/primitives';
import { crc32c } from './crc32c';

export const BATCH_HEADER_SIZE = 61;
/** Bytes before batchLength's count starts (baseOffset + batchLength). */
export const LOG_OVERHEAD = 12;

/** Bits of a batch's attributes (int16 @21). */
export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE = 0x08;
const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;

/** Why a batch was refused; mapped to a Kafka error code by the produce handler. */
export class InvalidBatchError extends Error {
  public override readonly name = 'InvalidBatchError';
  constructor(
    message: string,
    public readonly kind: 'corrupt' | 'unsupported',
  ) {
    super(message);
  }
}

/** What the broker needs from a batch header. */
export interface BatchInfo {
  /** The batch's bytes: a view into the request buffer, not a copy. */
  readonly bytes: Buffer;
  readonly recordCount: number;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: bigint;
  readonly maxTimestamp: bigint;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly compression: number;
  readonly transactional: boolean;
  readonly control: boolean;
}

/** Splits a produce request's records into batches, checking each one's framing, magic and CRC. */
export function parseBatches(records: Buffer): BatchInfo[] {
  const out: BatchInfo[] = [];
  let at = 0;
  while (at < records.length) {
    if (records.length - at < BATCH_HEADER_SIZE) {
      throw new InvalidBatchError(`truncated batch header at byte ${at}`, 'corrupt');
    }
    const batchLength = records.readInt32BE(at + 8);
    const size = LOG_OVERHEAD + batchLength;
    if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD || at + size > records.length) {
      throw new InvalidBatchError(
        `batch length ${batchLength} at byte ${at} does not fit the request`,
        'corrupt',
      );
    }
    const magic = records.readInt8(at + 16);
    if (magic !== 2) {
      throw new InvalidBatchError(
        `message format v${magic} is not supported: use a client that writes v2 batches`,
        'unsupported',
      );
    }
    const bytes = records.subarray(at, at + size);
    const expected = bytes.readUInt32BE(17);
    const actual = crc32c(bytes, 21, size);
    if (expected !== actual) {
      throw new InvalidBatchError(
        `batch CRC mismatch: header says ${expected}, content gives ${actual}`,
        'corrupt',
      );
    }
    const attributes = bytes.readInt16BE(21);
    const recordCount = bytes.readInt32BE(57);
    const lastOffsetDelta = bytes.readInt32BE(23);
    if (recordCount < 0 || lastOffsetDelta < 0) {
      throw new InvalidBatchError(
        `batch with ${recordCount} records and last offset delta ${lastOffsetDelta}`,
        'corrupt',
      );
    }
    out.push({
      bytes,
      recordCount,
      lastOffsetDelta,
      baseTimestamp: bytes.readBigInt64BE(27),
      maxTimestamp: bytes.readBigInt64BE(35),
      producerId: bytes.readBigInt64BE(43),
      producerEpoch: bytes.readInt16BE(51),
      baseSequence: bytes.readInt32BE(53),
      compression: attributes & ATTR_COMPRESSION_MASK,
      transactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
      control: (attributes & ATTR_CONTROL) !== 0,
    });
    at += size;
  }
  return out;
}

/** Assigns the batch its first offset: baseOffset sits outside the CRC, so nothing else changes. */
export function assignBaseOffset(bytes: Buffer, baseOffset: number): void {
  bytes.writeBigInt64BE(BigInt(baseOffset), 0);
}

/**
 * Marks the batch as LogAppendTime with the broker's clock (topic config message.timestamp.type).
 * Attributes and maxTimestamp are inside the CRC, so the CRC is recomputed.
 */
export function stampLogAppendTime(bytes: Buffer, now: number): void {
  bytes.writeInt16BE(bytes.readInt16BE(21) | ATTR_TIMESTAMP_TYPE, 21);
  bytes.writeBigInt64BE(BigInt(now), 35);
  bytes.writeUInt32BE(crc32c(bytes, 21, bytes.length), 17);
}

/**
 * The offset and timestamp of the first record at or after `timestamp` in an uncompressed create-time
 * batch; undefined if the batch is compressed (unreadable without decompressing), log-append-time (one
 * time for all records), has no such record, or its records cannot be read.
 */
export function offsetForTimestamp(
  bytes: Buffer,
  timestamp: bigint,
): { offset: number; timestamp: bigint } | undefined {
  const attributes = bytes.readInt16BE(21);
  if ((attributes & ATTR_COMPRESSION_MASK) !== 0 || (attributes & ATTR_TIMESTAMP_TYPE) !== 0)
    return undefined;
  try {
    return scanRecords(bytes, timestamp);
  } catch {
    return undefined; // a batch whose CRC was right but whose records are not: fall back to the batch
  }
}

function scanRecords(bytes: Buffer, timestamp: bigint): { offset: number; timestamp: bigint } | undefined {
  const baseOffset = Number(bytes.readBigInt64BE(0));
  const baseTimestamp = bytes.readBigInt64BE(27);
  const count = bytes.readInt32BE(57);
  const r = new Reader(bytes.subarray(BATCH_HEADER_SIZE));
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    const start = r.position;
    r.int8(); // attributes
    const timestampDelta = r.varlong();
    const offsetDelta = r.varint();
    if (baseTimestamp + timestampDelta >= timestamp)
      return { offset: baseOffset + offsetDelta, timestamp: baseTimestamp + timestampDelta };
    r.raw(length - (r.position - start));
  }
  return undefined;
}
