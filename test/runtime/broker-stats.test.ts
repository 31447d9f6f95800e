/**
 * What the runtime reads of the embedded broker through its public API: stats() for the live summary,
 * and PortInUseError, which kw up turns into a message naming its own flag.
 */
import { createServer, type Server } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerOptionsError, PortInUseError, startBroker } from '../../local/broker/broker';
import { startKafkaTarget } from '../../local/runtime/kafka-target';

describe('embedded broker stats', () => {
  it('GIVEN records produced and some deleted THEN stats() shows each partition’s log start and high watermark, as of the call', async () => {
    const broker = await startBroker({ port: 0 });
    const kafka = new Kafka({ brokers: [broker.bootstrapServers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer();
    try {
      await admin.connect();
      await producer.connect();
      await admin.createTopics({ topics: [{ topic: 'stats', numPartitions: 2 }] });
      await producer.send({
        topic: 'stats',
        messages: [
          { value: 'a', partition: 0 },
          { value: 'b', partition: 0 },
          { value: 'c', partition: 0 },
          { value: 'd', partition: 1 },
        ],
      });
      broker.cluster.deleteRecords('stats', 0, 1);

      const before = broker.stats();
      await producer.send({ topic: 'stats', messages: [{ value: 'e', partition: 1 }] });

      expect(before.topics.find((t) => t.name === 'stats')?.partitions).toEqual([
        expect.objectContaining({ partition: 0, leader: 1, logStartOffset: 1, highWatermark: 3 }),
        expect.objectContaining({ partition: 1, leader: 1, logStartOffset: 0, highWatermark: 1 }),
      ]);
      expect(broker.stats().topics.find((t) => t.name === 'stats')?.partitions[1].highWatermark).toBe(2);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
      await broker.close();
    }
  });
});

describe('a broker port already in use', () => {
  let taken: Server;
  let port: number;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it('GIVEN the port taken WHEN the broker starts THEN it throws PortInUseError, still a BrokerOptionsError', async () => {
    const error = await startBroker({ port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortInUseError);
    expect(error).toBeInstanceOf(BrokerOptionsError);
    expect(error).toMatchObject({
      name: 'PortInUseError',
      port,
      host: '127.0.0.1',
      message: `port ${port} on 127.0.0.1 is already in use: stop what runs there or pass another --port`,
    });
  });

  it('GIVEN the port taken WHEN the runtime starts its broker THEN the message names --broker-port', async () => {
    await expect(startKafkaTarget({ host: '127.0.0.1', brokerPort: port })).rejects.toThrow(
      `Kafka port ${port} on 127.0.0.1 is already in use (a 'kw broker' or another 'kw up'?): stop it or pass --broker-port`,
    );
  });
});
