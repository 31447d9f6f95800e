/**
 * A whole response as it goes on the wire, for the broker that writes it and the clients (the local
 * runtime's, the tests') that read it: size, header, body. The header is v1 (an empty tagged-field
 * section after the correlation id) for flexible versions, except ApiVersions, whose response header
 * is always v0 so that a client can read it whatever version it asked for.
 */
import { decodeMessage, encodeMessage, type Struct } from './message-codec';
import { Reader, Writer } from './primitives';
import { inRange, type ApiSchema } from './schema';

const API_VERSIONS_KEY = 18;

/** Whether the response to `schema` at `version` carries header v1. */
function taggedHeader(schema: ApiSchema, version: number): boolean {
  return schema.response.apiKey !== API_VERSIONS_KEY && inRange(schema.response.flexibleVersions, version);
}

/** The response frame, size prefix included. */
export function responseFrame(
  schema: ApiSchema,
  version: number,
  correlationId: number,
  body: Struct,
): Buffer {
  const w = new Writer(512);
  const sizeAt = w.reserveInt32();
  w.int32(correlationId);
  if (taggedHeader(schema, version)) w.uvarint(0);
  encodeMessage(schema.response, version, body, w);
  w.patchInt32(sizeAt, w.length - 4);
  return w.toBuffer();
}

/** A response frame's correlation id and decoded body (`frame` without its size prefix). */
export function decodeResponse(
  schema: ApiSchema,
  version: number,
  frame: Buffer,
): { correlationId: number; body: Struct } {
  const r = new Reader(frame);
  const correlationId = r.int32();
  if (taggedHeader(schema, version)) r.taggedFields(() => undefined);
  return { correlationId, body: decodeMessage(schema.response, version, r) };
}
