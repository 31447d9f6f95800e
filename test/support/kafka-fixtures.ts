/**
 * The committed protocol fixtures (local/kafka/fixtures) and what reads them besides our codec: Apache
 * Kafka's own generated message classes, run on the JVM from the jars scripts/install-test-deps.sh
 * installs. Used by scripts/capture-kafka-fixtures.ts (which writes the fixtures) and by the
 * conformance test that holds every fixture, and every version of every layout, to Kafka's reading.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MESSAGE_SCHEMAS } from '../../local/kafka/messages';
import { decodeRequest, requestFrame } from '../../local/kafka/request-frame';
import { decodeResponse, responseFrame } from '../../local/kafka/response-frame';
import { inRange, type ApiSchema, type Field, type Primitive } from '../../local/kafka/schema';
import { APACHE_KAFKA_LIBS, runJavaClass } from './apache-kafka';

const ROOT = path.join(__dirname, '..', '..');
export const FIXTURES = path.join(ROOT, 'local', 'kafka', 'fixtures');
const MESSAGES = path.join(ROOT, 'local', 'kafka', 'messages');

/** The message files by api key: `00-produce` for 0. */
export function messageFiles(): Map<number, string> {
  const files = new Map<number, string>();
  for (const file of readdirSync(MESSAGES)) {
    const match = /^(\d+)-([a-z-]+)\.ts$/.exec(file);
    if (match) files.set(Number(match[1]), file.slice(0, -3));
  }
  return files;
}

/** A value of `type` other than its default, from a running counter `n` (so values differ by field). */
function primitiveExemplar(type: Primitive, name: string, n: number): unknown {
  switch (type) {
    case 'bool':
      return true;
    case 'int64':
      return BigInt(n);
    case 'float64':
      return n + 0.5;
    case 'string':
      return name;
    case 'bytes':
      return Buffer.from(name);
    case 'records':
      return null;
    case 'uuid':
      return Buffer.alloc(16, n);
    default:
      return n;
  }
}

/**
 * Every field of `fields` present in `version`, each set; arrays hold one element. With `nulls`, every
 * field that may be null in `version` is null instead (the other side of each nullable encoding).
 */
function exemplar(
  fields: readonly Field[],
  version: number,
  next: () => number,
  nulls = false,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    if (nulls && inRange(f.nullableVersions, version)) {
      out[f.name] = null;
      continue;
    }
    switch (f.kind) {
      case 'primitive':
        out[f.name] = primitiveExemplar(f.type!, f.name, next());
        break;
      case 'array':
        out[f.name] = [primitiveExemplar(f.type!, f.name, next())];
        break;
      case 'structArray':
        out[f.name] = [exemplar(f.fields!, version, next, nulls)];
        break;
      case 'struct':
        out[f.name] = exemplar(f.fields!, version, next, nulls);
        break;
    }
  }
  return out;
}

/** The layout of a message file (`00-produce`), by the api key its name starts with. */
export async function schemaOf(file: string): Promise<ApiSchema> {
  const schema = MESSAGE_SCHEMAS.get(Number(/^\d+/.exec(file)?.[0]));
  if (!schema) throw new Error(`no message layout for ${file}`);
  return Promise.resolve(schema);
}

/** Fixture versions by message file, from the file names. */
export function fixtureVersions(folder: string): Map<number, string[]> {
  const versions = new Map<number, string[]>();
  const dir = path.join(FIXTURES, folder);
  const files = readdirSync(FIXTURES).includes(folder) ? readdirSync(dir) : [];
  for (const file of files.sort()) {
    const match = /^v(\d+)\.([a-z0-9-]+)\.json$/.exec(file);
    if (match) versions.set(Number(match[1]), [...(versions.get(Number(match[1])) ?? []), match[2]]);
  }
  return new Map([...versions.entries()].sort(([a], [b]) => a - b));
}

/** A fixture of `schema` at `version` encoded by our codec from exemplar values. */
export function encodedFixture(schema: ApiSchema, version: number, nulls = false) {
  let n = 0;
  const next = () => ++n;
  const request = exemplar(schema.request.fields, version, next, nulls);
  const response = exemplar(schema.response.fields, version, next, nulls);
  return {
    apiKey: schema.request.apiKey,
    version,
    source:
      'encoded here: our codec, from exemplar values (scripts/capture-kafka-fixtures.ts --encode-missing)',
    clientId: 'encoded-here',
    request: requestFrame(schema.request, version, request, 1, 'encoded-here').subarray(4).toString('hex'),
    response: responseFrame(schema, version, 1, response).subarray(4).toString('hex'),
  };
}

/**
 * Reads fixture files (named on the command line) with Apache Kafka's generated message classes: for
 * each side, the header parsed by Kafka, the body read at the fixture's version, how many bytes were
 * left unread, whether writing it back gives the same bytes, and the message as Kafka's JSON converter
 * writes it. One JSON line per side.
 */
const KAFKA_READER = `
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.MessageUtil;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;

public final class KafkaFixtureReader {
  public static void main(String[] args) throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    for (String file : args) {
      JsonNode fixture = mapper.readTree(new File(file));
      short key = (short) fixture.get("apiKey").asInt();
      short version = (short) fixture.get("version").asInt();
      ApiMessageType type = ApiMessageType.fromApiKey(key);
      read(mapper, file, true, type, version, fixture.get("request").asText());
      if (!fixture.get("response").isNull()) read(mapper, file, false, type, version, fixture.get("response").asText());
    }
  }

  private static void read(ObjectMapper mapper, String file, boolean request, ApiMessageType type, short version, String hex) {
    ObjectNode out = mapper.createObjectNode();
    out.put("file", file);
    out.put("side", request ? "request" : "response");
    try {
      byte[] bytes = HexFormat.of().parseHex(hex);
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      if (request) RequestHeader.parse(buffer);
      else ResponseHeader.parse(buffer, type.responseHeaderVersion(version));
      int start = buffer.position();
      ApiMessage message = request ? type.newRequest() : type.newResponse();
      message.read(new ByteBufferAccessor(buffer), version);
      out.put("unread", buffer.remaining());
      ByteBuffer again = MessageUtil.toByteBuffer(message, version);
      byte[] written = new byte[again.remaining()];
      again.get(written);
      out.put("sameBytes", Arrays.equals(written, Arrays.copyOfRange(bytes, start, bytes.length - buffer.remaining())));
      out.put("unknownTags", message.unknownTaggedFields().size());
      Class<?> converter = Class.forName(message.getClass().getName() + "JsonConverter");
      out.set("json", (JsonNode) converter.getMethod("write", message.getClass(), short.class, boolean.class).invoke(null, message, version, false));
    } catch (Throwable e) {
      out.put("error", e.toString());
    }
    System.out.println(out);
  }
}
`;

/** One side of a fixture as Kafka's message classes read it. */
interface KafkaReading {
  readonly file: string;
  readonly side: 'request' | 'response';
  readonly unread?: number;
  readonly sameBytes?: boolean;
  readonly unknownTags?: number;
  readonly json?: unknown;
  readonly error?: string;
}

/** Where our reading of a message (`ours`, decoded with `fields`) and Kafka's JSON (`theirs`) disagree. */
function disagreements(
  fields: readonly Field[],
  version: number,
  ours: unknown,
  theirs: unknown,
  at: string,
): string[] {
  const o = ours as Record<string, unknown>;
  const t = theirs as Record<string, unknown>;
  const found: string[] = [];
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    // Kafka's converter writes a records field as its size unless asked to serialize the records.
    const camel = `${f.name[0].toLowerCase()}${f.name.slice(1)}`;
    const name = f.type === 'records' && `${camel}SizeInBytes` in t ? `${camel}SizeInBytes` : camel;
    const where = `${at}.${f.name}`;
    if (!(name in t)) {
      if (f.taggedVersions === undefined || !inRange(f.taggedVersions, version))
        found.push(`${where}: Kafka has no such field`);
      continue;
    }
    found.push(...valueDisagreements(f, version, o[f.name], t[name], where));
  }
  return found;
}

function valueDisagreements(f: Field, version: number, ours: unknown, theirs: unknown, at: string): string[] {
  if (ours === null || theirs === null)
    return ours === theirs ? [] : [`${at}: ours ${String(ours)}, Kafka's ${JSON.stringify(theirs)}`];
  switch (f.kind) {
    case 'struct':
      return disagreements(f.fields!, version, ours, theirs, at);
    case 'structArray':
    case 'array': {
      const a = ours as unknown[];
      const b = theirs as unknown[];
      if (a.length !== b.length) return [`${at}: ${a.length} elements, Kafka's ${b.length}`];
      return a.flatMap((x, i) =>
        f.kind === 'structArray'
          ? disagreements(f.fields!, version, x, b[i], `${at}[${i}]`)
          : primitiveDisagreement(f.type!, x, b[i], `${at}[${i}]`),
      );
    }
    case 'primitive':
      return primitiveDisagreement(f.type!, ours, theirs, at);
  }
}

function primitiveDisagreement(type: Primitive, ours: unknown, theirs: unknown, at: string): string[] {
  let same: boolean;
  if (Buffer.isBuffer(ours)) {
    same =
      theirs === ours.toString('base64') ||
      theirs === ours.toString('base64url') ||
      (type === 'records' && theirs === ours.length);
  } else if (typeof ours === 'bigint') same = BigInt(theirs as number) === ours || Number(ours) === theirs;
  else same = ours === theirs;
  return same ? [] : [`${at}: ours ${String(ours)}, Kafka's ${JSON.stringify(theirs)}`];
}

/** The committed fixture files. */
function fixtureFiles(): string[] {
  return [...messageFiles().values()].flatMap((folder) =>
    [...fixtureVersions(folder).entries()].flatMap(([v, clients]) =>
      clients.map((c) => path.join(FIXTURES, folder, `v${v}.${c}.json`)),
    ),
  );
}

/**
 * Every version of every message encoded from exemplar values into a temporary folder, so that the
 * check below holds each schema version, not just those with fixtures, to Kafka's reading of it.
 */
async function everyVersionEncoded(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const [key, folder] of messageFiles()) {
    const schema = await schemaOf(folder);
    const { min, max } = schema.request.validVersions;
    for (let version = min; version <= max; version++) {
      for (const nulls of [false, true]) {
        const file = path.join(dir, `${folder}.v${version}${nulls ? '.nulls' : ''}.json`);
        writeFileSync(file, JSON.stringify(encodedFixture(schema, version, nulls)));
        files.push(file);
      }
    }
    if (schema.request.apiKey !== key) throw new Error(`${folder} declares api key ${schema.request.apiKey}`);
  }
  return files;
}

/** One fixture side as Apache Kafka's classes and our codec read it; `problems` is empty when they agree. */
export interface KafkaCheck {
  /** The fixture file, relative to local/kafka/fixtures (or to the temporary folder of every version). */
  readonly name: string;
  readonly side: 'request' | 'response';
  readonly problems: readonly string[];
}

/**
 * Has Apache Kafka's message classes read each committed fixture (or, with `allVersions`, exemplars of
 * every version of every message) and compares what they read with what our codec reads.
 */
export async function checkWithKafka(allVersions: boolean): Promise<KafkaCheck[]> {
  const classes = mkdtempSync(path.join(tmpdir(), 'kw-fixture-reader-'));
  try {
    const source = path.join(classes, 'KafkaFixtureReader.java');
    writeFileSync(source, KAFKA_READER);
    await new Promise<void>((resolve, reject) =>
      execFile(
        'javac',
        ['-d', classes, '-cp', path.join(APACHE_KAFKA_LIBS, '*'), source],
        (error, _o, err) => (error ? reject(new Error(err)) : resolve()),
      ),
    );
    const files = allVersions ? await everyVersionEncoded(classes) : fixtureFiles();
    const run = await runJavaClass('KafkaFixtureReader', files, { classpath: classes, timeoutMs: 300_000 });
    if (run.code !== 0) throw new Error(`the Kafka reader exited ${run.code}: ${run.err.slice(-2000)}`);
    const checks: KafkaCheck[] = [];
    for (const line of run.out.split('\n').filter((l) => l.startsWith('{'))) {
      const reading = JSON.parse(line) as KafkaReading;
      const fixture = JSON.parse(readFileSync(reading.file, 'utf8')) as {
        apiKey: number;
        version: number;
        request: string;
        response: string;
      };
      const schema = await schemaOf(messageFiles().get(fixture.apiKey)!);
      const problems: string[] = [];
      if (reading.error) problems.push(`Kafka cannot read it: ${reading.error}`);
      else {
        if (reading.unread !== 0) problems.push(`Kafka left ${reading.unread} bytes unread`);
        if (!reading.sameBytes) problems.push('Kafka writes it back differently');
        if (reading.unknownTags) problems.push(`${reading.unknownTags} tagged fields Kafka does not know`);
        try {
          const ours =
            reading.side === 'request'
              ? decodeRequest(schema, Buffer.from(fixture.request, 'hex')).body
              : decodeResponse(schema, fixture.version, Buffer.from(fixture.response, 'hex')).body;
          const message = reading.side === 'request' ? schema.request : schema.response;
          problems.push(...disagreements(message.fields, fixture.version, ours, reading.json, ''));
        } catch (error) {
          problems.push(`our codec cannot read it: ${(error as Error).message}`);
        }
      }
      const name = path.relative(allVersions ? classes : FIXTURES, reading.file);
      checks.push({ name, side: reading.side, problems });
    }
    return checks;
  } finally {
    rmSync(classes, { recursive: true, force: true });
  }
}
