/**
 * Current Python clients from PyPI (confluent-kafka, on a current librdkafka, and kafka-python 3.x,
 * pinned in test/peers/python/requirements.txt and installed into .test-deps/python by
 * scripts/install-test-deps.sh) against `kw broker --brokers 3`: admin, an idempotent producer with
 * keys and headers, a group consumer that commits. Every record's key, value, headers, partition and
 * offset is checked, and what the client reports against the broker (kafkajs, raw fetches). Debian's
 * older kafka-python keeps its own test (kafka-python.test.ts).
 */
import { startCliBroker, type CliBroker } from '../support/kw-process';
import {
  committedOffsets,
  endOffsets,
  idempotenceProblems,
  keyPartition,
  storedBatches,
  withAdmin,
} from './clients/broker-view';
import { eventsNamed, PYTHON_CLIENTS, runPythonProbe, succeeded, type PeerEvent } from './clients/peers';

jest.setTimeout(120_000);

let broker: CliBroker;

beforeAll(async () => {
  broker = await startCliBroker(['--brokers', '3']);
});
afterAll(() => broker?.stop());

const CLIENTS = [
  { name: 'confluent-kafka', script: 'confluent_probe.py', topicExists: 'TOPIC_ALREADY_EXISTS' },
  { name: 'kafka-python', script: 'kafka_python_probe.py', topicExists: 'TopicAlreadyExistsError' },
] as const;

/** What the probes send as record i (probe_events.order). */
function order(i: number) {
  return { key: `customer-${i % 5}`, value: `order-${i}`, headers: { trace: `t-${i}`, source: 'python' } };
}

const recordFields = (e: PeerEvent) => ({
  key: e.key,
  value: e.value,
  headers: e.headers,
  partition: e.partition,
  offset: e.offset,
});

describe.each(CLIENTS)('$name', ({ name, script, topicExists }) => {
  const topic = `${name}-orders`;
  const group = `${name}-readers`;
  const count = 15;
  const probe = async (...args: string[]) =>
    succeeded(
      await runPythonProbe(script, [args[0], broker.bootstrap, ...args.slice(1)]),
      `${name} ${args[0]}`,
    );

  test('is the pinned version; its admin creates a topic, is refused a second one by that name, and describes it and the cluster', async () => {
    const run = await probe('admin', topic, '3');
    const [client] = eventsNamed(run, 'client');
    expect(PYTHON_CLIENTS).toContain(`${name}==${String(client.version)}`);
    expect(eventsNamed(run, 'create-again')).toEqual([{ event: 'create-again', topic, error: topicExists }]);
    const [described] = eventsNamed(run, 'topic');
    const { leaders, brokers } = await withAdmin(broker.bootstrap, async (admin) => ({
      leaders: (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions,
      brokers: (await admin.describeCluster()).brokers,
    }));
    expect(described.partitions).toEqual(
      leaders
        .sort((a, b) => a.partitionId - b.partitionId)
        .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: [p.leader], isr: [p.leader] })),
    );
    expect(new Set(leaders.map((p) => p.leader))).toEqual(new Set([1, 2, 3]));
    const [cluster] = eventsNamed(run, 'cluster');
    expect(cluster.nodes).toEqual(
      brokers.sort((a, b) => a.nodeId - b.nodeId).map((b) => ({ id: b.nodeId, host: b.host, port: b.port })),
    );
  });

  describe('an idempotent producer and a group consumer', () => {
    let produced: PeerEvent[];
    let consumed: PeerEvent[];
    let committed: unknown;

    beforeAll(async () => {
      produced = eventsNamed(await probe('produce', topic, String(count)), 'produced');
      const run = await probe('consume', topic, group, String(count));
      consumed = eventsNamed(run, 'consumed');
      committed = eventsNamed(run, 'committed')[0]?.offsets;
    });

    test('the producer writes each keyed record with its headers where its key hashes, in order', async () => {
      const next = new Map<number, number>();
      expect(produced.map(recordFields)).toEqual(
        Array.from({ length: count }, (_, i) => {
          const partition = keyPartition(order(i).key, 3);
          const offset = next.get(partition) ?? 0;
          next.set(partition, offset + 1);
          return { ...order(i), partition, offset };
        }),
      );
      expect(await endOffsets(broker.bootstrap, topic)).toEqual(
        [0, 1, 2].map((p) => produced.filter((e) => e.partition === p).length),
      );
    });

    test('the broker holds its batches with a producer id and gap-free sequence numbers', async () => {
      const batches = await storedBatches(broker.bootstrap, topic);
      expect(batches.reduce((n, b) => n + b.recordCount, 0)).toBe(count);
      expect(idempotenceProblems(batches)).toEqual([]);
    });

    test('the consumer reads every record once with its key, value, headers, partition and offset', () => {
      const byPosition = (a: ReturnType<typeof recordFields>, b: ReturnType<typeof recordFields>) =>
        Number(a.partition) - Number(b.partition) || Number(a.offset) - Number(b.offset);
      expect(consumed.map(recordFields).sort(byPosition)).toEqual(
        produced.map(recordFields).sort(byPosition),
      );
    });

    test('its commits are what the client and kafkajs read back: each partition’s end offset', async () => {
      const ends = await endOffsets(broker.bootstrap, topic);
      expect(committed).toEqual(Object.fromEntries(ends.map((end, p) => [`${topic}-${p}`, end])));
      expect(await committedOffsets(broker.bootstrap, group, topic)).toEqual(ends);
    });
  });
});
