/**
 * Decodes the record batches (message format v2) a Fetch returns into records. Batches arrive whole,
 * so records before the requested offset are the caller's to skip; control batches (transaction
 * markers) hold no user records and are dropped here.
 */
import { gunzipSync } from 'node:zlib';
import { Reader } from '../../kafka/primitives';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE,
  COMPRESSION_GZIP,
  BATCH_HEADER_SIZE,
  BatchField,
  LOG_OVERHEAD,
} from '../../kafka/record-batch';

export interface KafkaRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: 'CREATE_TIME' | 'LOG_APPEND_TIME';
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly { readonly key: string; readonly value: Buffer | null }[];
}

const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** A batch compressed with a codec the local poller cannot read. */
export class UnsupportedCompressionError extends Error {
  public override readonly name = 'UnsupportedCompressionError';
}

/** Every record of every complete batch in `bytes`; a trailing partial batch is ignored. */
export function decodeRecords(bytes: Buffer): KafkaRecord[] {
  const out: KafkaRecord[] = [];
  let at = 0;
  while (bytes.length - at >= BATCH_HEADER_SIZE) {
    const size = LOG_OVERHEAD + bytes.readInt32BE(at + BatchField.batchLength);
    if (at + size > bytes.length) break; // a fetch may end inside a batch
    const batch = bytes.subarray(at, at + size);
    at += size;
    const attributes = batch.readInt16BE(BatchField.attributes);
    if (attributes & ATTR_CONTROL) continue; // control batch
    const baseOffset = Number(batch.readBigInt64BE(BatchField.baseOffset));
    const baseTimestamp = Number(batch.readBigInt64BE(BatchField.baseTimestamp));
    const maxTimestamp = Number(batch.readBigInt64BE(BatchField.maxTimestamp));
    const logAppendTime = (attributes & ATTR_TIMESTAMP_TYPE) !== 0;
    const count = batch.readInt32BE(BatchField.recordCount);
    const compression = attributes & ATTR_COMPRESSION_MASK;
    let body = batch.subarray(BATCH_HEADER_SIZE);
    if (compression === COMPRESSION_GZIP) body = gunzipSync(body);
    else if (compression !== 0) {
      throw new UnsupportedCompressionError(
        `records compressed with ${COMPRESSION_NAMES[compression] ?? compression} cannot be read by the local poller: produce with none or gzip`,
      );
    }
    const r = new Reader(body);
    for (let i = 0; i < count; i++) {
      r.varint(); // record length
      r.int8(); // attributes
      const timestampDelta = Number(r.varlong());
      const offsetDelta = r.varint();
      const key = readVarBytes(r);
      const value = readVarBytes(r);
      const headerCount = r.varint();
      const headers: { key: string; value: Buffer | null }[] = [];
      for (let h = 0; h < headerCount; h++) {
        const name = readVarBytes(r);
        headers.push({ key: name ? name.toString('utf8') : '', value: readVarBytes(r) });
      }
      out.push({
        offset: baseOffset + offsetDelta,
        timestamp: logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta,
        timestampType: logAppendTime ? 'LOG_APPEND_TIME' : 'CREATE_TIME',
        key,
        value,
        headers,
      });
    }
  }
  return out;
}

function readVarBytes(r: Reader): Buffer | null {
  const length = r.varint();
  return length < 0 ? null : r.raw(length);
}
