/**
 * --data-dir: a broker killed with SIGKILL in the middle of an acks=-1 produce loop comes back with
 * every acknowledged record, in order, at the offsets it was acknowledged with; a torn segment tail
 * is cut off; topics, configs and committed offsets survive restarts.
 */
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startBroker } from '../../local/broker/broker';
import { removeRunFiles, runDirectory } from '../../local/broker/control/run-file';
import { startCliBroker } from '../support/kw-process';

const quiet = { logLevel: logLevel.NOTHING };
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kw-data-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Producers writing 25-record acks=-1 batches to the three partitions of `topic` as fast as they can,
 * until the broker is gone: the records acknowledged, by "partition:offset", and a stop that waits
 * for the loops to end.
 */
function produceUntilGone(
  producer: Producer,
  topic: string,
  loopCount: number,
): { acknowledged: Map<string, string>; stop: () => Promise<void> } {
  const acknowledged = new Map<string, string>();
  let stopped = false;
  let sequence = 0;
  const loop = async () => {
    while (!stopped) {
      const values = Array.from({ length: 25 }, () => `record-${sequence++}`);
      try {
        const [meta] = await producer.send({
          topic,
          acks: -1,
          messages: values.map((value) => ({ key: value, value, partition: sequence % 3 })),
        });
        values.forEach((v, i) => acknowledged.set(`${meta.partition}:${Number(meta.baseOffset) + i}`, v));
      } catch {
        return; // the broker is gone
      }
    }
  };
  const loops = Array.from({ length: loopCount }, () => loop());
  return {
    acknowledged,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      await producer.disconnect().catch(() => undefined);
    },
  };
}

/** Kills a `kw broker` process once `acknowledged` holds `count` records, and waits for it to exit. */
async function killOnceAcknowledged(
  broker: { process: ChildProcess },
  acknowledged: ReadonlyMap<string, string>,
  count: number,
): Promise<void> {
  while (acknowledged.size < count) await new Promise((r) => setTimeout(r, 20));
  broker.process.kill('SIGKILL');
  await new Promise((r) => broker.process.once('exit', r));
  // A killed process cannot remove its run files (kw cluster reports such files as stale): the test
  // that killed it does, so they do not pile up in the shared run folder.
  const runs = runDirectory();
  if (existsSync(runs))
    removeRunFiles(
      readdirSync(runs).map((f) => path.join(runs, f)),
      broker.process.pid,
    );
}

/** Every record of `topic` a broker serves, by "partition:offset", and each partition's end offset. */
async function readBack(
  bootstrap: string,
  topic: string,
): Promise<{ stored: Map<string, string>; offsets: { partition: number; high: string }[]; total: number }> {
  const again = new Kafka({ clientId: 'verify', brokers: [bootstrap], ...quiet });
  const a = again.admin();
  await a.connect();
  const offsets = await a.fetchTopicOffsets(topic);
  await a.disconnect();
  const total = offsets.reduce((n, o) => n + Number(o.high), 0);
  const stored = new Map<string, string>();
  const consumer = again.consumer({ groupId: `verify-${topic}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) stored.set(`${batch.partition}:${m.offset}`, m.value!.toString());
        if (stored.size >= total) resolve();
      },
    });
  });
  await consumer.disconnect();
  return { stored, offsets, total };
}

/** How many acknowledged records a broker does not serve at their offsets with their values. */
function missingFrom(acknowledged: ReadonlyMap<string, string>, stored: ReadonlyMap<string, string>): number {
  let missing = 0;
  for (const [position, value] of acknowledged) if (stored.get(position) !== value) missing++;
  return missing;
}

test('SIGKILL during an acks=-1 produce loop loses no acknowledged record (≥ 10,000)', async () => {
  // GIVEN a broker process with a data directory and a producer writing as fast as it can
  const broker = await startCliBroker(['--data-dir', dir, '--fsync', 'batch']);
  const kafka = new Kafka({
    clientId: 'crash',
    brokers: [broker.bootstrap],
    retry: { retries: 0 },
    ...quiet,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'acked', numPartitions: 3 }] });
  await admin.disconnect();
  const producer = kafka.producer({ retry: { retries: 0 } });
  await producer.connect();
  const { acknowledged, stop } = produceUntilGone(producer, 'acked', 4);

  // WHEN it is killed mid-produce, once more than 10,000 records are acknowledged
  await killOnceAcknowledged(broker, acknowledged, 10_000);
  await stop();

  // THEN a restarted broker serves every acknowledged record at its offset
  const restarted = await startCliBroker(['--data-dir', dir]);
  try {
    const { stored, offsets, total } = await readBack(restarted.bootstrap, 'acked');
    expect(total).toBeGreaterThanOrEqual(acknowledged.size);
    expect(missingFrom(acknowledged, stored)).toBe(0);
    // offsets are dense: 0..high-1 in every partition
    for (const o of offsets) {
      for (let i = 0; i < Number(o.high); i++) expect(stored.has(`${o.partition}:${i}`)).toBe(true);
    }
  } finally {
    await restarted.stop();
  }
});

test('three brokers, RF 3, min.insync.replicas 2: SIGKILL under acks=all load loses no acknowledged record', async () => {
  // GIVEN a three-broker process with a data directory (a folder per replica) and acks=all producers
  const broker = await startCliBroker(['--brokers', '3', '--data-dir', dir]);
  const kafka = new Kafka({
    clientId: 'crash-3',
    brokers: [broker.bootstrap],
    retry: { retries: 0 },
    ...quiet,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      {
        topic: 'replicated',
        numPartitions: 3,
        replicationFactor: 3,
        configEntries: [{ name: 'min.insync.replicas', value: '2' }],
      },
    ],
  });
  await admin.disconnect();
  const producer = kafka.producer({ retry: { retries: 0 } });
  await producer.connect();
  const { acknowledged, stop } = produceUntilGone(producer, 'replicated', 3);

  // WHEN the process is killed once 5,000 records are acknowledged
  await killOnceAcknowledged(broker, acknowledged, 5_000);
  await stop();
  expect(readdirSync(dir).filter((f) => f.startsWith('broker-')).length).toBe(3);

  // THEN the restarted cluster serves every acknowledged record at its offset
  const restarted = await startCliBroker(['--brokers', '3', '--data-dir', dir]);
  try {
    const { stored, total } = await readBack(restarted.bootstrap, 'replicated');
    expect(total).toBeGreaterThanOrEqual(acknowledged.size);
    expect(missingFrom(acknowledged, stored)).toBe(0);
  } finally {
    await restarted.stop();
  }
});

test('a torn segment tail is truncated on restart; topics, configs and committed offsets survive', async () => {
  const first = await startBroker({ port: 0, dataDir: dir });
  const kafka = new Kafka({ clientId: 'restart', brokers: [first.bootstrapServers], ...quiet });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'kept', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
    ],
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: 'kept',
    messages: [
      { value: 'a', partition: 0 },
      { value: 'b', partition: 0 },
    ],
  });
  await producer.disconnect();
  const admin2 = kafka.admin();
  await admin2.connect();
  await admin2.setOffsets({ groupId: 'readers', topic: 'kept', partitions: [{ partition: 0, offset: '1' }] });
  await admin2.disconnect();
  await first.close();

  // a crash in the middle of a write leaves half a batch at the end of the segment
  const segmentDir = path.join(dir, 'kept-0');
  const [segment] = readdirSync(segmentDir);
  appendFileSync(path.join(segmentDir, segment), Buffer.from('0000000000000002000000ff00', 'hex'));

  const second = await startBroker({ port: 0, dataDir: dir });
  try {
    const topic = second.cluster.topics.get('kept')!;
    expect(topic.partitions).toHaveLength(2);
    expect(topic.configs['retention.ms']).toBe('3600000');
    expect(topic.partitions[0].log.highWatermark).toBe(2);
    const again = new Kafka({ clientId: 'restart-2', brokers: [second.bootstrapServers], ...quiet });
    const a = again.admin();
    await a.connect();
    expect(await a.fetchOffsets({ groupId: 'readers', topics: ['kept'] })).toEqual([
      { topic: 'kept', partitions: expect.arrayContaining([{ partition: 0, offset: '1', metadata: null }]) },
    ]);
    await a.disconnect();
    // and it appends after the recovered records
    const p = again.producer();
    await p.connect();
    const [meta] = await p.send({ topic: 'kept', messages: [{ value: 'c', partition: 0 }] });
    await p.disconnect();
    expect(meta.baseOffset).toBe('2');
  } finally {
    await second.close();
  }
});

test('a data directory in use by a running broker is refused with the reason', async () => {
  const first = await startBroker({ port: 0, dataDir: dir });
  try {
    await expect(startBroker({ port: 0, dataDir: dir })).rejects.toThrow(/is in use by/);
  } finally {
    await first.close();
  }
});

test('a topic deleted and created again under the same name comes back as the new one after a restart', async () => {
  const first = await startBroker({ port: 0, dataDir: dir });
  const old = first.cluster.createTopic('reborn', 1);
  const kafka = new Kafka({ clientId: 'reborn', brokers: [first.bootstrapServers], ...quiet });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: 'reborn',
    messages: Array.from({ length: 10 }, (_, i) => ({ value: `old-${i}` })),
  });
  first.cluster.deleteRecords('reborn', 0, 8);
  first.cluster.deleteTopic('reborn');
  const fresh = first.cluster.createTopic('reborn', 1);
  await producer.send({ topic: 'reborn', messages: [{ value: 'new-0' }, { value: 'new-1' }] });
  await producer.disconnect();
  await first.close();

  const second = await startBroker({ port: 0, dataDir: dir });
  try {
    const topic = second.cluster.topics.get('reborn')!;
    expect(topic.id.equals(fresh.id)).toBe(true);
    expect(topic.id.equals(old.id)).toBe(false);
    // the old incarnation's DeleteRecords must not apply to the new topic
    expect(topic.partitions[0].log.logStartOffset).toBe(0);
    expect(topic.partitions[0].log.highWatermark).toBe(2);
  } finally {
    await second.close();
  }
});

test('configs set on a topic stay set after a restart, also when their value is the default', async () => {
  // GIVEN a topic created with one config at its default value and one changed
  const first = await startBroker({ port: 0, dataDir: dir });
  first.cluster.createTopic('overridden', 1, { 'min.insync.replicas': '1', 'retention.ms': '3600000' });
  await first.close();

  // WHEN the broker restarts from its data directory
  const second = await startBroker({ port: 0, dataDir: dir });
  try {
    // THEN both are still the topic's own settings (DescribeConfigs source TOPIC_CONFIG), the rest defaults
    const topic = second.cluster.topics.get('overridden')!;
    expect([...topic.overrides].sort()).toEqual(['min.insync.replicas', 'retention.ms']);
    expect(topic.configs['retention.ms']).toBe('3600000');
  } finally {
    await second.close();
  }
});

test('retention, a delete cut short by a crash, topic deletion and stale locks all survive a restart correctly', async () => {
  const first = await startBroker({ port: 0, dataDir: dir });
  const kept = first.cluster.createTopic('aged', 1, { 'retention.bytes': '300', 'segment.bytes': '250' });
  first.cluster.createTopic('doomed', 1);
  first.cluster.createTopic('read', 1);
  const kafka = new Kafka({ clientId: 'survive', brokers: [first.bootstrapServers], ...quiet });
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < 8; i++)
    await producer.send({ topic: 'aged', messages: [{ value: `record-${i}`.padEnd(100, '.') }] });
  await producer.send({ topic: 'doomed', messages: [{ value: 'old' }] });
  await producer.send({ topic: 'read', messages: [{ value: 'a' }] });
  await producer.disconnect();
  first.cluster.enforceRetention();
  const start = kept.partitions[0].log.logStartOffset;
  expect(start).toBeGreaterThan(0);
  first.groups.commitOffset('readers', 'read', 0, { offset: 1n, leaderEpoch: -1, metadata: null });
  first.groups.deleteTopic(first.cluster, 'read');
  await first.close();
  // a broker that died after journaling the delete of 'doomed' but before removing its folder
  appendFileSync(
    path.join(dir, 'cluster.journal'),
    `${JSON.stringify({ op: 'delete-topic', name: 'doomed' })}\n`,
  );
  // and a lock file left with this very pid (a restarted container reuses pids) or with no pid at all
  appendFileSync(path.join(dir, 'broker.lock'), String(process.pid));

  const second = await startBroker({ port: 0, dataDir: dir });
  try {
    expect(second.cluster.topics.get('aged')!.partitions[0].log.logStartOffset).toBe(start);
    expect(second.cluster.topics.has('doomed')).toBe(false);
    expect(readdirSync(dir)).not.toContain('doomed-0');
    const reborn = second.cluster.createTopic('doomed', 1);
    expect(reborn.partitions[0].log.highWatermark).toBe(0);
    expect(second.groups.committedOffset('readers', 'read', 0)).toBeUndefined();
  } finally {
    await second.close();
  }
});

test('the offsets journal is compacted while the broker runs, not only at start-up', async () => {
  const broker = await startBroker({ port: 0, dataDir: dir });
  try {
    broker.cluster.createTopic('busy', 1);
    for (let i = 1; i <= 10_500; i++)
      broker.groups.commitOffset('auto-committer', 'busy', 0, {
        offset: BigInt(i),
        leaderEpoch: -1,
        metadata: null,
      });
    const lines = readFileSync(path.join(dir, 'offsets.journal'), 'utf8').trim().split('\n');
    expect(lines.length).toBeLessThan(1000);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ group: 'auto-committer', offset: '10500' });
  } finally {
    await broker.close();
  }
  const again = await startBroker({ port: 0, dataDir: dir });
  try {
    expect(again.groups.committedOffset('auto-committer', 'busy', 0)?.offset).toBe(10_500n);
  } finally {
    await again.close();
  }
});
