/**
 * Reads and writes any message declared with schema.ts, in any of its versions: regular fields in
 * order, classic or compact encodings by flexible version, and the tagged-field section.
 *
 * Decoded messages are plain objects keyed by field name (Kafka's PascalCase names); int64 values are
 * bigints, uuids and byte fields Buffers. Fields absent from a version take their defaults, so
 * handlers can read every field regardless of the version a client spoke.
 */
import { Reader, Writer, ProtocolError } from './primitives';
import { inRange, type Field, type MessageSchema, type Primitive } from './schema';

/** A decoded message or struct. */
export type Struct = Record<string, unknown>;

/** Bytes of a `records` field may be given as several chunks (stored batches) to write back to back. */
export type RecordsValue = Buffer | readonly Buffer[] | null;

const ZERO_UUID = Buffer.alloc(16);

function primitiveDefault(type: Primitive): unknown {
  switch (type) {
    case 'bool':
      return false;
    case 'int64':
      return 0n;
    case 'string':
      return '';
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return null;
    case 'uuid':
      return ZERO_UUID;
    default:
      return 0;
  }
}

/** The value a field has when a version does not carry it. */
export function fieldDefault(f: Field): unknown {
  if (f.default !== undefined) return f.default;
  switch (f.kind) {
    case 'primitive':
      return primitiveDefault(f.type!);
    case 'array':
    case 'structArray':
      return [];
    case 'struct':
      return structDefaults(f.fields!);
  }
}

function structDefaults(fields: readonly Field[]): Struct {
  const out: Struct = {};
  for (const f of fields) out[f.name] = fieldDefault(f);
  return out;
}

function readPrimitive(type: Primitive, r: Reader, flexible: boolean, nullable: boolean): unknown {
  switch (type) {
    case 'bool':
      return r.bool();
    case 'int8':
      return r.int8();
    case 'int16':
      return r.int16();
    case 'uint16':
      return r.uint16();
    case 'int32':
      return r.int32();
    case 'int64':
      return r.int64();
    case 'float64':
      return r.float64();
    case 'uuid':
      return r.uuid();
    case 'string': {
      const s = flexible ? r.compactNullableString() : r.nullableString();
      return s === null && !nullable ? '' : s;
    }
    case 'bytes':
    case 'records': {
      const b = flexible ? r.compactNullableBytes() : r.nullableBytes();
      return b === null && !nullable && type === 'bytes' ? Buffer.alloc(0) : b;
    }
  }
}

function readValue(f: Field, version: number, flexible: boolean, r: Reader): unknown {
  const nullable = inRange(f.nullableVersions, version);
  switch (f.kind) {
    case 'primitive':
      return readPrimitive(f.type!, r, flexible, nullable);
    case 'array': {
      const n = r.arrayLength(flexible);
      if (n === -1) return nullable ? null : [];
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = readPrimitive(f.type!, r, flexible, false);
      return out;
    }
    case 'structArray': {
      const n = r.arrayLength(flexible);
      if (n === -1) return nullable ? null : [];
      const out = new Array<Struct>(n);
      for (let i = 0; i < n; i++) out[i] = readFields(f.fields!, version, flexible, r);
      return out;
    }
    case 'struct': {
      if (nullable && r.int8() === -1) return null;
      return readFields(f.fields!, version, flexible, r);
    }
  }
}

function readFields(fields: readonly Field[], version: number, flexible: boolean, r: Reader): Struct {
  const out: Struct = {};
  for (const f of fields) {
    if (!inRange(f.versions, version) || (flexible && inRange(f.taggedVersions, version))) {
      out[f.name] = fieldDefault(f);
      continue;
    }
    out[f.name] = readValue(f, version, flexible, r);
  }
  if (flexible) {
    r.taggedFields((tag, fieldReader) => {
      const f = fields.find(
        (x) => x.tag === tag && inRange(x.taggedVersions, version) && inRange(x.versions, version),
      );
      if (f) out[f.name] = readValue(f, version, true, fieldReader); // unknown tags are skipped, as Kafka does
    });
  }
  return out;
}

/** Decodes a message body (after the header) at `version`. */
export function decodeMessage(schema: MessageSchema, version: number, r: Reader): Struct {
  if (!inRange(schema.validVersions, version)) {
    throw new ProtocolError(`${schema.name} v${version} is not supported`);
  }
  return readFields(schema.fields, version, inRange(schema.flexibleVersions, version), r);
}

function writePrimitive(type: Primitive, value: unknown, w: Writer, flexible: boolean): void {
  switch (type) {
    case 'bool':
      w.bool(Boolean(value));
      return;
    case 'int8':
      w.int8(Number(value ?? 0));
      return;
    case 'int16':
      w.int16(Number(value ?? 0));
      return;
    case 'uint16':
      w.uint16(Number(value ?? 0));
      return;
    case 'int32':
      w.int32(Number(value ?? 0));
      return;
    case 'int64':
      w.int64(BigInt((value as bigint | number | undefined) ?? 0));
      return;
    case 'float64':
      w.float64(Number(value ?? 0));
      return;
    case 'uuid':
      w.uuid(value as Buffer | null);
      return;
    case 'string': {
      const s = value === undefined ? '' : (value as string | null);
      if (flexible) w.compactNullableString(s);
      else w.nullableString(s);
      return;
    }
    case 'bytes':
    case 'records': {
      const chunks =
        value === null || value === undefined
          ? null
          : Array.isArray(value)
            ? (value as Buffer[])
            : [value as Buffer];
      if (chunks === null) {
        if (flexible) w.uvarint(0);
        else w.int32(-1);
        return;
      }
      const size = chunks.reduce((n, c) => n + c.length, 0);
      if (flexible) w.uvarint(size + 1);
      else w.int32(size);
      for (const c of chunks) w.raw(c);
      return;
    }
  }
}

function writeValue(f: Field, version: number, flexible: boolean, value: unknown, w: Writer): void {
  switch (f.kind) {
    case 'primitive':
      writePrimitive(f.type!, value, w, flexible);
      return;
    case 'array': {
      const items = value as unknown[] | null | undefined;
      if (items === null) {
        w.arrayLength(null, flexible);
        return;
      }
      w.arrayLength(items?.length ?? 0, flexible);
      for (const item of items ?? []) writePrimitive(f.type!, item, w, flexible);
      return;
    }
    case 'structArray': {
      const items = value as Struct[] | null | undefined;
      if (items === null) {
        w.arrayLength(null, flexible);
        return;
      }
      w.arrayLength(items?.length ?? 0, flexible);
      for (const item of items ?? []) writeFields(f.fields!, version, flexible, item, w);
      return;
    }
    case 'struct': {
      if (inRange(f.nullableVersions, version)) {
        if (value === null || value === undefined) {
          w.int8(-1);
          return;
        }
        w.int8(1);
      }
      writeFields(f.fields!, version, flexible, (value as Struct | undefined) ?? {}, w);
      return;
    }
  }
}

/** Whether a tagged field holds its default, so that, as in Kafka, it is left out of the tag section. */
function isDefaultValue(f: Field, value: unknown): boolean {
  if (value === undefined) return true;
  // A struct is at its default when each of its fields is (a fresh default object never equals it).
  if (f.kind === 'struct') {
    if (value === null) return f.default === null;
    return f.fields!.every((sub) => isDefaultValue(sub, (value as Struct)[sub.name]));
  }
  const d = fieldDefault(f);
  if (Array.isArray(value)) return value.length === 0 && Array.isArray(d);
  if (Buffer.isBuffer(value) && Buffer.isBuffer(d)) return value.equals(d);
  return value === d;
}

function writeFields(
  fields: readonly Field[],
  version: number,
  flexible: boolean,
  value: Struct,
  w: Writer,
): void {
  const tagged: Field[] = [];
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    if (flexible && inRange(f.taggedVersions, version)) {
      if (!isDefaultValue(f, value[f.name])) tagged.push(f);
      continue;
    }
    const v = value[f.name];
    writeValue(f, version, flexible, v === undefined ? fieldDefault(f) : v, w);
  }
  if (!flexible) return;
  tagged.sort((a, b) => a.tag! - b.tag!);
  w.uvarint(tagged.length);
  for (const f of tagged) {
    const sub = new Writer(64);
    writeValue(f, version, true, value[f.name], sub);
    w.uvarint(f.tag!).uvarint(sub.length).raw(sub.toBuffer());
  }
}

/** Encodes a message body at `version`. Missing fields are written as their defaults. */
export function encodeMessage(
  schema: MessageSchema,
  version: number,
  value: Struct,
  w: Writer = new Writer(),
): Writer {
  writeFields(schema.fields, version, inRange(schema.flexibleVersions, version), value, w);
  return w;
}
