/**
 * Kafka's primitive wire types: fixed-width big-endian integers, zig-zag varints, classic and compact
 * (flexible-version) strings, bytes and arrays, UUIDs and tagged-field sections.
 *
 * Reader throws {@link ProtocolError} on anything malformed (truncation, negative lengths other than
 * null, bad UTF-8 is tolerated as Kafka does); the connection handler closes that connection only.
 */

/** A frame that cannot be decoded: the connection that sent it is closed. */
export class ProtocolError extends Error {
  public override readonly name = 'ProtocolError';
}

export class Reader {
  private offset = 0;

  constructor(private readonly buf: Buffer) {}

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  private need(n: number): void {
    if (n < 0 || this.offset + n > this.buf.length) {
      throw new ProtocolError(
        `truncated: need ${n} bytes at ${this.offset}, have ${this.buf.length - this.offset}`,
      );
    }
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.offset++);
  }
  bool(): boolean {
    return this.int8() !== 0;
  }
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }
  float64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  /** Unsigned LEB128 varint (up to 32 bits). */
  uvarint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1);
      const byte = this.buf[this.offset++];
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
    }
    throw new ProtocolError('varint longer than 5 bytes');
  }
  /** Zig-zag signed varint (32 bits). */
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }
  /** Zig-zag signed varlong (64 bits). */
  varlong(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      this.need(1);
      const byte = this.buf[this.offset++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return (result >> 1n) ^ -(result & 1n);
    }
    throw new ProtocolError('varlong longer than 10 bytes');
  }

  raw(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  uuid(): Buffer {
    return Buffer.from(this.raw(16));
  }

  /** int16 length, -1 = null. */
  nullableString(): string | null {
    const len = this.int16();
    if (len === -1) return null;
    if (len < -1) throw new ProtocolError(`invalid string length ${len}`);
    return this.raw(len).toString('utf8');
  }
  /** uvarint length + 1, 0 = null. */
  compactNullableString(): string | null {
    const len = this.uvarint() - 1;
    if (len === -1) return null;
    return this.raw(len).toString('utf8');
  }
  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len === -1) return null;
    if (len < -1) throw new ProtocolError(`invalid bytes length ${len}`);
    return this.raw(len);
  }
  compactNullableBytes(): Buffer | null {
    const len = this.uvarint() - 1;
    if (len === -1) return null;
    return this.raw(len);
  }
  /** Array length: int32 (-1 = null) or compact uvarint (0 = null). */
  arrayLength(compact: boolean): number {
    const len = compact ? this.uvarint() - 1 : this.int32();
    if (len < -1) throw new ProtocolError(`invalid array length ${len}`);
    // Each element takes at least one byte: a larger count is a lie that would make us loop.
    if (len > this.remaining) throw new ProtocolError(`array of ${len} elements in ${this.remaining} bytes`);
    return len;
  }

  /** Reads a tagged-field section, handing each (tag, reader over its bytes) to `onTag`. */
  taggedFields(onTag: (tag: number, field: Reader) => void): void {
    const count = this.uvarint();
    if (count > this.remaining) throw new ProtocolError(`${count} tagged fields in ${this.remaining} bytes`);
    let last = -1;
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      if (tag <= last) throw new ProtocolError(`tagged fields out of order: ${tag} after ${last}`);
      last = tag;
      const size = this.uvarint();
      onTag(tag, new Reader(this.raw(size)));
    }
  }
}

/** Grows a buffer as values are appended; `toBuffer()` returns exactly what was written. */
export class Writer {
  private buf: Buffer;
  private offset = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.offset;
  }

  private ensure(n: number): void {
    if (this.offset + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.offset + n));
    this.buf.copy(next, 0, 0, this.offset);
    this.buf = next;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.offset++);
    return this;
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.offset);
    this.offset += 2;
    return this;
  }
  uint16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.offset);
    this.offset += 2;
    return this;
  }
  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.offset);
    this.offset += 4;
    return this;
  }
  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.offset);
    this.offset += 4;
    return this;
  }
  int64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.offset);
    this.offset += 8;
    return this;
  }
  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.offset);
    this.offset += 8;
    return this;
  }
  uvarint(v: number): this {
    let u = v >>> 0;
    this.ensure(5);
    while (u >= 0x80) {
      this.buf[this.offset++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    this.buf[this.offset++] = u;
    return this;
  }
  varint(v: number): this {
    return this.uvarint((v << 1) ^ (v >> 31));
  }
  varlong(v: bigint): this {
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    this.ensure(10);
    while (u >= 0x80n) {
      this.buf[this.offset++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.offset++] = Number(u);
    return this;
  }
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.offset);
    this.offset += bytes.length;
    return this;
  }
  uuid(v: Uint8Array | null | undefined): this {
    if (v && v.length !== 16) throw new Error(`uuid must be 16 bytes, got ${v.length}`);
    return this.raw(v ?? Buffer.alloc(16));
  }
  nullableString(v: string | null): this {
    if (v === null) return this.int16(-1);
    const bytes = Buffer.from(v, 'utf8');
    return this.int16(bytes.length).raw(bytes);
  }
  compactNullableString(v: string | null): this {
    if (v === null) return this.uvarint(0);
    const bytes = Buffer.from(v, 'utf8');
    return this.uvarint(bytes.length + 1).raw(bytes);
  }
  nullableBytes(v: Uint8Array | null): this {
    if (v === null) return this.int32(-1);
    return this.int32(v.length).raw(v);
  }
  compactNullableBytes(v: Uint8Array | null): this {
    if (v === null) return this.uvarint(0);
    return this.uvarint(v.length + 1).raw(v);
  }
  arrayLength(length: number | null, compact: boolean): this {
    if (length === null) return compact ? this.uvarint(0) : this.int32(-1);
    return compact ? this.uvarint(length + 1) : this.int32(length);
  }
  /** Reserves 4 bytes for a length written later with {@link patchInt32}. */
  reserveInt32(): number {
    this.ensure(4);
    const at = this.offset;
    this.offset += 4;
    return at;
  }
  patchInt32(at: number, v: number): void {
    this.buf.writeInt32BE(v, at);
  }

  toBuffer(): Buffer {
    return this.buf.subarray(0, this.offset);
  }
}
