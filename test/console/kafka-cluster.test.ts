/**
 * The console's cluster source on the embedded broker (three brokers in this process): the snapshot
 * (brokers, partitions, ISR, offsets, sizes), stopping and starting a broker, a partition left without
 * a leader, and topic creation, deletion, partitions and configs with their errors.
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import { ConsoleRequestError, type ClusterSource } from '../../local/console/api';
import { createClusterSource } from '../../local/console/kafka/cluster-source';

let broker: RunningBroker;
let source: ClusterSource;
let producer: Producer;
const logged: string[] = [];

beforeAll(async () => {
  broker = await startBroker({ port: 0, brokers: 3, autoCreateTopics: false });
  source = await createClusterSource({
    bootstrapServers: broker.bootstrapServers.split(','),
    broker,
    log: (m) => logged.push(m),
  });
  producer = new Kafka({
    brokers: broker.bootstrapServers.split(','),
    logLevel: logLevel.NOTHING,
  }).producer();
  await producer.connect();
});

afterAll(async () => {
  await producer.disconnect();
  await source.close();
  await broker.close();
});

async function rejection(promise: Promise<unknown>): Promise<ConsoleRequestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConsoleRequestError);
  return error as ConsoleRequestError;
}

describe('console cluster source on the embedded broker', () => {
  it('GIVEN a replicated topic with records WHEN the cluster is read THEN brokers, partitions, ISR, offsets and sizes show', async () => {
    await source.createTopic({ name: 'snap', partitions: 3, replicationFactor: 3 });
    await producer.send({
      topic: 'snap',
      messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    });

    const snap = await source.cluster();

    expect(snap.controllable).toBe(true);
    expect(snap.clusterId).not.toBe('');
    expect(snap.brokers.map((b) => [b.nodeId, b.state])).toEqual([
      [1, 'up'],
      [2, 'up'],
      [3, 'up'],
    ]);
    const topic = snap.topics.find((t) => t.name === 'snap')!;
    expect(topic.records).toBe(30);
    expect(topic.partitions).toHaveLength(3);
    for (const p of topic.partitions) {
      expect(p.replicas).toHaveLength(3);
      expect([...p.isr].sort()).toEqual([1, 2, 3]);
      expect(p.leader).toBeGreaterThan(0);
      expect(p.offlineReplicas).toEqual([]);
    }
    const stats = broker.stats().topics.find((t) => t.name === 'snap')!;
    expect(topic.partitions.map((p) => p.highWatermark)).toEqual(
      stats.partitions.map((p) => p.highWatermark),
    );
    expect(topic.partitions.map((p) => p.sizeInBytes)).toEqual(stats.partitions.map((p) => p.sizeInBytes));
    expect(topic.sizeInBytes).toBeGreaterThan(0);
    expect(snap.brokers.reduce((n, b) => n + b.replicaOf, 0)).toBeGreaterThanOrEqual(9);
    console.log(
      `snapshot: ${snap.brokers.length} brokers, snap: ${topic.records} records, ${topic.sizeInBytes} bytes`,
    );
  });

  it('GIVEN a broker leading partitions WHEN it is stopped from the console THEN it shows down, leaders moved, and an RF 1 partition on it has no leader but still shows', async () => {
    await source.createTopic({ name: 'single', partitions: 3, replicationFactor: 1 });
    await producer.send({ topic: 'single', messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    const before = await source.cluster();
    const victim = before.topics.find((t) => t.name === 'snap')!.partitions[0].leader;
    const single = before.topics
      .find((t) => t.name === 'single')!
      .partitions.find((p) => p.leader === victim)!;

    const stopped = await source.brokerAction(victim, 'stop');

    expect(stopped.leaderChanges.length).toBeGreaterThan(0);
    expect(stopped.leaderChanges.every((c) => c.before === victim && c.after !== victim)).toBe(true);
    const after = await source.cluster();
    expect(after.brokers.find((b) => b.nodeId === victim)!.state).toBe('down');
    const snap = after.topics.find((t) => t.name === 'snap')!;
    expect(snap.partitions.every((p) => p.leader !== victim && p.leader > 0)).toBe(true);
    expect(snap.partitions[0].offlineReplicas).toEqual([victim]);
    const orphan = after.topics.find((t) => t.name === 'single')!.partitions[single.partition];
    expect(orphan.leader).toBe(-1);
    expect(orphan.highWatermark).toBe(single.highWatermark);
    expect(snap.records).toBe(30);
    console.log(
      `stop ${victim}: ${stopped.leaderChanges.length} leaders moved; single-${single.partition} leader ${orphan.leader}`,
    );

    const page = await source.browse('single', { from: 'beginning' });
    expect(page.records.length).toBe(3 - (single.highWatermark - single.logStartOffset));

    const started = await source.brokerAction(victim, 'start');
    expect(started.action).toBe('start');
    expect((await source.cluster()).brokers.find((b) => b.nodeId === victim)!.state).toBe('up');
  });

  it('GIVEN topics WHEN created, grown and deleted THEN the snapshot follows and bad requests get 400, 404 or 409', async () => {
    await source.createTopic({ name: 'made', partitions: 2, configs: { 'retention.ms': '3600000' } });
    expect((await source.cluster()).topics.find((t) => t.name === 'made')!.partitions).toHaveLength(2);

    expect((await rejection(source.createTopic({ name: 'made', partitions: 1 }))).status).toBe(409);
    const badName = await rejection(source.createTopic({ name: 'bad name!', partitions: 1 }));
    expect(badName.status).toBe(400);
    expect(badName.message).toContain('INVALID_TOPIC_EXCEPTION');
    expect((await rejection(source.createTopic({ name: 'x', partitions: 0 }))).status).toBe(400);
    const tooMany = await rejection(source.createTopic({ name: 'rf', partitions: 1, replicationFactor: 5 }));
    expect(tooMany.status).toBe(400);
    expect(tooMany.message).toContain('INVALID_REPLICATION_FACTOR');

    await source.addPartitions('made', 4);
    expect((await source.cluster()).topics.find((t) => t.name === 'made')!.partitions).toHaveLength(4);
    expect((await rejection(source.addPartitions('made', 0))).status).toBe(400);
    const fewer = await rejection(source.addPartitions('made', 3));
    expect(fewer.status).toBe(400);
    expect(fewer.message).toContain('made has 4 partitions');
    expect((await rejection(source.addPartitions('nope', 1))).status).toBe(404);

    const configs = await source.topicConfigs('made');
    expect(configs.find((c) => c.name === 'retention.ms')).toMatchObject({
      value: '3600000',
      isDefault: false,
    });
    expect(configs.find((c) => c.name === 'cleanup.policy')).toMatchObject({ isDefault: true });
    expect((await rejection(source.topicConfigs('nope'))).status).toBe(404);

    await source.deleteTopic('made');
    expect((await source.cluster()).topics.some((t) => t.name === 'made')).toBe(false);
    expect((await rejection(source.deleteTopic('made'))).status).toBe(404);
    expect((await rejection(source.browse('nope', {}))).status).toBe(404);
    expect((await rejection(source.browse('snap', { partition: 7 }))).status).toBe(400);
    expect((await rejection(source.brokerAction(9, 'stop'))).status).toBe(404);
  });
});
