/**
 * Record batches (message format v2) built byte by byte for the produce and list-offsets scenarios,
 * and read back from fetch responses: a client library would never send a wrong magic, a bad CRC or a
 * resent sequence number on request, and hides what a broker stored (timestamp type, max timestamp).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { crc32c } from '../../local/kafka/crc32c';
import { Reader, Writer } from '../../local/kafka/primitives';

export interface RecordSpec {
  readonly value: string | null;
  readonly key?: string | null;
  /** The record's create time. @default the batch's base timestamp */
  readonly timestamp?: bigint;
}

export interface BatchSpec {
  readonly records: readonly RecordSpec[];
  /** @default the first record's timestamp, or now */
  readonly baseTimestamp?: bigint;
  /** Idempotent producer fields. @default -1 (not idempotent) */
  readonly producerId?: bigint;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  /** @default 'none' */
  readonly compression?: 'none' | 'gzip' | 'zstd';
  /** Written as the magic byte (the CRC is computed over what follows it either way). @default 2 */
  readonly magic?: number;
  /** Store a CRC that does not match the content. */
  readonly corruptCrc?: boolean;
  /** Overrides of header counts, for batches whose header disagrees with their records. */
  readonly recordCount?: number;
  readonly lastOffsetDelta?: number;
  /** A producer writes 0; a broker assigns offsets. @default 0 */
  readonly baseOffset?: bigint;
  /** Attribute bits set besides compression: 0x08 LogAppendTime, 0x10 transactional, 0x20 control. */
  readonly attributes?: number;
  /** Bytes in place of the encoded (and compressed) records, for batches whose records are garbage. */
  readonly payload?: Buffer;
}

const ATTR_TIMESTAMP_TYPE = 0x08;
const COMPRESSION_CODE = { none: 0, gzip: 1, zstd: 4 } as const;

function bytesOf(value: string | null | undefined): Buffer | null {
  return value === null || value === undefined ? null : Buffer.from(value);
}

function encodeRecord(record: RecordSpec, offsetDelta: number, baseTimestamp: bigint): Buffer {
  const w = new Writer()
    .int8(0)
    .varlong((record.timestamp ?? baseTimestamp) - baseTimestamp)
    .varint(offsetDelta);
  for (const field of [bytesOf(record.key), bytesOf(record.value)]) {
    if (field) w.varint(field.length).raw(field);
    else w.varint(-1);
  }
  w.varint(0); // no headers
  const body = w.toBuffer();
  return new Writer().varint(body.length).raw(body).toBuffer();
}

/** One v2 record batch as a producer would send it (baseOffset 0, partitionLeaderEpoch -1). */
export function recordBatch(spec: BatchSpec): Buffer {
  const baseTimestamp = spec.baseTimestamp ?? spec.records[0]?.timestamp ?? BigInt(Date.now());
  const timestamps = spec.records.map((r) => r.timestamp ?? baseTimestamp);
  const maxTimestamp = timestamps.reduce((a, b) => (b > a ? b : a), baseTimestamp);
  let records: Buffer = Buffer.concat(spec.records.map((r, i) => encodeRecord(r, i, baseTimestamp)));
  const compression = spec.compression ?? 'none';
  // zstd is only named in the attributes (the scenarios that use it never get past the version check).
  if (compression === 'gzip') records = gzipSync(records);
  if (spec.payload) records = spec.payload;
  const w = new Writer();
  w.int64(spec.baseOffset ?? 0n)
    .int32(49 + records.length)
    .int32(-1)
    .int8(spec.magic ?? 2)
    .uint32(0)
    .int16(COMPRESSION_CODE[compression] | (spec.attributes ?? 0))
    .int32(spec.lastOffsetDelta ?? spec.records.length - 1)
    .int64(baseTimestamp)
    .int64(maxTimestamp)
    .int64(spec.producerId ?? -1n)
    .int16(spec.producerEpoch ?? -1)
    .int32(spec.baseSequence ?? -1)
    .int32(spec.recordCount ?? spec.records.length)
    .raw(records);
  const batch = Buffer.from(w.toBuffer());
  const crc = crc32c(batch, 21);
  batch.writeUInt32BE(spec.corruptCrc ? (crc ^ 0xffff) >>> 0 : crc, 17);
  return batch;
}

/** What a stored batch's header says. */
export interface StoredBatchHeader {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly logAppendTime: boolean;
  readonly baseTimestamp: bigint;
  readonly maxTimestamp: bigint;
  readonly compression: number;
}

/** A stored record, for batches without compression or with gzip. */
export interface StoredRecord {
  readonly offset: number;
  readonly timestamp: bigint;
  readonly value: string | null;
}

/** Splits a fetch response's records into batches and reads their headers. */
export function batchHeaders(records: Buffer | null): StoredBatchHeader[] {
  const out: StoredBatchHeader[] = [];
  let at = 0;
  while (records && at + 61 <= records.length) {
    const size = 12 + records.readInt32BE(at + 8);
    if (at + size > records.length) break; // a partial batch at the end of a fetch
    const baseOffset = Number(records.readBigInt64BE(at));
    const attributes = records.readInt16BE(at + 21);
    out.push({
      baseOffset,
      lastOffset: baseOffset + records.readInt32BE(at + 23),
      logAppendTime: (attributes & ATTR_TIMESTAMP_TYPE) !== 0,
      baseTimestamp: records.readBigInt64BE(at + 27),
      maxTimestamp: records.readBigInt64BE(at + 35),
      compression: attributes & 0x07,
    });
    at += size;
  }
  return out;
}

/** Every record of every whole batch in `records` (uncompressed or gzip), with its offset and timestamp. */
export function storedRecords(records: Buffer | null): StoredRecord[] {
  const out: StoredRecord[] = [];
  let at = 0;
  for (const header of batchHeaders(records)) {
    const size = 12 + records!.readInt32BE(at + 8);
    const batch = records!.subarray(at, at + size);
    at += size;
    const body = header.compression === 1 ? gunzipSync(batch.subarray(61)) : batch.subarray(61);
    const r = new Reader(body);
    for (let i = 0; i < batch.readInt32BE(57); i++) {
      const length = r.varint();
      const start = r.position;
      r.int8();
      const timestampDelta = r.varlong();
      const offsetDelta = r.varint();
      const keyLength = r.varint();
      if (keyLength > 0) r.raw(keyLength);
      const valueLength = r.varint();
      const value = valueLength >= 0 ? r.raw(valueLength).toString() : null;
      r.raw(length - (r.position - start));
      out.push({
        offset: header.baseOffset + offsetDelta,
        timestamp: header.logAppendTime ? header.maxTimestamp : header.baseTimestamp + timestampDelta,
        value,
      });
    }
  }
  return out;
}
