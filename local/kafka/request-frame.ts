/** Encodes a whole request as it goes on the wire; used by the local runtime's client and by tests. */
import { encodeMessage, type Struct } from './message-codec';
import { Writer } from './primitives';
import { inRange, type MessageSchema } from './schema';

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
