/**
 * Records what real Kafka clients send Apache Kafka and what it answers, as the per-version request and
 * response fixtures in local/kafka/fixtures that test/kafka/fixtures.test.ts round-trips through our
 * codec. A recording TCP proxy sits between each client and a one-node Apache Kafka (started with
 * test/support/apache-kafka.ts); the broker advertises the proxy's address, so every connection a
 * client opens, bootstrap or not, passes through it. Each request frame is paired with the response
 * frame carrying its correlation id.
 *
 * Run by hand, never in npm test (the test reads the committed files only):
 *   npx tsx scripts/capture-kafka-fixtures.ts [CLIENT...]
 *     Captures (Java, the Python venv and the franz-go probe, from scripts/install-test-deps.sh).
 *     CLIENT is any key of CLIENTS below, default all; the fixtures of the clients named are replaced,
 *     the others kept. kafka-python pinned to an old broker (api_version) is how the lowest versions
 *     of many apis come from a real client.
 *   npx tsx scripts/capture-kafka-fixtures.ts --encode-missing
 *     Node only: for each message's lowest and highest version without a captured fixture, encodes one
 *     with our codec (`v<N>.encoded-here.json`) from exemplar values (every field present and not its
 *     default, tagged ones included, so each shows in the bytes); writes the README's coverage list.
 *   npx tsx scripts/capture-kafka-fixtures.ts --check-with-kafka [--all-versions]
 *     Java: Apache Kafka's generated message classes read each fixture's request and response body at
 *     its version and write it back; the fields and values they read are compared with ours. With
 *     --all-versions, exemplars of every version of every message instead (every field set, then every
 *     nullable one null), kept in a temporary folder.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { decodeMessage } from '../local/kafka/message-codec';
import { Reader } from '../local/kafka/primitives';
import { requestFrame } from '../local/kafka/request-frame';
import { decodeResponse, responseFrame } from '../local/kafka/response-frame';
import { inRange, type ApiSchema, type Field, type Primitive } from '../local/kafka/schema';
import {
  APACHE_KAFKA_LIBS,
  APACHE_KAFKA_VERSION,
  freePorts,
  runJavaClass,
  runKafkaTool,
  startApacheKafka,
  TEST_DEPS,
  type KafkaTool,
} from '../test/support/apache-kafka';
import { runFranzProbe, runJavaProbe, runPythonProbe, type PeerRun } from '../test/interop/clients/peers';

const ROOT = path.join(__dirname, '..');
const FIXTURES = path.join(ROOT, 'local', 'kafka', 'fixtures');
const MESSAGES = path.join(ROOT, 'local', 'kafka', 'messages');

/** A fixture larger than this (request plus response) is kept only when nothing smaller was seen. */
const PREFERRED_MAX_BYTES = 8 * 1024;

/** The clients this script drives, with the version each fixture names. */
const CLIENTS = {
  kafkajs: 'kafkajs 2.2.4',
  java: `Apache Kafka ${APACHE_KAFKA_VERSION} Java client and tools`,
  'confluent-kafka': 'confluent-kafka 2.16.1 (librdkafka 2.16.0)',
  'kafka-python': 'kafka-python 3.0.12',
  'kafka-python-0-11': 'kafka-python 3.0.12 with api_version=(0, 11, 0)',
  'kafka-python-0-10': 'kafka-python 3.0.12 with api_version=(0, 10, 1)',
  'franz-go': 'franz-go 1.22.3',
  platformatic: '@platformatic/kafka 1.35.0',
} as const;
type ClientName = keyof typeof CLIENTS;

/** One request the proxy saw and the response it carried back (null: none, e.g. acks=0). */
interface Exchange {
  readonly client: ClientName;
  readonly apiKey: number;
  readonly version: number;
  readonly clientId: string | null;
  readonly request: Buffer;
  response: Buffer | null;
}

/** The message files by api key: `00-produce` for 0. */
function messageFiles(): Map<number, string> {
  const files = new Map<number, string>();
  for (const file of readdirSync(MESSAGES)) {
    const match = /^(\d+)-([a-z-]+)\.ts$/.exec(file);
    if (match) files.set(Number(match[1]), file.slice(0, -3));
  }
  return files;
}

/** Splits a byte stream into size-prefixed Kafka frames, handing each frame (without its size) on. */
function frames(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let buffered = Buffer.alloc(0);
  return (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      const size = buffered.readInt32BE(0);
      onFrame(Buffer.from(buffered.subarray(4, 4 + size)));
      buffered = buffered.subarray(4 + size);
    }
  };
}

/** The request header's client id (header v1 and v2 both carry it as a classic nullable string). */
function clientIdOf(request: Buffer): string | null {
  const length = request.readInt16BE(8);
  return length < 0 ? null : request.toString('utf8', 10, 10 + length);
}

/** A proxy on `port` to the broker on `upstreamPort`, recording each exchange for the current client. */
function recordingProxy(port: number) {
  const exchanges: Exchange[] = [];
  const sockets = new Set<Socket>();
  let client: ClientName = 'kafkajs';
  let upstreamPort = 0;
  const server = createServer((downstream) => {
    const upstream = connect(upstreamPort, '127.0.0.1');
    sockets.add(downstream).add(upstream);
    const pending = new Map<number, Exchange>();
    downstream.on(
      'data',
      frames((request) => {
        const exchange: Exchange = {
          client,
          apiKey: request.readInt16BE(0),
          version: request.readInt16BE(2),
          clientId: clientIdOf(request),
          request,
          response: null,
        };
        exchanges.push(exchange);
        pending.set(request.readInt32BE(4), exchange);
        const size = Buffer.alloc(4);
        size.writeInt32BE(request.length);
        upstream.write(Buffer.concat([size, request]));
      }),
    );
    upstream.on(
      'data',
      frames((response) => {
        const correlationId = response.readInt32BE(0);
        const exchange = pending.get(correlationId);
        if (exchange) exchange.response = response;
        pending.delete(correlationId);
        const size = Buffer.alloc(4);
        size.writeInt32BE(response.length);
        downstream.write(Buffer.concat([size, response]));
      }),
    );
    const close = () => {
      downstream.destroy();
      upstream.destroy();
      sockets.delete(downstream);
      sockets.delete(upstream);
    };
    downstream.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  return {
    exchanges,
    listen: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    forwardTo(brokerPort: number) {
      upstreamPort = brokerPort;
    },
    recordAs(name: ClientName) {
      client = name;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function check(run: PeerRun | { code: number | null; err: string }, what: string): void {
  if (run.code !== 0) console.warn(`${what} exited ${run.code}: ${run.err.slice(-1500)}`);
}

async function kafkajs(bootstrap: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'fixtures-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const topic = 'kafkajs-orders';
  const groupId = 'kafkajs-readers';
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] });
  await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }],
    includeSynonyms: false,
  });
  await admin.alterConfigs({
    validateOnly: false,
    resources: [
      {
        type: ConfigResourceTypes.TOPIC,
        name: topic,
        configEntries: [{ name: 'retention.ms', value: '86400000' }],
      },
    ],
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({
    topic,
    messages: [0, 1, 2, 3].map((i) => ({
      key: `key-${i}`,
      value: `value-${i}`,
      headers: { index: String(i) },
    })),
  });
  await producer.disconnect();
  // Heartbeats go out only between fetches once the interval has passed: short, and a pause below.
  const consumer = kafka.consumer({ groupId, heartbeatInterval: 300 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async () => {
        if (++seen === 4) resolve();
      },
    });
  });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await consumer.stop();
  await consumer.disconnect();
  await admin.fetchTopicMetadata({ topics: [topic] });
  await admin.fetchTopicOffsets(topic);
  await admin.fetchOffsets({ groupId, topics: [topic] });
  await admin.listGroups();
  await admin.describeGroups([groupId]);
  await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '1' }] });
  await admin.deleteGroups([groupId]);
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
}

async function java(bootstrap: string): Promise<void> {
  const topic = 'java-orders';
  const group = 'java-readers';
  const firstTimestamp = '1767225600000';
  check(await runJavaProbe(['admin', bootstrap, topic, '2']), 'java admin');
  check(await runJavaProbe(['produce', bootstrap, topic, '4', firstTimestamp]), 'java produce');
  check(await runJavaProbe(['group', bootstrap, topic, group, 'range', '4']), 'java group');
  check(await runJavaProbe(['groups', bootstrap]), 'java groups');
  check(
    await runJavaProbe(['offsets-for-times', bootstrap, topic, firstTimestamp]),
    'java offsets-for-times',
  );
  const tool = async (name: KafkaTool, args: string[]) =>
    check(await runKafkaTool(name, ['--bootstrap-server', bootstrap, ...args]), name);
  // Until 3 s pass without a record, so that it heartbeats (every 300 ms) as a group member.
  await tool('kafka-console-consumer.sh', [
    '--topic',
    topic,
    '--group',
    `${group}-console`,
    '--from-beginning',
    '--timeout-ms',
    '3000',
    '--consumer-property',
    'heartbeat.interval.ms=300',
  ]);
  await tool('kafka-configs.sh', ['--describe', '--entity-type', 'topics', '--entity-name', topic]);
  await tool('kafka-configs.sh', [
    '--alter',
    '--entity-type',
    'topics',
    '--entity-name',
    topic,
    '--add-config',
    'retention.ms=86400000',
  ]);
  await tool('kafka-topics.sh', ['--alter', '--topic', topic, '--partitions', '3']);
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-fixtures-'));
  const offsets = path.join(dir, 'offsets.json');
  writeFileSync(offsets, JSON.stringify({ version: 1, partitions: [{ topic, partition: 0, offset: 1 }] }));
  await tool('kafka-delete-records.sh', ['--offset-json-file', offsets]);
  rmSync(dir, { recursive: true, force: true });
  await tool('kafka-consumer-groups.sh', ['--delete-offsets', '--group', group, '--topic', topic]);
  await tool('kafka-consumer-groups.sh', ['--delete', '--group', group]);
  await tool('kafka-topics.sh', ['--delete', '--topic', topic]);
  check(
    await runJavaProbe(['consumer-protocol', bootstrap, 'java-consumer-protocol']),
    'java consumer-protocol',
  );
}

/** What the confluent-kafka probe leaves out: listing, describing and deleting through AdminClient. */
const CONFLUENT_ADMIN = `
import sys
from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewPartitions, OffsetSpec
bootstrap, topic, group = sys.argv[1:4]
admin = AdminClient({"bootstrap.servers": bootstrap})
admin.list_consumer_groups().result()
for f in admin.describe_consumer_groups([group]).values(): f.result()
admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result()
for f in admin.list_offsets({TopicPartition(topic, 0): OffsetSpec.latest()}).values(): f.result()
resource = ConfigResource("TOPIC", topic)
for f in admin.describe_configs([resource]).values(): f.result()
entry = ConfigEntry("retention.ms", "86400000", incremental_operation=AlterConfigOpType.SET)
for f in admin.incremental_alter_configs([ConfigResource("TOPIC", topic, incremental_configs=[entry])]).values(): f.result()
for f in admin.create_partitions([NewPartitions(topic, 4)]).values(): f.result()
for f in admin.delete_records([TopicPartition(topic, 0, 1)]).values(): f.result()
for f in admin.delete_consumer_groups([group]).values(): f.result()
for f in admin.delete_topics([topic]).values(): f.result()
`;

function runPython(args: string[]): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    execFile(path.join(TEST_DEPS, 'python', 'bin', 'python'), args, { timeout: 90_000 }, (error, _out, err) =>
      resolve({ code: error ? 1 : 0, err }),
    );
  });
}

async function confluentKafka(bootstrap: string): Promise<void> {
  const topic = 'confluent-orders';
  const group = 'confluent-readers';
  check(await runPythonProbe('confluent_probe.py', ['admin', bootstrap, topic, '2']), 'confluent admin');
  check(await runPythonProbe('confluent_probe.py', ['produce', bootstrap, topic, '4']), 'confluent produce');
  check(
    await runPythonProbe('confluent_probe.py', ['consume', bootstrap, topic, group, '4']),
    'confluent consume',
  );
  check(await runPython(['-c', CONFLUENT_ADMIN, bootstrap, topic, group]), 'confluent admin calls');
}

async function kafkaPython(bootstrap: string): Promise<void> {
  const topic = 'kafka-python-orders';
  const probe = 'kafka_python_probe.py';
  check(await runPythonProbe(probe, ['admin', bootstrap, topic, '2']), 'kafka-python admin');
  check(await runPythonProbe(probe, ['produce', bootstrap, topic, '4']), 'kafka-python produce');
  check(await runPythonProbe(probe, ['consume', bootstrap, topic, 'kafka-python-readers', '4']), 'consume');
}

/** kafka-python told the broker is an old one, so that it speaks the versions that broker had. */
const KAFKA_PYTHON_PINNED = `
import sys, time
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic
bootstrap, topic, group = sys.argv[1:4]
version = tuple(int(x) for x in sys.argv[4].split("."))
def attempt(what, call):
    try:
        call()
    except Exception as e:
        print(what, "failed:", repr(e), file=sys.stderr)
admin = KafkaAdminClient(bootstrap_servers=bootstrap, api_version=version)
attempt("create", lambda: admin.create_topics([NewTopic(topic, 2, 1)]))
attempt("describe configs", lambda: admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)]))
attempt("alter configs", lambda: admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.ms": "86400000"})]))
attempt("create partitions", lambda: admin.create_partitions({topic: NewPartitions(3)}))
producer = KafkaProducer(bootstrap_servers=bootstrap, api_version=version)
for i in range(4):
    producer.send(topic, key=b"key-%d" % i, value=b"value-%d" % i, partition=0)
producer.flush()
producer.close()
consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, api_version=version,
    auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=15000, heartbeat_interval_ms=300)
seen = 0
for message in consumer:
    seen += 1
    if seen == 4:
        break
time.sleep(1)
consumer.commit()
consumer.close()
attempt("list groups", lambda: admin.list_consumer_groups())
attempt("describe groups", lambda: admin.describe_consumer_groups([group]))
attempt("group offsets", lambda: admin.list_consumer_group_offsets(group))
attempt("delete groups", lambda: admin.delete_consumer_groups([group]))
attempt("delete topics", lambda: admin.delete_topics([topic]))
admin.close()
`;

function kafkaPythonPinned(version: string): (bootstrap: string) => Promise<void> {
  return async (bootstrap) => {
    const slug = version.replaceAll('.', '-');
    const run = await runPython([
      '-c',
      KAFKA_PYTHON_PINNED,
      bootstrap,
      `kp-${slug}-orders`,
      `kp-${slug}-readers`,
      version,
    ]);
    check(run, `kafka-python api_version ${version}`);
    if (run.code === 0 && run.err.includes('failed:')) console.warn(run.err.trim());
  };
}

async function franzGo(bootstrap: string): Promise<void> {
  const topic = 'franz-orders';
  check(await runFranzProbe(['admin', bootstrap, topic, '2']), 'franz-go admin');
  check(await runFranzProbe(['produce', bootstrap, topic, '4']), 'franz-go produce');
  check(await runFranzProbe(['consume', bootstrap, topic, 'franz-readers', '4']), 'franz-go consume');
  check(await runFranzProbe(['groups', bootstrap]), 'franz-go groups');
}

function platformatic(bootstrap: string): Promise<void> {
  const script = path.join(ROOT, 'test', 'interop', 'clients', 'platformatic-roundtrip.mjs');
  return new Promise((resolve) => {
    execFile(
      'node',
      [script, bootstrap, 'platformatic-orders', '4'],
      { timeout: 90_000 },
      (error, _o, err) => {
        check({ code: error ? 1 : 0, err }, 'platformatic');
        resolve();
      },
    );
  });
}

const DRIVERS: Record<ClientName, (bootstrap: string) => Promise<void>> = {
  kafkajs,
  java,
  'confluent-kafka': confluentKafka,
  'kafka-python': kafkaPython,
  'kafka-python-0-11': kafkaPythonPinned('0.11.0'),
  'kafka-python-0-10': kafkaPythonPinned('0.10.1'),
  'franz-go': franzGo,
  platformatic,
};

/** The exchange to keep of several for one client, api key and version: the fullest that is still small. */
function pick(candidates: readonly Exchange[]): Exchange {
  const size = (e: Exchange) => e.request.length + (e.response?.length ?? 0);
  const answered = candidates.filter((e) => e.response !== null);
  const pool = answered.length > 0 ? answered : candidates;
  const small = pool.filter((e) => size(e) <= PREFERRED_MAX_BYTES);
  if (small.length === 0) return pool.reduce((a, b) => (size(b) < size(a) ? b : a));
  return small.reduce((a, b) => (size(b) > size(a) ? b : a));
}

function writeFixtures(exchanges: readonly Exchange[], clients: readonly ClientName[]): void {
  const files = messageFiles();
  for (const dir of readdirSync(FIXTURES, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const file of readdirSync(path.join(FIXTURES, dir.name))) {
      if (clients.some((c) => file.endsWith(`.${c}.json`))) rmSync(path.join(FIXTURES, dir.name, file));
    }
  }
  const groups = new Map<string, Exchange[]>();
  const unknown = new Set<string>();
  for (const e of exchanges) {
    if (!files.has(e.apiKey)) {
      unknown.add(`key ${e.apiKey} v${e.version} (${e.client})`);
      continue;
    }
    const key = `${e.client}/${e.apiKey}/${e.version}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  for (const candidates of groups.values()) {
    const e = pick(candidates);
    const dir = path.join(FIXTURES, files.get(e.apiKey)!);
    mkdirSync(dir, { recursive: true });
    const fixture = {
      apiKey: e.apiKey,
      version: e.version,
      source: `captured: ${CLIENTS[e.client]} → Apache Kafka ${APACHE_KAFKA_VERSION}`,
      clientId: e.clientId,
      request: e.request.toString('hex'),
      response: e.response?.toString('hex') ?? null,
    };
    writeFileSync(path.join(dir, `v${e.version}.${e.client}.json`), `${JSON.stringify(fixture, null, 2)}\n`);
    console.log(`${files.get(e.apiKey)} v${e.version} ${e.client}: ${candidates.length} seen, 1 kept`);
  }
  if (unknown.size > 0) console.log(`not kept (no message file): ${[...unknown].sort().join(', ')}`);
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

/** The schema each message file exports (`<Api>Schema`). */
async function schemaOf(file: string): Promise<ApiSchema> {
  const module = (await import(path.join(MESSAGES, file))) as Record<string, ApiSchema>;
  const [schema] = Object.entries(module).filter(([name]) => name.endsWith('Schema'));
  return schema[1];
}

/** Fixture versions by message file, from the file names. */
function fixtureVersions(folder: string): Map<number, string[]> {
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
function encodedFixture(schema: ApiSchema, version: number, nulls = false) {
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

async function encodeMissing(): Promise<void> {
  for (const folder of [...messageFiles().values()].sort()) {
    const schema = await schemaOf(folder);
    const { min, max } = schema.request.validVersions;
    for (const version of new Set([min, max])) {
      const file = path.join(FIXTURES, folder, `v${version}.encoded-here.json`);
      const captured = (fixtureVersions(folder).get(version) ?? []).filter((c) => c !== 'encoded-here');
      if (captured.length > 0) {
        rmSync(file, { force: true });
        continue;
      }
      const fixture = encodedFixture(schema, version);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(fixture, null, 2)}\n`);
      console.log(`${folder} v${version}: encoded here`);
    }
  }
  const listing = [...messageFiles().values()].sort().map((folder) => {
    const versions = [...fixtureVersions(folder).entries()].map(
      ([v, clients]) => `v${v} (${clients.join(', ')})`,
    );
    return `${folder}: ${versions.join(', ')}`;
  });
  const readme = path.join(FIXTURES, 'README.md');
  const text = readFileSync(readme, 'utf8');
  writeFileSync(
    readme,
    text.replace(
      /<!-- coverage -->\n+```\n[\s\S]*?```/,
      `<!-- coverage -->\n\n\`\`\`\n${listing.join('\n')}\n\`\`\``,
    ),
  );
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

async function checkWithKafka(allVersions: boolean): Promise<void> {
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
    let agreed = 0;
    for (const line of run.out.split('\n').filter((l) => l.startsWith('{'))) {
      const reading = JSON.parse(line) as KafkaReading;
      const name = path.relative(allVersions ? classes : FIXTURES, reading.file);
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
              ? decodeRequestBody(schema, Buffer.from(fixture.request, 'hex'))
              : decodeResponse(schema, fixture.version, Buffer.from(fixture.response, 'hex')).body;
          const message = reading.side === 'request' ? schema.request : schema.response;
          problems.push(...disagreements(message.fields, fixture.version, ours, reading.json, ''));
        } catch (error) {
          problems.push(`our codec cannot read it: ${(error as Error).message}`);
        }
      }
      if (problems.length === 0) agreed++;
      else console.log(`${name} ${reading.side}:\n  ${problems.join('\n  ')}`);
    }
    console.log(`${agreed} fixture sides read alike by Apache Kafka ${APACHE_KAFKA_VERSION} and our codec`);
  } finally {
    rmSync(classes, { recursive: true, force: true });
  }
}

/** A request frame's body, after its header (v1, or v2 for flexible versions). */
function decodeRequestBody(schema: ApiSchema, frame: Buffer): Record<string, unknown> {
  const r = new Reader(frame);
  r.int16();
  const version = r.int16();
  r.int32();
  r.nullableString();
  if (inRange(schema.request.flexibleVersions, version)) r.taggedFields(() => undefined);
  return decodeMessage(schema.request, version, r);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--encode-missing') return encodeMissing();
  if (process.argv[2] === '--check-with-kafka') return checkWithKafka(process.argv[3] === '--all-versions');
  const names = process.argv.slice(2) as ClientName[];
  for (const name of names) if (!(name in CLIENTS)) throw new Error(`unknown client "${name}"`);
  const clients = names.length > 0 ? names : (Object.keys(CLIENTS) as ClientName[]);
  const [proxyPort] = await freePorts(1);
  const proxy = recordingProxy(proxyPort);
  await proxy.listen();
  const cluster = await startApacheKafka({
    config: {
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxyPort}`,
      // The KIP-848 consumer group protocol (ConsumerGroupHeartbeat) is a preview in 3.9, off unless named.
      'group.coordinator.rebalance.protocols': 'classic,consumer',
    },
  });
  proxy.forwardTo(cluster.nodes[0].port);
  const bootstrap = `127.0.0.1:${proxyPort}`;
  try {
    for (const client of clients) {
      console.log(`capturing ${client}`);
      proxy.recordAs(client);
      await DRIVERS[client](bootstrap).catch((error: Error) => console.warn(`${client}: ${error.message}`));
    }
  } finally {
    await proxy.close();
    await cluster.stop();
  }
  writeFixtures(proxy.exchanges, clients);
}

main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
