/**
 * Idempotent producers whose responses get lost: kafkajs resends the batch, and the broker answers
 * with the original offset instead of writing it twice.
 */
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import { ProducerStates } from '../../local/broker/log/producer-state';
import { ErrorCode } from '../../local/kafka/errors';
import { startDroppingProxy, type DroppingProxy } from '../support/response-dropping-proxy';

describe('producer sequence checks', () => {
  const batch = (producerId: bigint, epoch: number, baseSequence: number, records = 1) => ({
    producerId,
    producerEpoch: epoch,
    baseSequence,
    lastOffsetDelta: records - 1,
  });

  test('in order appends, a resent batch is a duplicate with its first offset and time, gaps and old epochs are refused', () => {
    const states = new ProducerStates();
    expect(states.check(batch(7n, 0, 0, 3)).kind).toBe('append');
    states.record(7n, 0, 0, 2, 100, 1_700_000_000_000n);
    expect(states.check(batch(7n, 0, 0, 3))).toEqual({
      kind: 'duplicate',
      baseOffset: 100,
      timestamp: 1_700_000_000_000n,
    });
    expect(states.check(batch(7n, 0, 5))).toMatchObject({
      kind: 'error',
      code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    });
    expect(states.check(batch(7n, 0, 3)).kind).toBe('append');
    states.record(7n, 1, 0, 0, 103, 1_700_000_000_001n); // a new epoch starts again at 0
    expect(states.check(batch(7n, 0, 4))).toMatchObject({
      kind: 'error',
      code: ErrorCode.INVALID_PRODUCER_EPOCH,
    });
    expect(states.check(batch(7n, 2, 1))).toMatchObject({
      kind: 'error',
      code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    });
    // As in Kafka, a producer the partition holds no state for may start anywhere (its state may
    // have gone with its records).
    expect(states.check(batch(8n, 0, 9)).kind).toBe('append');
    expect(states.check(batch(-1n, -1, -1)).kind).toBe('append'); // not idempotent
  });
});

describe('kafkajs idempotent producer through a connection that loses responses', () => {
  let broker: RunningBroker;
  let proxy: DroppingProxy;

  beforeAll(async () => {
    let brokerPort = 0;
    proxy = await startDroppingProxy(() => brokerPort, 4);
    broker = await startBroker({ port: 0, advertisedListeners: [`127.0.0.1:${proxy.port}`] });
    brokerPort = broker.port;
  });
  afterAll(async () => {
    await proxy.close();
    await broker.close();
  });

  test('every record is stored exactly once although responses were lost', async () => {
    broker.cluster.createTopic('exactly-once', 1);
    const kafka = new Kafka({
      clientId: 'idempotent',
      brokers: [`127.0.0.1:${proxy.port}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 20 },
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < 60; i++)
      await producer.send({ topic: 'exactly-once', acks: -1, messages: [{ key: `k${i}`, value: `v${i}` }] });
    await producer.disconnect();
    expect(proxy.dropped()).toBeGreaterThan(5);

    // read back directly from the broker, not through the proxy
    const direct = new Kafka({
      clientId: 'reader',
      brokers: [`127.0.0.1:${broker.port}`],
      logLevel: logLevel.NOTHING,
    });
    const admin = direct.admin();
    await admin.connect();
    const [offsets] = await admin.fetchTopicOffsets('exactly-once');
    await admin.disconnect();
    expect(offsets.high).toBe('60');
  });
});
