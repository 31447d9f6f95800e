/**
 * franz-go (github.com/twmb/franz-go v1.22.3 with kadm v1.20.0, a strict, current Go client) against
 * `kw broker --brokers 3`, through the probe in test/peers/franz-go that scripts/install-test-deps.sh
 * builds: admin, an idempotent producer (franz-go's default), a group consumer that commits. Every
 * record's key, value, headers, partition and offset is checked, and what the client reports against
 * the broker (kafkajs, raw fetches). Without the built probe the suite fails saying how to build it.
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
import { eventsNamed, runFranzProbe, succeeded, type PeerEvent } from './clients/peers';

jest.setTimeout(120_000);

let broker: CliBroker;

beforeAll(async () => {
  broker = await startCliBroker(['--brokers', '3']);
});
afterAll(() => broker?.stop());

async function franz(...args: string[]) {
  return succeeded(
    await runFranzProbe([args[0], broker.bootstrap, ...args.slice(1)]),
    `franz-probe ${args[0]}`,
  );
}

/** What the probe sends as record i (main.go's order). */
function order(i: number) {
  return { key: `customer-${i % 5}`, value: `order-${i}`, headers: { trace: `t-${i}`, source: 'franz-go' } };
}

const recordFields = (e: PeerEvent) => ({
  key: e.key,
  value: e.value,
  headers: e.headers,
  partition: e.partition,
  offset: e.offset,
});

const topic = 'franz-orders';
const group = 'franz-readers';
const count = 15;

test('kadm creates a topic, is refused a second one by that name, and describes it and the cluster', async () => {
  const run = await franz('admin', topic, '3');
  expect(eventsNamed(run, 'created')).toEqual([
    { event: 'created', topic, partitions: 3, replicationFactor: 1 },
  ]);
  expect(eventsNamed(run, 'create-again')).toEqual([
    { event: 'create-again', topic, error: 'TOPIC_ALREADY_EXISTS' },
  ]);
  const { leaders, brokers } = await withAdmin(broker.bootstrap, async (admin) => ({
    leaders: (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions,
    brokers: (await admin.describeCluster()).brokers,
  }));
  const [described] = eventsNamed(run, 'topic');
  expect(described.partitions).toEqual(
    leaders
      .sort((a, b) => a.partitionId - b.partitionId)
      .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: [p.leader], isr: [p.leader] })),
  );
  expect(new Set(leaders.map((p) => p.leader))).toEqual(new Set([1, 2, 3]));
  const [cluster] = eventsNamed(run, 'cluster');
  expect(cluster.brokers).toEqual(
    brokers.sort((a, b) => a.nodeId - b.nodeId).map((b) => ({ id: b.nodeId, host: b.host, port: b.port })),
  );
  expect([1, 2, 3]).toContain(cluster.controller);
});

describe('an idempotent producer and a group consumer', () => {
  let produced: PeerEvent[];
  let consumed: PeerEvent[];
  let committed: unknown;

  beforeAll(async () => {
    produced = eventsNamed(await franz('produce', topic, String(count)), 'produced');
    const run = await franz('consume', topic, group, String(count));
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

  test('the broker holds its batches with its producer id and gap-free sequence numbers', async () => {
    const batches = await storedBatches(broker.bootstrap, topic);
    expect(batches.reduce((n, b) => n + b.recordCount, 0)).toBe(count);
    expect(idempotenceProblems(batches)).toEqual([]);
    const producerIds = new Set(produced.map((e) => e.producerId));
    expect(producerIds.size).toBe(1);
    expect(new Set(batches.map((b) => Number(b.producerId)))).toEqual(producerIds);
  });

  test('the consumer reads every record once with its key, value, headers, partition, offset and producer id', () => {
    const byPosition = (a: PeerEvent, b: PeerEvent) =>
      Number(a.partition) - Number(b.partition) || Number(a.offset) - Number(b.offset);
    const withProducer = (e: PeerEvent) => ({ ...recordFields(e), producerId: e.producerId });
    expect([...consumed].sort(byPosition).map(withProducer)).toEqual(
      [...produced].sort(byPosition).map(withProducer),
    );
  });

  test('its commits are what the client and kafkajs read back: each partition’s end offset', async () => {
    const ends = await endOffsets(broker.bootstrap, topic);
    expect(committed).toEqual(Object.fromEntries(ends.map((end, p) => [`${topic}-${p}`, end])));
    expect(await committedOffsets(broker.bootstrap, group, topic)).toEqual(ends);
  });

  test('kadm lists the group, empty once its member left', async () => {
    const listed = eventsNamed(await franz('groups'), 'group').filter((g) => g.group === group);
    expect(listed).toEqual([
      { event: 'group', group, state: 'Empty', protocolType: 'consumer', coordinator: expect.any(Number) },
    ]);
    expect([1, 2, 3]).toContain(listed[0].coordinator);
  });
});
