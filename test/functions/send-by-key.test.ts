/**
 * sendByKey (functions/commons/send-by-key.ts): one produce call per key, so a leader move cannot
 * drop a partition from a multi-partition send unnoticed. Grouping, and a real kafkajs producer on
 * three embedded brokers through a leader's stop: every message of every resolved call is in the log.
 */
import { Kafka, logLevel, type Message } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import { byKey, sendByKey } from '../../functions/commons/send-by-key';

describe('byKey', () => {
  test('messages sharing a key stay together in order; keyless ones go alone', () => {
    const m = (key: string | null, value: string): Message => ({ key, value });
    const groups = byKey([m('a', '1'), m('b', '2'), m(null, '3'), m('a', '4'), m(null, '5')]);
    expect(groups.map((g) => g.map((x) => x.value))).toEqual([['1', '4'], ['2'], ['3'], ['5']]);
  });
});

describe('through a leader move', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({ brokers: 3, port: 0 });
    broker.cluster.createTopic('by-key', 3, { 'min.insync.replicas': '2' }, { replicationFactor: 3 });
  });
  afterAll(() => broker.close());

  test('every message of every call that resolved is in the log', async () => {
    const kafka = new Kafka({ brokers: broker.bootstrapServers.split(','), logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const acknowledged: string[] = [];
    let sequence = 0;
    const sendRound = async () => {
      const messages = Array.from({ length: 30 }, () => ({
        key: `customer-${sequence % 10}`,
        value: `m-${sequence++}`,
      }));
      try {
        await sendByKey(producer, [{ topic: 'by-key', messages }]);
        acknowledged.push(...messages.map((x) => x.value));
      } catch {
        // a failed round is retried whole by its mapping; only resolved rounds count
      }
    };
    for (let i = 0; i < 5; i++) await sendRound();
    const leader = broker.cluster.partition('by-key', 0)!.leader;
    const stopping = broker.control.stop(leader);
    for (let i = 0; i < 10; i++) await sendRound();
    await stopping;
    await broker.control.start(leader);
    for (let i = 0; i < 5; i++) await sendRound();
    await producer.disconnect();

    const stored = new Set<string>();
    for (const p of broker.cluster.topics.get('by-key')!.partitions) {
      const { batches } = p.log.read(p.log.logStartOffset, 64 << 20);
      for (const bytes of batches) {
        // values are ASCII "m-N": find them in the batch bytes
        for (const match of bytes.toString('latin1').matchAll(/m-\d+/g)) stored.add(match[0]);
      }
    }
    const lost = acknowledged.filter((v) => !stored.has(v));
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(lost).toEqual([]);
  }, 60_000);
});
