/**
 * CRC-32C (Castagnoli), the checksum of Kafka record batches, checked on every produced batch.
 *
 * @node-rs/crc32 (SIMD, prebuilt for common platforms) when it loads: on the produce path the checksum
 * is the largest cost, and the portable version below runs at ~0.7 GB/s here, several times slower.
 * The portable fallback is slicing-by-8 over eight 256-entry tables.
 */
import { createRequire } from 'node:module';

type NativeCrc = (input: Buffer, initial?: number) => number;

const native: NativeCrc | undefined = (() => {
  try {
    return (createRequire(__filename)('@node-rs/crc32') as { crc32c: NativeCrc }).crc32c;
  } catch {
    return undefined;
  }
})();

/** Which implementation is in use, for diagnostics and benchmarks. */
export const crc32cImplementation = native ? '@node-rs/crc32 (native)' : 'portable (JavaScript)';
const POLY = 0x82f63b78; // reflected Castagnoli polynomial

const TABLES: Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    tables[0][i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    for (let t = 1; t < 8; t++) tables[t][i] = (tables[t - 1][i] >>> 8) ^ tables[0][tables[t - 1][i] & 0xff];
  }
  return tables;
})();

/** CRC-32C of `buf[start, end)`. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  if (native) return native(Buffer.from(buf.buffer, buf.byteOffset + start, end - start)) >>> 0;
  return crc32cPortable(buf, start, end);
}

/** The JavaScript implementation, used when the native one is unavailable. */
export function crc32cPortable(buf: Uint8Array, start = 0, end = buf.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let crc = 0xffffffff;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const lo = (crc ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24))) >>> 0;
    crc =
      t7[lo & 0xff] ^
      t6[(lo >>> 8) & 0xff] ^
      t5[(lo >>> 16) & 0xff] ^
      t4[lo >>> 24] ^
      t3[buf[i + 4]] ^
      t2[buf[i + 5]] ^
      t1[buf[i + 6]] ^
      t0[buf[i + 7]];
  }
  for (; i < end; i++) crc = (crc >>> 8) ^ t0[(crc ^ buf[i]) & 0xff];
  return (crc ^ 0xffffffff) >>> 0;
}
