/**
 * kafkajs through a leader move on three embedded brokers: an idempotent producer sending acks=all
 * records one at a time, and a group member reading them, while the broker leading the topic's
 * partition (replication factor 3, min.insync.replicas=2) is stopped and started again. No
 * acknowledged record may be lost or written twice, and the member must carry on reading.
 * test/interop/leader-move.test.ts puts librdkafka, kafka-python and the Java client through the same.
 */
import { Kafka, logLevel } from 'kafkajs';
import { embeddedDrillCluster, type DrillCluster } from '../support/drill-cluster';
import {
  createMovingTopic,
  figuresLine,
  leaderMoveDrill,
  untilFetchingFromEvery,
  type MovingClient,
} from '../support/leader-move';
import { until } from '../support/until';

jest.setTimeout(300_000);

let cluster: DrillCluster | undefined;
afterEach(async () => {
  await cluster?.close();
});

/**
 * kafkajs producing `m-0`, `m-1`, ... with one send() each (20 ms apart) and a group member reading,
 * both started at once.
 */
async function kafkajsClient(
  bootstrap: string,
  nodeIds: readonly number[],
  topic: string,
  group: string,
): Promise<MovingClient> {
  const kafka = new Kafka({
    clientId: 'leader-move',
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: group });
  const acknowledged: { value: string; at: number }[] = [];
  const read: string[] = [];
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void read.push(message.value!.toString()) });

  let producing = true;
  const loop = (async () => {
    for (let i = 0; producing; i++) {
      const value = `m-${i}`;
      try {
        const [result] = await producer.send({ topic, acks: -1, messages: [{ value }] });
        if (result?.errorCode === 0) acknowledged.push({ value, at: Date.now() });
      } catch {
        // Not acknowledged: kafkajs gave up retrying; the drill counts only what was acknowledged.
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();

  return {
    acknowledged: () => acknowledged,
    read: () => read,
    async finish() {
      producing = false;
      await loop;
      const given = () => new Set(read);
      await until(() => acknowledged.every((a) => given().has(a.value)), 'every acknowledged record read', {
        timeoutMs: 60_000,
      }).catch(() => undefined);
      await untilFetchingFromEvery(consumer, nodeIds);
      await Promise.all([producer.disconnect(), consumer.disconnect()]);
    },
  };
}

test('kafkajs: an idempotent acks=all producer and a group member lose nothing while the leader stops and starts', async () => {
  cluster = await embeddedDrillCluster();
  await createMovingTopic(cluster, 'moving-orders');
  const client = await kafkajsClient(
    cluster.bootstrapServers,
    cluster.nodeIds,
    'moving-orders',
    'moving-readers',
  );
  const figures = await leaderMoveDrill(cluster, 'moving-orders', client);
  console.log(figuresLine('kafkajs 2.2.4', figures));
  expect(figures).toMatchObject({ lost: 0, lostFromLog: 0, duplicatedInLog: 0 });
  expect(figures.read).toBe(figures.acknowledged);
  expect(figures.readAfterRestart).toBeGreaterThan(0);
});
