/**
 * Record batches (message format v2) as the broker handles them: checked as Kafka's log checks a
 * producer's batch, stored as received, served as stored. Records stay opaque except where Kafka reads
 * them too: their framing in uncompressed batches, keys for compacted topics, and timestamps for
 * ListOffsets; those reads also see inside gzip batches (Node's zlib), not the other codecs.
 *
 * The header's layout is `BatchField` below; the CRC (CRC-32C) covers the bytes from attributes on.
 */
import { gunzipSync } from 'node:zlib';
import { crc32c } from './crc32c';

/** Where each field of a batch header starts, and its wire type (Kafka's DefaultRecordBatch). */
export const BatchField = {
  /** int64 */
  baseOffset: 0,
  /** int32: the bytes after this field */
  batchLength: 8,
  /** int32 */
  partitionLeaderEpoch: 12,
  /** int8: 2 for record batches */
  magic: 16,
  /** uint32: CRC-32C of the bytes from `attributes` to the end */
  crc: 17,
  /** int16: compression, timestamp type, transactional, control bits */
  attributes: 21,
  /** int32 */
  lastOffsetDelta: 23,
  /** int64 */
  baseTimestamp: 27,
  /** int64 */
  maxTimestamp: 35,
  /** int64 */
  producerId: 43,
  /** int16 */
  producerEpoch: 51,
  /** int32 */
  baseSequence: 53,
  /** int32 */
  recordCount: 57,
} as const;

export const BATCH_HEADER_SIZE = 61;
/** Bytes before batchLength's count starts (baseOffset + batchLength). */
export const LOG_OVERHEAD = 12;
/** The smallest message of format v0 (Kafka's floor for any batch length). */
const SMALLEST_MESSAGE = 14;

/** Bits of a batch's attributes. */
export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE = 0x08;
const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;

export const COMPRESSION_GZIP = 1;
export const COMPRESSION_ZSTD = 4;

/**
 * Why a batch was refused, by the error Kafka answers: `corrupt` CORRUPT_MESSAGE, `invalid`
 * INVALID_RECORD, `unsupported` (an old message format, where a stored batch is read)
 * UNSUPPORTED_FOR_MESSAGE_FORMAT.
 */
export class InvalidBatchError extends Error {
  public override readonly name = 'InvalidBatchError';
  constructor(
    message: string,
    public readonly kind: 'corrupt' | 'invalid' | 'unsupported',
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

/**
 * Splits records into batches by their length fields (the framing every message format shares),
 * with each batch's magic byte; a length that does not fit, or a magic byte no format has, is corrupt.
 */
export function splitBatches(records: Buffer): { bytes: Buffer; magic: number }[] {
  const out: { bytes: Buffer; magic: number }[] = [];
  let at = 0;
  while (at < records.length) {
    if (records.length - at < LOG_OVERHEAD + 5) {
      throw new InvalidBatchError(`truncated batch at byte ${at}`, 'corrupt');
    }
    const batchLength = records.readInt32BE(at + BatchField.batchLength);
    if (batchLength < SMALLEST_MESSAGE || at + LOG_OVERHEAD + batchLength > records.length) {
      throw new InvalidBatchError(
        `batch length ${batchLength} at byte ${at} does not fit the request`,
        'corrupt',
      );
    }
    const magic = records.readInt8(at + BatchField.magic);
    if (magic < 0 || magic > 2) throw new InvalidBatchError(`invalid magic byte ${magic}`, 'corrupt');
    if (magic === 2 && LOG_OVERHEAD + batchLength < BATCH_HEADER_SIZE) {
      throw new InvalidBatchError(
        `a v2 batch of ${LOG_OVERHEAD + batchLength} bytes is shorter than its header`,
        'corrupt',
      );
    }
    out.push({ bytes: records.subarray(at, at + LOG_OVERHEAD + batchLength), magic });
    at += LOG_OVERHEAD + batchLength;
  }
  return out;
}

/** The header of a v2 batch (whose framing splitBatches checked). */
export function readBatch(bytes: Buffer): BatchInfo {
  const attributes = bytes.readInt16BE(BatchField.attributes);
  return {
    bytes,
    recordCount: bytes.readInt32BE(BatchField.recordCount),
    lastOffsetDelta: bytes.readInt32BE(BatchField.lastOffsetDelta),
    baseTimestamp: bytes.readBigInt64BE(BatchField.baseTimestamp),
    maxTimestamp: bytes.readBigInt64BE(BatchField.maxTimestamp),
    producerId: bytes.readBigInt64BE(BatchField.producerId),
    producerEpoch: bytes.readInt16BE(BatchField.producerEpoch),
    baseSequence: bytes.readInt32BE(BatchField.baseSequence),
    compression: attributes & ATTR_COMPRESSION_MASK,
    transactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    control: (attributes & ATTR_CONTROL) !== 0,
  };
}

/** Whether the stored CRC-32C matches the batch's content. */
export function crcMatches(bytes: Buffer): boolean {
  return bytes.readUInt32BE(BatchField.crc) === crc32c(bytes, BatchField.attributes, bytes.length);
}

/**
 * What Kafka's log validator refuses in a producer's batch header (INVALID_RECORD), in its order, or
 * undefined.
 */
export function headerProblem(batch: BatchInfo): string | undefined {
  if (batch.lastOffsetDelta < 0) return `invalid last offset delta ${batch.lastOffsetDelta}`;
  if (batch.recordCount <= 0) return `invalid record count ${batch.recordCount}`;
  if (batch.recordCount !== batch.lastOffsetDelta + 1) {
    return `record count ${batch.recordCount} does not match last offset delta ${batch.lastOffsetDelta}`;
  }
  if (batch.control) return 'clients may not write control batches';
  if (batch.producerId >= 0n && batch.baseSequence < 0) {
    return `producer ${batch.producerId} sent sequence number ${batch.baseSequence}`;
  }
  return undefined;
}

/** Splits and checks batches read back from storage or a fetch: magic 2, a matching CRC. */
export function parseBatches(records: Buffer): BatchInfo[] {
  return splitBatches(records).map(({ bytes, magic }) => {
    if (magic !== 2) {
      throw new InvalidBatchError(
        `message format v${magic} is not supported: use a client that writes v2 batches`,
        'unsupported',
      );
    }
    if (!crcMatches(bytes)) {
      throw new InvalidBatchError(
        `batch CRC mismatch: header says ${bytes.readUInt32BE(BatchField.crc)}, content gives ${crc32c(bytes, BatchField.attributes, bytes.length)}`,
        'corrupt',
      );
    }
    return readBatch(bytes);
  });
}

/** Assigns the batch its first offset: baseOffset sits outside the CRC, so nothing else changes. */
export function assignBaseOffset(bytes: Buffer, baseOffset: number): void {
  bytes.writeBigInt64BE(BigInt(baseOffset), BatchField.baseOffset);
}

/**
 * Marks the batch as LogAppendTime with the broker's clock (topic config message.timestamp.type).
 * Attributes and maxTimestamp are inside the CRC, so the CRC is recomputed.
 */
export function stampLogAppendTime(bytes: Buffer, now: number): void {
  bytes.writeInt16BE(bytes.readInt16BE(BatchField.attributes) | ATTR_TIMESTAMP_TYPE, BatchField.attributes);
  bytes.writeBigInt64BE(BigInt(now), BatchField.maxTimestamp);
  bytes.writeUInt32BE(crc32c(bytes, BatchField.attributes, bytes.length), BatchField.crc);
}

/** One record of a batch, as far as the broker reads it. */
export interface RecordView {
  /** Position in the batch (Kafka's BatchIndex in produce record errors). */
  readonly index: number;
  readonly offsetDelta: number;
  readonly timestamp: bigint;
  readonly hasKey: boolean;
}

/** The records section of a batch, decompressed if it is gzip; undefined for the other codecs. */
function recordsSection(bytes: Buffer): Buffer | undefined {
  const compression = bytes.readInt16BE(BatchField.attributes) & ATTR_COMPRESSION_MASK;
  const section = bytes.subarray(BATCH_HEADER_SIZE);
  if (compression === 0) return section;
  if (compression !== COMPRESSION_GZIP) return undefined;
  try {
    return gunzipSync(section);
  } catch {
    throw new InvalidBatchError('the gzip records of the batch do not decompress', 'invalid');
  }
}

/**
 * A read position over a batch's records that allocates nothing: the produce path walks every record
 * of every uncompressed batch, so varints are decoded in place and skipped fields are not copied.
 */
class RecordCursor {
  at = 0;
  constructor(private readonly buf: Buffer) {}

  /** A zigzag varint (int32). */
  varint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.at >= this.buf.length) throw new Error('a varint runs past the end');
      const byte = this.buf[this.at++];
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return (value >>> 1) ^ -(value & 1);
    }
    throw new Error('a varint longer than 5 bytes');
  }

  /** A zigzag varlong as a number (exact up to 2^53: a timestamp delta of 285,000 years). */
  varlong(): number {
    let value = 0;
    for (let scale = 1, n = 0; n < 10; n++, scale *= 128) {
      if (this.at >= this.buf.length) throw new Error('a varint runs past the end');
      const byte = this.buf[this.at++];
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    }
    throw new Error('a varlong longer than 10 bytes');
  }

  skip(n: number): void {
    if (n < 0 || this.at + n > this.buf.length) throw new Error(`a field of ${n} bytes runs past the end`);
    this.at += n;
  }

  get remaining(): number {
    return this.buf.length - this.at;
  }
}

/**
 * Walks the records of a v2 batch that are readable (no compression, or gzip), calling `visit` for
 * each; returns false for other codecs. Throws InvalidBatchError (`invalid`) when the records do not
 * parse as the header says: a record's length disagrees with its fields, fewer records than counted,
 * or bytes left over.
 */
function walkRecords(
  bytes: Buffer,
  visit?: (index: number, timestampDelta: number, offsetDelta: number, keyLength: number) => void,
): boolean {
  const section = recordsSection(bytes);
  if (!section) return false;
  const count = bytes.readInt32BE(BatchField.recordCount);
  const c = new RecordCursor(section);
  try {
    for (let index = 0; index < count; index++) {
      const length = c.varint();
      const start = c.at;
      c.skip(1); // attributes
      const timestampDelta = c.varlong();
      const offsetDelta = c.varint();
      const keyLength = c.varint();
      if (keyLength > 0) c.skip(keyLength);
      const valueLength = c.varint();
      if (valueLength > 0) c.skip(valueLength);
      const headers = c.varint();
      if (headers < 0) throw new Error(`${headers} headers`);
      for (let h = 0; h < headers; h++) {
        const headerKey = c.varint();
        if (headerKey < 0) throw new Error('a header without a key');
        c.skip(headerKey);
        const headerValue = c.varint();
        if (headerValue > 0) c.skip(headerValue);
      }
      if (c.at - start !== length) throw new Error(`record ${index} is not ${length} bytes long`);
      visit?.(index, timestampDelta, offsetDelta, keyLength);
    }
  } catch (error) {
    throw new InvalidBatchError(
      `the records of the batch do not parse: ${(error as Error).message}`,
      'invalid',
    );
  }
  if (c.remaining > 0) {
    throw new InvalidBatchError(`${c.remaining} bytes follow the batch's ${count} records`, 'invalid');
  }
  return true;
}

/** Checks that a batch's records parse as its header says (see walkRecords); false if unreadable. */
export function checkRecords(bytes: Buffer): boolean {
  return walkRecords(bytes);
}

/**
 * The records of a v2 batch, for batches without compression or with gzip; undefined for other codecs
 * (unreadable without their libraries). Throws as walkRecords does.
 */
export function readRecords(bytes: Buffer): RecordView[] | undefined {
  const logAppendTime = (bytes.readInt16BE(BatchField.attributes) & ATTR_TIMESTAMP_TYPE) !== 0;
  const baseTimestamp = bytes.readBigInt64BE(BatchField.baseTimestamp);
  const maxTimestamp = bytes.readBigInt64BE(BatchField.maxTimestamp);
  const out: RecordView[] = [];
  const readable = walkRecords(bytes, (index, timestampDelta, offsetDelta, keyLength) =>
    out.push({
      index,
      offsetDelta,
      // A log-append-time batch has one time for all its records: the one in its header.
      timestamp: logAppendTime ? maxTimestamp : baseTimestamp + BigInt(timestampDelta),
      hasKey: keyLength >= 0,
    }),
  );
  return readable ? out : undefined;
}
