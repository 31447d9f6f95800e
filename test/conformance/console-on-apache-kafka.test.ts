/**
 * The console's cluster source on Apache Kafka itself (a one-node KRaft cluster from the jars
 * scripts/install-test-deps.sh installs): nothing in it depends on the embedded broker, so the
 * snapshot, configs, browsing, producing and a consumer group read the same over the protocol.
 * Without the embedded broker in the process, sizes are null and brokers cannot be stopped.
 */
import { Kafka, logLevel } from 'kafkajs';
import { ConsoleRequestError, type ClusterSource } from '../../local/console/api';
import { createClusterSource } from '../../local/console/kafka/cluster-source';
import { startApacheKafka, type ApacheKafkaCluster } from '../support/apache-kafka';
import { until } from '../support/until';

let cluster: ApacheKafkaCluster;
let source: ClusterSource;

beforeAll(async () => {
  cluster = await startApacheKafka({ nodes: 1 });
  source = await createClusterSource({ bootstrapServers: cluster.bootstrapServers.split(',') });
}, 120_000);

afterAll(async () => {
  await source?.close();
  await cluster?.stop();
});

describe('console cluster source on Apache Kafka', () => {
  it('GIVEN a topic with records THEN the snapshot, configs and browse read it; sizes are null and brokers not controllable', async () => {
    await source.createTopic({ name: 'console-orders', partitions: 2, replicationFactor: 1 });
    const produced = [];
    for (let n = 0; n < 30; n++) {
      produced.push(
        await source.produce('console-orders', {
          key: `o-${n}`,
          value: JSON.stringify({ n }),
          partition: n % 2,
        }),
      );
    }
    expect(produced[29]).toMatchObject({ partition: 1, offset: 14 });

    const snap = await source.cluster();
    expect(snap.controllable).toBe(false);
    expect(snap.brokers).toEqual([expect.objectContaining({ state: 'up', leaderOf: expect.any(Number) })]);
    const topic = snap.topics.find((t) => t.name === 'console-orders')!;
    expect(topic).toMatchObject({ records: 30, sizeInBytes: null });
    expect(topic.partitions.map((p) => [p.partition, p.highWatermark, p.isr, p.sizeInBytes])).toEqual([
      [0, 15, [1], null],
      [1, 15, [1], null],
    ]);
    await expect(source.brokerAction(1, 'stop')).rejects.toMatchObject({ status: 404 });
    await expect(source.createTopic({ name: 'console-orders', partitions: 1 })).rejects.toMatchObject({
      status: 409,
    });

    const configs = await source.topicConfigs('console-orders');
    expect(configs.find((c) => c.name === 'cleanup.policy')).toMatchObject({
      value: 'delete',
      isDefault: true,
    });

    const newest = await source.browse('console-orders', { limit: 4 });
    expect(newest.records).toHaveLength(4);
    expect(newest.records.map((r) => r.key?.text).sort()).toEqual(['o-26', 'o-27', 'o-28', 'o-29']);
    expect(newest.records[0].value?.encoding).toBe('json');
    const found = await source.browse('console-orders', { from: 'beginning', search: '"n":7}' });
    expect(found.records.map((r) => r.key?.text)).toEqual(['o-7']);
    console.log(
      `Apache Kafka ${cluster.version}: ${snap.topics.length} topics, browse scanned ${newest.scanned}`,
    );
  });

  it('GIVEN a kafkajs consumer group THEN members, assignment and committed offsets read as on the embedded broker', async () => {
    const kafka = new Kafka({ brokers: cluster.bootstrapServers.split(','), logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: 'console-readers' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'console-orders', fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    try {
      const g = await until(
        async () => {
          // 404 until the consumer's first JoinGroup has reached the coordinator.
          const d = await source.group('console-readers').catch((error: unknown) => {
            if (error instanceof ConsoleRequestError && error.status === 404) return undefined;
            throw error;
          });
          return (
            d !== undefined &&
            d.state === 'Stable' &&
            d.lag === 0 &&
            d.offsets.length === 2 &&
            d.offsets.every((o) => o.committed === 15) &&
            d
          );
        },
        'the group to read everything',
        { timeoutMs: 60_000 },
      );
      expect(g.memberList[0].assignment).toEqual([{ topic: 'console-orders', partitions: [0, 1] }]);
      expect(g.generation).toBeNull();
      await expect(
        source.resetOffsets('console-readers', { topic: 'console-orders', to: 'earliest' }),
      ).rejects.toMatchObject({
        status: 409,
      });
    } finally {
      await consumer.disconnect();
    }
    await until(async () => (await source.group('console-readers')).state === 'Empty', 'the group to empty');
    const reset = await source.resetOffsets('console-readers', { topic: 'console-orders', to: 'earliest' });
    expect(reset.offsets.map((o) => [o.before, o.after])).toEqual([
      [15, 0],
      [15, 0],
    ]);
  });
});
