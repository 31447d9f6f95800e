/** Hand-built record batches for tests that bypass client libraries. */
import { crc32c } from '../../local/kafka/crc32c';
import { Writer } from '../../local/kafka/primitives';

/** A one-record, uncompressed v2 batch with a correct CRC. */
export function batch(value: Buffer, options: { key?: Buffer; timestamp?: bigint } = {}): Buffer {
  const timestamp = options.timestamp ?? BigInt(Date.now());
  const record = new Writer().int8(0).varlong(0n).varint(0);
  if (options.key) record.varint(options.key.length).raw(options.key);
  else record.varint(-1);
  record.varint(value.length).raw(value).varint(0);
  const body = record.toBuffer();
  const records = new Writer().varint(body.length).raw(body).toBuffer();
  const w = new Writer();
  w.int64(0n)
    .int32(49 + records.length)
    .int32(-1)
    .int8(2)
    .uint32(0);
  w.int16(0).int32(0).int64(timestamp).int64(timestamp).int64(-1n).int16(-1).int32(-1).int32(1).raw(records);
  const buf = Buffer.from(w.toBuffer());
  buf.writeUInt32BE(crc32c(buf, 21), 17);
  return buf;
}
