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
import { Reader } from '../local/kafka/primitives';
import { readRequestHeader } from '../local/kafka/request-frame';
import {
  APACHE_KAFKA_VERSION,
  freePorts,
  runKafkaTool,
  startApacheKafka,
  TEST_DEPS,
  type KafkaTool,
} from '../test/support/apache-kafka';
import { runFranzProbe, runJavaProbe, runPythonProbe, type PeerRun } from '../test/interop/clients/peers';
import {
  checkWithKafka,
  encodedFixture,
  FIXTURES,
  fixtureVersions,
  messageFiles,
  schemaOf,
} from '../test/support/kafka-fixtures';

const ROOT = path.join(__dirname, '..');

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
        const header = readRequestHeader(new Reader(request));
        const exchange: Exchange = {
          client,
          apiKey: header.apiKey,
          version: header.apiVersion,
          clientId: header.clientId,
          request,
          response: null,
        };
        exchanges.push(exchange);
        pending.set(header.correlationId, exchange);
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

/** Prints where Kafka's classes and our codec read a fixture side differently, and how many agree. */
async function reportKafkaCheck(allVersions: boolean): Promise<void> {
  const checks = await checkWithKafka(allVersions);
  for (const c of checks.filter((x) => x.problems.length > 0))
    console.log(`${c.name} ${c.side}:\n  ${c.problems.join('\n  ')}`);
  const agreed = checks.filter((c) => c.problems.length === 0).length;
  console.log(
    `${agreed} of ${checks.length} fixture sides read alike by Apache Kafka ${APACHE_KAFKA_VERSION} and our codec`,
  );
}

async function main(): Promise<void> {
  if (process.argv[2] === '--encode-missing') return encodeMissing();
  if (process.argv[2] === '--check-with-kafka') return reportKafkaCheck(process.argv[3] === '--all-versions');
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
