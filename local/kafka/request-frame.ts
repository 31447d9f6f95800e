/**
 * A whole request as it goes on the wire, for the clients that write it (the local runtime's, the
 * tests') and the broker and tools that read it: size, header (v1, or v2 with a tag section for
 * flexible versions), body. The client id is a classic nullable string in both header versions.
 */
import { decodeMessage, encodeMessage, type Struct } from './message-codec';
import { Reader, Writer } from './primitives';
import { inRange, type ApiSchema, type MessageSchema } from './schema';

/** The fields of a request header. */
export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

/** A request frame: size, header (v1, or v2 with its empty tag section for flexible versions), body. */
export function requestFrame(
  schema: MessageSchema,
  version: number,
  body: Struct,
  correlationId: number,
  clientId: string | null,
): Buffer {
  const w = new Writer();
  const sizeAt = w.reserveInt32();
  w.int16(schema.apiKey).int16(version).int32(correlationId).nullableString(clientId);
  if (inRange(schema.flexibleVersions, version)) w.uvarint(0);
  encodeMessage(schema, version, body, w);
  w.patchInt32(sizeAt, w.length - 4);
  return Buffer.from(w.toBuffer());
}

/** Reads a request header's fields; for a flexible version its tag section follows (readRequestBody). */
export function readRequestHeader(r: Reader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString(); // never compact, even in header v2
  return { apiKey, apiVersion, correlationId, clientId };
}

/** What follows the header's fields: header v2's tag section (flexible versions), then the body. */
export function readRequestBody(schema: MessageSchema, version: number, r: Reader): Struct {
  if (inRange(schema.flexibleVersions, version)) r.taggedFields(() => undefined);
  return decodeMessage(schema, version, r);
}

/** A request frame's header and decoded body (`frame` without its size prefix). */
export function decodeRequest(schema: ApiSchema, frame: Buffer): { header: RequestHeader; body: Struct } {
  const r = new Reader(frame);
  const header = readRequestHeader(r);
  return { header, body: readRequestBody(schema.request, header.apiVersion, r) };
}
