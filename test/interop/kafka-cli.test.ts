/**
 * Kafka's own command-line tools (the classes behind kafka-topics.sh, kafka-console-producer.sh and the
 * rest, from the Apache Kafka 3.9.2 jars scripts/install-test-deps.sh installs) against
 * `kw broker --brokers 3`, the way the workshop this project grew out of taught Kafka: topics, the
 * console producer and consumer with keys and headers, consumer groups with lag and offset resets,
 * offsets by time, and topic configs. Every record is checked for its key, value, headers, partition
 * and offset; what a tool reports is checked against the broker through kafkajs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { runKafkaTool, type KafkaTool } from '../support/apache-kafka';
import { cliBrokerForTests, startCliBroker, type CliBroker } from '../support/kw-process';
import { committedOffsets, endOffsets, placements, withAdmin } from './clients/broker-view';

jest.setTimeout(180_000);

const broker = cliBrokerForTests(['--brokers', '3']);

/** Runs `tool ARGS --bootstrap-server B`; returns stdout, or throws with stderr unless it exits 0. */
async function kafkaAt(bootstrap: string, tool: KafkaTool, args: string[], input?: string): Promise<string> {
  const run = await runKafkaTool(tool, [...args, '--bootstrap-server', bootstrap], { input });
  if (run.code !== 0) throw new Error(`${tool} ${args.join(' ')} exited ${run.code}:\n${run.err}`);
  return run.out;
}

/** Runs a tool against the file's brokers (see kafkaAt). */
const kafka = (tool: KafkaTool, args: string[], input?: string) =>
  kafkaAt(broker.bootstrap, tool, args, input);

/** Runs a tool expected to fail; returns what it printed. */
async function kafkaFails(tool: KafkaTool, args: string[]): Promise<string> {
  const run = await runKafkaTool(tool, [...args, '--bootstrap-server', broker.bootstrap]);
  expect(run.code).not.toBe(0);
  return run.out + run.err;
}

/** Record i of a topic: key customer-(i mod 5), value order-i, two headers. */
function order(i: number) {
  return { key: `customer-${i % 5}`, value: `order-${i}`, headers: `trace:t-${i},source:console` };
}

/** The console producer's input for records `from` to `to` - 1: headers TAB key=value (parse.headers, key.separator). */
function consoleInput(from: number, to: number): string {
  return Array.from({ length: to - from }, (_, k) => {
    const { key, value, headers } = order(from + k);
    return `${headers}\t${key}=${value}\n`;
  }).join('');
}

const PRODUCE_PROPERTIES = ['parse.key=true', 'parse.headers=true', 'key.separator=='].flatMap((p) => [
  '--property',
  p,
]);

/** The records a partitioner-correct broker holds after records 0 to count - 1, in partition and offset order. */
function expectedRecords(count: number, partitions: number) {
  const records = Array.from({ length: count }, (_, i) => order(i));
  const placed = placements(
    records.map((r) => r.key),
    partitions,
  );
  return records
    .map((r, i) => ({ ...placed[i], ...r }))
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** One row per record of the console consumer's print.partition/offset/headers/key output, '|' between fields. */
function parseConsumed(out: string) {
  return out
    .split('\n')
    .filter((l) => l.startsWith('Partition:'))
    .map((line) => {
      const [partition, offset, headers, key, value] = line.split('|');
      return {
        partition: Number(partition.slice('Partition:'.length)),
        offset: Number(offset.slice('Offset:'.length)),
        headers,
        key,
        value,
      };
    })
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

const CONSUME_PROPERTIES = [
  'print.partition=true',
  'print.offset=true',
  'print.headers=true',
  'print.key=true',
  'key.separator=|',
].flatMap((p) => ['--property', p]);

/**
 * The console consumer's records from `topic`, in partition and offset order: `max` of them (or what
 * came in 30 s), read with `options` (a group, --from-beginning).
 */
async function consumed(topic: string, max: number, ...options: string[]) {
  const out = await kafka('kafka-console-consumer.sh', [
    '--topic',
    topic,
    ...options,
    '--max-messages',
    String(max),
    '--timeout-ms',
    '30000',
    ...CONSUME_PROPERTIES,
  ]);
  return parseConsumed(out);
}

/** One row per line of a kafka-consumer-groups --describe table, by column name. */
function describeRows(out: string): Record<string, string>[] {
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  const header = lines.findIndex((l) => l.startsWith('GROUP'));
  const columns = lines[header].trim().split(/\s+/);
  return lines
    .slice(header + 1)
    .map((l) => l.trim().split(/\s+/))
    .filter((cells) => cells.length === columns.length)
    .map((cells) => Object.fromEntries(columns.map((c, i) => [c, cells[i]])));
}

describe('kafka-topics', () => {
  test('creates a topic, lists it, refuses it twice and describes its partitions spread over the brokers', async () => {
    expect(
      await kafka('kafka-topics.sh', [
        '--create',
        '--topic',
        'cli-topics',
        '--partitions',
        '3',
        '--replication-factor',
        '1',
      ]),
    ).toContain('Created topic cli-topics.');
    expect((await kafka('kafka-topics.sh', ['--list'])).split('\n')).toContain('cli-topics');
    expect(
      await kafkaFails('kafka-topics.sh', ['--create', '--topic', 'cli-topics', '--partitions', '3']),
    ).toMatch(/TopicExistsException: topic cli-topics already exists/);

    const described = await kafka('kafka-topics.sh', ['--describe', '--topic', 'cli-topics']);
    expect(described).toMatch(/Topic: cli-topics\tTopicId: \S{22}\tPartitionCount: 3\tReplicationFactor: 1/);
    const partitions = [
      ...described.matchAll(/Partition: (\d+)\tLeader: (\d+)\tReplicas: (\d+)\tIsr: (\d+)/g),
    ];
    expect(partitions.map((m) => Number(m[1]))).toEqual([0, 1, 2]);
    for (const m of partitions) expect([m[3], m[4]]).toEqual([m[2], m[2]]);
    expect(new Set(partitions.map((m) => m[2]))).toEqual(new Set(['1', '2', '3']));
    // kafkajs sees the same leaders
    const metadata = await withAdmin(broker.bootstrap, (admin) =>
      admin.fetchTopicMetadata({ topics: ['cli-topics'] }),
    );
    expect(
      metadata.topics[0].partitions
        .sort((a, b) => a.partitionId - b.partitionId)
        .map((p) => String(p.leader)),
    ).toEqual(partitions.map((m) => m[2]));
  });

  test('alters the partition count, and a smaller count is refused', async () => {
    await kafka('kafka-topics.sh', ['--alter', '--topic', 'cli-topics', '--partitions', '5']);
    expect(await kafka('kafka-topics.sh', ['--describe', '--topic', 'cli-topics'])).toMatch(
      /PartitionCount: 5\t/,
    );
    expect(await endOffsets(broker.bootstrap, 'cli-topics')).toEqual([0, 0, 0, 0, 0]);
    expect(
      await kafkaFails('kafka-topics.sh', ['--alter', '--topic', 'cli-topics', '--partitions', '2']),
    ).toMatch(/InvalidPartitionsException/);
  });

  test('deletes the topic', async () => {
    await kafka('kafka-topics.sh', ['--delete', '--topic', 'cli-topics']);
    expect((await kafka('kafka-topics.sh', ['--list'])).split('\n')).not.toContain('cli-topics');
    expect(await kafkaFails('kafka-topics.sh', ['--describe', '--topic', 'cli-topics'])).toMatch(
      // (Kafka 3.9 prints the name as Optional[cli-topics])
      /IllegalArgumentException: Topic '\S*cli-topics\S*' does not exist as expected/,
    );
  });
});

describe('console producer, console consumer and consumer groups', () => {
  const topic = 'cli-orders';
  const group = 'cli-readers';
  const first = 12;
  const more = 6;

  beforeAll(async () => {
    await kafka('kafka-topics.sh', ['--create', '--topic', topic, '--partitions', '3']);
  });

  test('the console producer writes keyed records with headers; the console consumer prints each with its partition and offset', async () => {
    await kafka(
      'kafka-console-producer.sh',
      ['--topic', topic, ...PRODUCE_PROPERTIES],
      consoleInput(0, first),
    );
    expect(await consumed(topic, first, '--from-beginning')).toEqual(expectedRecords(first, 3));
    expect(await endOffsets(broker.bootstrap, topic)).toEqual(
      [0, 1, 2].map((p) => expectedRecords(first, 3).filter((r) => r.partition === p).length),
    );
  });

  test('a console consumer in a group reads every record and commits; --describe shows no lag, then the lag of new records', async () => {
    expect(await consumed(topic, first, '--group', group, '--from-beginning')).toEqual(
      expectedRecords(first, 3),
    );
    expect((await kafka('kafka-consumer-groups.sh', ['--list'])).split('\n')).toContain(group);
    const ends = await endOffsets(broker.bootstrap, topic);
    expect(await committedOffsets(broker.bootstrap, group, topic)).toEqual(ends);

    const lagFree = describeRows(await kafka('kafka-consumer-groups.sh', ['--describe', '--group', group]));
    expect(lagFree.sort((a, b) => Number(a.PARTITION) - Number(b.PARTITION))).toEqual(
      ends.map((end, p) =>
        expect.objectContaining({
          GROUP: group,
          TOPIC: topic,
          PARTITION: String(p),
          'CURRENT-OFFSET': String(end),
          'LOG-END-OFFSET': String(end),
          LAG: '0',
        }),
      ),
    );

    await kafka(
      'kafka-console-producer.sh',
      ['--topic', topic, ...PRODUCE_PROPERTIES],
      consoleInput(first, first + more),
    );
    const newEnds = await endOffsets(broker.bootstrap, topic);
    const lagging = describeRows(await kafka('kafka-consumer-groups.sh', ['--describe', '--group', group]));
    expect(
      lagging.map((r) => [Number(r.PARTITION), Number(r['LOG-END-OFFSET']), Number(r.LAG)]).sort(),
    ).toEqual(newEnds.map((end, p) => [p, end, end - ends[p]]));
    expect(lagging.reduce((n, r) => n + Number(r.LAG), 0)).toBe(more);
    expect(await kafka('kafka-consumer-groups.sh', ['--describe', '--group', group, '--state'])).toMatch(
      new RegExp(`${group}\\s+127\\.0\\.0\\.1:\\d+\\s+\\([123]\\)\\s+Empty\\s+0`),
    );
  });

  test('--reset-offsets --to-earliest and --to-offset move the committed offsets, as kafkajs reads them back', async () => {
    const ends = await endOffsets(broker.bootstrap, topic);
    await kafka('kafka-consumer-groups.sh', [
      '--reset-offsets',
      '--group',
      group,
      '--topic',
      topic,
      '--to-earliest',
      '--execute',
    ]);
    expect(await committedOffsets(broker.bootstrap, group, topic)).toEqual([0, 0, 0]);
    const described = describeRows(await kafka('kafka-consumer-groups.sh', ['--describe', '--group', group]));
    expect(
      described.map((r) => [Number(r.PARTITION), Number(r['CURRENT-OFFSET']), Number(r.LAG)]).sort(),
    ).toEqual(ends.map((end, p) => [p, 0, end]));

    const busiest = ends.indexOf(Math.max(...ends));
    await kafka('kafka-consumer-groups.sh', [
      '--reset-offsets',
      '--group',
      group,
      '--topic',
      `${topic}:${busiest}`,
      '--to-offset',
      '2',
      '--execute',
    ]);
    expect(await committedOffsets(broker.bootstrap, group, topic)).toEqual(
      ends.map((_, p) => (p === busiest ? 2 : 0)),
    );

    // the group resumes where the reset put it: the records after offset 2 of that partition, and all of the others
    const total = ends.reduce((n, e) => n + e, 0);
    expect(await consumed(topic, total - 2, '--group', group)).toEqual(
      expectedRecords(first + more, 3).filter((r) => r.partition !== busiest || r.offset >= 2),
    );
  });

  test('--delete removes the group', async () => {
    expect(await kafka('kafka-consumer-groups.sh', ['--delete', '--group', group])).toContain(
      `Deletion of requested consumer groups ('${group}') was successful.`,
    );
    expect((await kafka('kafka-consumer-groups.sh', ['--list'])).split('\n')).not.toContain(group);
  });
});

describe('kafka-get-offsets', () => {
  const topic = 'cli-times';
  const base = 1_700_000_000_000;

  beforeAll(async () => {
    await kafka('kafka-topics.sh', ['--create', '--topic', topic, '--partitions', '2']);
    // Records with known timestamps, a second apart: partition 0 gets i = 0..5, partition 1 gets i = 0..3.
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    for (const [partition, count] of [
      [0, 6],
      [1, 4],
    ]) {
      await producer.send({
        topic,
        messages: Array.from({ length: count }, (_, i) => ({
          partition,
          value: `at-${i}`,
          timestamp: String(base + i * 1000),
        })),
      });
    }
    await producer.disconnect();
  });

  test('--time earliest and latest give each partition its first and next offset', async () => {
    expect(
      (await kafka('kafka-get-offsets.sh', ['--topic', topic, '--time', 'earliest'])).trim().split('\n'),
    ).toEqual([`${topic}:0:0`, `${topic}:1:0`]);
    expect(
      (await kafka('kafka-get-offsets.sh', ['--topic', topic, '--time', 'latest'])).trim().split('\n'),
    ).toEqual([`${topic}:0:6`, `${topic}:1:4`]);
  });

  test('--time T gives the first offset at or after T, and nothing past the last record', async () => {
    const at = async (time: number) =>
      (await kafka('kafka-get-offsets.sh', ['--topic', topic, '--time', String(time)])).trim().split('\n');
    expect(await at(base + 2500)).toEqual([`${topic}:0:3`, `${topic}:1:3`]);
    expect(await at(base + 4000)).toEqual([`${topic}:0:4`]);
    expect(await at(base + 60_000)).toEqual(['']);
  });
});

describe('kafka-configs', () => {
  const topic = 'cli-configs';

  beforeAll(async () => {
    await kafka('kafka-topics.sh', ['--create', '--topic', topic, '--partitions', '1']);
  });

  /** kafka-configs.sh ACTION --entity-type topics --entity-name <topic> OPTIONS. */
  const topicConfigs = (action: string[], ...options: string[]) =>
    kafka('kafka-configs.sh', [...action, '--entity-type', 'topics', '--entity-name', topic, ...options]);
  const describeTopic = () => topicConfigs(['--describe']);
  const dynamicConfigs = (out: string) =>
    [...out.matchAll(/^ {2}(\S+)=(\S*) sensitive=false/gm)].map((m) => `${m[1]}=${m[2]}`);

  test('--describe shows no dynamic configs on a new topic, and --all shows the defaults', async () => {
    expect(dynamicConfigs(await describeTopic())).toEqual([]);
    const all = await topicConfigs(['--describe', '--all']);
    expect(dynamicConfigs(all)).toEqual(
      expect.arrayContaining([
        'retention.ms=604800000',
        'cleanup.policy=delete',
        'max.message.bytes=1048588',
      ]),
    );
  });

  test('--alter --add-config sets configs, --delete-config returns one to its default', async () => {
    await topicConfigs(['--alter'], '--add-config', 'retention.ms=3600000,cleanup.policy=[delete,compact]');
    expect(dynamicConfigs(await describeTopic()).sort()).toEqual([
      'cleanup.policy=delete,compact',
      'retention.ms=3600000',
    ]);
    const viaKafkajs = await withAdmin(broker.bootstrap, (admin) =>
      admin.describeConfigs({
        resources: [{ type: 2, name: topic, configNames: ['retention.ms'] }],
        includeSynonyms: false,
      }),
    );
    expect(viaKafkajs.resources[0].configEntries.map((c) => [c.configName, c.configValue])).toEqual([
      ['retention.ms', '3600000'],
    ]);

    await topicConfigs(['--alter'], '--delete-config', 'retention.ms');
    expect(dynamicConfigs(await describeTopic())).toEqual(['cleanup.policy=delete,compact']);
  });

  test('--alter refuses an unknown config, a bad value and broker configs, saying why', async () => {
    const alter = (entity: string[], config: string) =>
      kafkaFails('kafka-configs.sh', ['--alter', ...entity, '--add-config', config]);
    expect(await alter(['--entity-type', 'topics', '--entity-name', topic], 'no.such.config=1')).toMatch(
      /InvalidConfigurationException: unknown topic config no\.such\.config/,
    );
    expect(await alter(['--entity-type', 'topics', '--entity-name', topic], 'retention.ms=soon')).toMatch(
      /InvalidConfigurationException: invalid retention\.ms=soon/,
    );
    expect(await alter(['--entity-type', 'brokers', '--entity-name', '1'], 'log.retention.ms=1000')).toMatch(
      /InvalidRequestException: only topic configs can be altered/,
    );
    expect(dynamicConfigs(await describeTopic())).toEqual(['cleanup.policy=delete,compact']);
  });
  test('kafkajs admin.alterConfigs (the older AlterConfigs API) replaces the set configs, as kafka-configs then shows', async () => {
    await withAdmin(broker.bootstrap, (admin) =>
      admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: 2, name: topic, configEntries: [{ name: 'retention.bytes', value: '1048576' }] }],
      }),
    );
    // cleanup.policy, set before, is back at its default: AlterConfigs gives a topic exactly the configs named
    expect(dynamicConfigs(await describeTopic())).toEqual(['retention.bytes=1048576']);
  });
});

test('configs altered by kafka-configs survive a restart of a broker with a data directory', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-cli-configs-'));
  const tool = (b: CliBroker, t: KafkaTool, args: string[]) => kafkaAt(b.bootstrap, t, args);
  let durable = await startCliBroker(['--data-dir', dir]);
  try {
    await tool(durable, 'kafka-topics.sh', ['--create', '--topic', 'kept', '--partitions', '1']);
    await tool(durable, 'kafka-configs.sh', [
      '--alter',
      '--entity-type',
      'topics',
      '--entity-name',
      'kept',
      '--add-config',
      'retention.ms=7200000,max.message.bytes=2000000',
    ]);
    await durable.stop();
    durable = await startCliBroker(['--data-dir', dir]);
    const out = await tool(durable, 'kafka-configs.sh', [
      '--describe',
      '--entity-type',
      'topics',
      '--entity-name',
      'kept',
    ]);
    expect([...out.matchAll(/^ {2}(\S+)=(\S*) sensitive/gm)].map((m) => `${m[1]}=${m[2]}`).sort()).toEqual([
      'max.message.bytes=2000000',
      'retention.ms=7200000',
    ]);
  } finally {
    await durable.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
