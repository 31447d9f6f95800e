/**
 * Conformance: ApiVersions, unsupported versions and unknown API keys, sent as raw frames (a client
 * library would negotiate around all of them).
 */
import { ApiVersionsSchema } from '../../local/kafka/messages/18-api-versions';
import { MetadataSchema } from '../../local/kafka/messages/03-metadata';
import { HANDLERS } from '../../local/broker/handlers';
import { frameOf } from '../support/raw-kafka';
import { CLOSED, conformance, type Target } from './harness';

const scenario = conformance('versions');

/**
 * A request header for `apiKey` at `version`, then `body`: header v1, or v2 (an empty tagged-field
 * section after the client id) when `flexible`.
 */
function rawRequest(
  apiKey: number,
  version: number,
  body: Buffer = Buffer.alloc(0),
  flexible = false,
): Buffer {
  const header = Buffer.alloc(flexible ? 11 : 10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(version, 2);
  header.writeInt32BE(7, 4);
  header.writeInt16BE(-1, 8); // null client id
  return frameOf(Buffer.concat([header, body]));
}

/** An ApiVersions v3+ body: compact client software name and version ("c", "1"), no tagged fields. */
const FLEXIBLE_API_VERSIONS_BODY = Buffer.from([2, 0x63, 2, 0x31, 0]);

/** What the broker does with one raw frame: the response's error code, or that it hung up. */
async function answerTo(t: Target, frame: Buffer): Promise<unknown> {
  const connection = await t.connect();
  try {
    connection.send(frame);
    const response = await connection.nextFrame();
    if (response === CLOSED) return CLOSED;
    // ApiVersions answers with a v0 body: correlation id, then the error code.
    return { correlationId: response.readInt32BE(0), errorCode: response.readInt16BE(4) };
  } finally {
    connection.close();
  }
}

async function apiVersions(t: Target, version: number) {
  const response = await t.request(ApiVersionsSchema, version, {
    ClientSoftwareName: 'conformance',
    ClientSoftwareVersion: '1.0',
  });
  if (response === CLOSED) return CLOSED;
  return response;
}

for (const version of [0, 1, 2, 3, 4]) {
  scenario(`ApiVersions v${version} answers NONE`, async (t) => {
    const response = await apiVersions(t, version);
    return response === CLOSED ? CLOSED : { ErrorCode: response.ErrorCode };
  });
}

scenario('ApiVersions at a version newer than the broker speaks: UNSUPPORTED_VERSION in a v0 body', (t) =>
  answerTo(t, rawRequest(18, 99, FLEXIBLE_API_VERSIONS_BODY, true)),
);

scenario('an unknown API key closes the connection', (t) => answerTo(t, rawRequest(9999 & 0x7fff, 0)));

scenario('a known API at a version it does not speak closes the connection', (t) =>
  answerTo(t, rawRequest(3, 99)),
);

scenario('a frame shorter than a request header closes the connection', (t) =>
  answerTo(t, frameOf(Buffer.from([0, 3]))),
);

scenario('Metadata v1 with a body cut short closes the connection', (t) =>
  answerTo(t, rawRequest(MetadataSchema.request.apiKey, 1, Buffer.from([0, 0]))),
);

/** The version ranges both brokers advertise alike, by API key. */
const SHARED_RANGES: Readonly<Record<number, string>> = {
  2: '0-9',
  3: '0-12',
  8: '0-9',
  9: '0-9',
  10: '0-6',
  11: '0-9',
  12: '0-4',
  13: '0-5',
  14: '0-5',
  15: '0-5',
  16: '0-5',
  17: '0-1',
  18: '0-4',
  19: '0-7',
  20: '0-6',
  21: '0-2',
  22: '0-5',
  23: '0-4',
  32: '0-4',
  33: '0-2',
  36: '0-2',
  37: '0-3',
  42: '0-2',
  44: '0-1',
  47: '0-0',
};

/** The observation for every advertised key: the shared ranges with `own` in place, in key order. */
function ranges(own: Readonly<Record<number, string>>): string[] {
  const all = { ...SHARED_RANGES, ...own };
  return Object.keys(all)
    .map(Number)
    .sort((a, b) => a - b)
    .map((key) => `${key}:${all[key]}`);
}

/**
 * For every API the embedded broker advertises, the versions Apache Kafka advertises for it. The
 * embedded broker speaks a subset; SKIPPED.md's version table lists it.
 */
scenario(
  'ApiVersions: the version ranges of the APIs the embedded broker implements',
  async (t) => {
    const response = await apiVersions(t, 3);
    if (response === CLOSED) return CLOSED;
    const keys = response.ApiKeys as { ApiKey: number; MinVersion: number; MaxVersion: number }[];
    return [...HANDLERS.keys()]
      .sort((a, b) => a - b)
      .map((key) => {
        const k = keys.find((a) => a.ApiKey === key);
        return k ? `${key}:${k.MinVersion}-${k.MaxVersion}` : `${key}:absent`;
      });
  },
  {
    differs: {
      skipped: 'Request versions',
      apache: ranges({ 0: '0-11', 1: '0-17', 68: '0-0' }),
      embedded: ranges({ 0: '3-11', 1: '4-17', 68: '0-1' }),
    },
  },
);
