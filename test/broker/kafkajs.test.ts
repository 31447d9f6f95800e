/**
 * kafkajs (a client this project did not write) against the embedded broker, in process: admin,
 * producer (keys, headers, gzip), consumer groups, offsets by timestamp, and a 3-broker cluster.
 */
import { CompressionTypes, ConfigResourceTypes, Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../local/broker/broker';

interface Received {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

function plain(partition: number, m: KafkaMessage): Received {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = String(v);
  return {
    partition,
    offset: m.offset,
    key: m.key?.toString() ?? null,
    value: m.value?.toString() ?? null,
    headers,
  };
}

/** Consumes `count` records of `topic` from the beginning in a fresh group. */
async function consumeAll(
  kafka: Kafka,
  topic: string,
  count: number,
  groupId = `g-${topic}-${Date.now()}`,
): Promise<Received[]> {
  const consumer = kafka.consumer({
    groupId,
    heartbeatInterval: 500,
    sessionTimeout: 10_000,
    maxWaitTimeInMs: 250,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const received: Received[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        received.push(plain(partition, message));
        if (received.length === count) resolve();
      },
    });
  });
  await consumer.disconnect();
  return received;
}

const sortByPosition = (rs: Received[]) =>
  [...rs].sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));

describe('kafkajs against the embedded broker', () => {
  let broker: RunningBroker;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startBroker({ port: 0 });
    kafka = new Kafka({
      clientId: 'kafkajs-interop',
      brokers: [broker.bootstrapServers],
      logLevel: logLevel.NOTHING,
    });
  });
  afterAll(() => broker.close());

  test('admin creates, lists, describes, grows and deletes topics', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(
        await admin.createTopics({
          topics: [
            { topic: 'admin-a', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '60000' }] },
          ],
        }),
      ).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 2 }] })).toBe(false); // already exists
      expect(await admin.listTopics()).toContain('admin-a');

      const configs = await admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-a' }],
        includeSynonyms: false,
      });
      const retention = configs.resources[0].configEntries.find((e) => e.configName === 'retention.ms');
      expect(retention).toMatchObject({ configValue: '60000', isDefault: false });

      await admin.createPartitions({ topicPartitions: [{ topic: 'admin-a', count: 4 }] });
      const meta = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
      expect(meta.topics[0].partitions).toHaveLength(4);

      await expect(admin.createTopics({ topics: [{ topic: 'bad/name' }] })).rejects.toMatchObject({
        errors: [expect.objectContaining({ type: 'INVALID_TOPIC_EXCEPTION' })],
      });

      await admin.deleteTopics({ topics: ['admin-a'] });
      expect(await admin.listTopics()).not.toContain('admin-a');
    } finally {
      await admin.disconnect();
    }
  });

  test('records produced with keys, headers and gzip come back identical, with their partitions and offsets', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'roundtrip', numPartitions: 3 }] });
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    const sent: Received[] = [];
    for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
      const messages = Array.from({ length: 20 }, (_, i) => ({
        key: `customer-${i % 5}`,
        value: JSON.stringify({ i, compression }),
        headers: { 'trace-id': `t-${compression}-${i}`, source: 'kafkajs' },
      }));
      const metadata = await producer.send({ topic: 'roundtrip', compression, acks: -1, messages });
      expect(metadata.every((m) => m.errorCode === 0)).toBe(true);
      for (const m of messages)
        sent.push({ partition: -1, offset: '', key: m.key, value: m.value, headers: m.headers });
    }
    await producer.disconnect();

    const received = await consumeAll(kafka, 'roundtrip', sent.length);
    // every record arrived once, intact
    const byValue = new Map(received.map((r) => [r.value, r]));
    expect(byValue.size).toBe(sent.length);
    for (const s of sent) expect(byValue.get(s.value)).toMatchObject({ key: s.key, headers: s.headers });
    // one key, one partition; offsets in each partition are 0..n-1 without gaps
    const partitionOfKey = new Map<string, number>();
    for (const r of received) {
      expect(partitionOfKey.get(r.key!) ?? r.partition).toBe(r.partition);
      partitionOfKey.set(r.key!, r.partition);
    }
    for (const p of [0, 1, 2]) {
      const offsets = sortByPosition(received)
        .filter((r) => r.partition === p)
        .map((r) => Number(r.offset));
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
  });

  test('a consumer group resumes from its committed offsets', async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'resume', messages: [{ value: 'a' }, { value: 'b' }] });
    const first = await consumeAll(kafka, 'resume', 2, 'resume-group');
    await producer.send({ topic: 'resume', messages: [{ value: 'c' }] });
    await producer.disconnect();
    const second = await consumeAll(kafka, 'resume', 1, 'resume-group');
    expect(first.map((r) => r.value)).toEqual(['a', 'b']);
    expect(second.map((r) => [r.value, r.offset])).toEqual([['c', '2']]);
  });

  test('offsets by timestamp find the first record at or after the time', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const base = Date.now() - 60_000;
    for (let i = 0; i < 5; i++) {
      await producer.send({
        topic: 'by-time',
        messages: [{ value: `v${i}`, timestamp: String(base + i * 1000) }],
      });
    }
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.fetchTopicOffsetsByTimestamp('by-time', base + 2500)).toEqual([
        { partition: 0, offset: '3' },
      ]);
      expect(await admin.fetchTopicOffsetsByTimestamp('by-time', base)).toEqual([
        { partition: 0, offset: '0' },
      ]);
      const [latest] = await admin.fetchTopicOffsets('by-time');
      expect(latest).toMatchObject({ partition: 0, offset: '5', high: '5', low: '0' });
      await admin.deleteTopicRecords({ topic: 'by-time', partitions: [{ partition: 0, offset: '2' }] });
      expect((await admin.fetchTopicOffsets('by-time'))[0].low).toBe('2');
    } finally {
      await admin.disconnect();
    }
  });
});

describe('kafkajs against three brokers in one process', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({ port: 0, brokers: 3 });
  });
  afterAll(() => broker.close());

  test('a 6-partition topic has leaders on every broker, and routing to them works', async () => {
    const kafka = new Kafka({
      clientId: 'three',
      brokers: [`127.0.0.1:${broker.ports[1]}`],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'spread', numPartitions: 6, replicationFactor: 3 }] });
    const meta = await admin.fetchTopicMetadata({ topics: ['spread'] });
    await admin.disconnect();
    const leaders = meta.topics[0].partitions.map((p) => p.leader);
    expect(new Set(leaders)).toEqual(new Set([1, 2, 3]));

    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
    const written = await producer.send({ topic: 'spread', messages });
    await producer.disconnect();
    expect(new Set(written.map((w) => w.partition)).size).toBe(6);

    const received = await consumeAll(kafka, 'spread', 60);
    expect(new Set(received.map((r) => r.value))).toEqual(new Set(messages.map((m) => m.value)));
  });
});
