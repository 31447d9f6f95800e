/** Hand-built record batches for tests that bypass client libraries. */
import { crc32c } from '../../local/broker/log/crc32c';
import { Writer } from '../../local/broker/protocol/primitives';

/** A one-record, uncompressed v2 batch with a correct CRC. */
export function batch(value: Buffer, timestamp = BigInt(Date.now())): Buffer {
  const record = new Writer()
    .int8(0)
    .varlong(0n)
    .varint(0)
    .varint(-1)
    .varint(value.length)
    .raw(value)
    .varint(0)
    .toBuffer();
  const records = new Writer().varint(record.length).raw(record).toBuffer();
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
