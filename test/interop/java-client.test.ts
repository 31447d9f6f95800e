/**
 * The Java client (kafka-clients 3.9.2, from the Apache Kafka jars scripts/install-test-deps.sh
 * installs) against `kw broker --brokers 3`, through the probe in test/peers/java compiled at test
 * time: admin, an idempotent producer with keys and headers, two group members sharing a topic with
 * the range and the cooperative-sticky assignors, commitSync, offsetsForTimes. Each record the client
 * reports is checked against what the broker holds (kafkajs admin, raw fetches).
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
import { compileJavaProbe, eventsNamed, runJavaProbe, succeeded, type PeerEvent } from './clients/peers';

jest.setTimeout(120_000);

let broker: CliBroker;

beforeAll(async () => {
  compileJavaProbe();
  broker = await startCliBroker(['--brokers', '3']);
}, 120_000);
afterAll(() => broker?.stop());

async function java(...args: string[]) {
  return succeeded(
    await runJavaProbe([args[0], broker.bootstrap, ...args.slice(1)]),
    `java probe ${args[0]}`,
  );
}

/** What the probe sends as record i (KafkaClientProbe.order). */
function order(i: number) {
  return { key: `customer-${i % 5}`, value: `order-${i}`, headers: { trace: `t-${i}`, source: 'java' } };
}

/** Each record's offset: its position among the records sent before it to the same partition. */
function expectedOffsets(partitions: readonly number[]): number[] {
  const next = new Map<number, number>();
  return partitions.map((p) => {
    const offset = next.get(p) ?? 0;
    next.set(p, offset + 1);
    return offset;
  });
}

/** The records as the probe reported them, without the fields that vary from run to run. */
const recordFields = (e: PeerEvent) => ({
  key: e.key,
  value: e.value,
  headers: e.headers,
  partition: e.partition,
  offset: e.offset,
});

describe('admin', () => {
  test('creates a topic, is refused a second one by that name, and describes it and the cluster', async () => {
    const run = await java('admin', 'java-admin', '3');
    expect(eventsNamed(run, 'created')).toEqual([{ event: 'created', topic: 'java-admin' }]);
    expect(eventsNamed(run, 'create-again-failed')).toEqual([
      { event: 'create-again-failed', topic: 'java-admin', error: 'TopicExistsException' },
    ]);
    const [topic] = eventsNamed(run, 'topic');
    const partitions = topic.partitions as {
      partition: number;
      leader: number;
      replicas: number[];
      isr: number[];
    }[];
    expect(partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    for (const p of partitions) {
      expect(p.replicas).toEqual([p.leader]);
      expect(p.isr).toEqual([p.leader]);
    }
    // three partitions on three brokers: one leader each
    expect(new Set(partitions.map((p) => p.leader))).toEqual(new Set([1, 2, 3]));

    const [cluster] = eventsNamed(run, 'cluster');
    const brokers = await withAdmin(
      broker.bootstrap,
      async (admin) => (await admin.describeCluster()).brokers,
    );
    expect(cluster.nodes).toEqual(
      brokers.sort((a, b) => a.nodeId - b.nodeId).map((b) => ({ id: b.nodeId, host: b.host, port: b.port })),
    );
    expect(cluster.nodes).toHaveLength(3);
    expect([1, 2, 3]).toContain(cluster.controller);
    expect(cluster.clusterId).toMatch(/^[\w-]{22}$/);
  });
});

describe('an idempotent producer (enable.idempotence=true, acks=all)', () => {
  const topic = 'java-orders';
  const count = 15;
  const firstTimestamp = 1_700_000_000_000;
  let produced: PeerEvent[];

  beforeAll(async () => {
    await java('admin', topic, '3');
    produced = eventsNamed(await java('produce', topic, String(count), String(firstTimestamp)), 'produced');
  });

  test('writes every keyed record with its headers to the partition its key hashes to, in order', async () => {
    const partitions = Array.from({ length: count }, (_, i) => keyPartition(order(i).key, 3));
    const offsets = expectedOffsets(partitions);
    expect(produced.map(recordFields)).toEqual(
      Array.from({ length: count }, (_, i) => ({
        ...order(i),
        partition: partitions[i],
        offset: offsets[i],
      })),
    );
    expect(produced.map((e) => e.timestamp)).toEqual(
      Array.from({ length: count }, (_, i) => firstTimestamp + i * 1000),
    );
    // the broker holds exactly those records, per partition
    expect(await endOffsets(broker.bootstrap, topic)).toEqual(
      [0, 1, 2].map((p) => partitions.filter((q) => q === p).length),
    );
  });

  test('writes batches that carry its producer id and gap-free sequence numbers', async () => {
    const batches = await storedBatches(broker.bootstrap, topic);
    expect(batches.reduce((n, b) => n + b.recordCount, 0)).toBe(count);
    expect(idempotenceProblems(batches)).toEqual([]);
    expect(new Set(batches.map((b) => b.producerId)).size).toBe(1);
  });

  test('offsetsForTimes finds, in each partition, the first record at or after a timestamp', async () => {
    const queries = [firstTimestamp, firstTimestamp + 2500, firstTimestamp + 60_000];
    const run = await java('offsets-for-times', topic, ...queries.map(String));
    const found = eventsNamed(run, 'offset-for-time');
    const expected = queries.flatMap((query) =>
      [0, 1, 2].map((partition) => {
        const first = produced.find((e) => e.partition === partition && (e.timestamp as number) >= query);
        return {
          event: 'offset-for-time',
          query,
          partition,
          offset: first?.offset ?? null,
          timestamp: first?.timestamp ?? null,
        };
      }),
    );
    expect(found).toEqual(expected);
    // the middle query lands inside each partition, not on its first or past its last record
    expect(found.filter((f) => f.query === queries[1]).every((f) => (f.offset as number) > 0)).toBe(true);
  });
});

describe.each(['range', 'cooperative-sticky'])('two group members with the %s assignor', (assignor) => {
  const topic = `java-group-${assignor}`;
  const group = `java-${assignor}`;
  const count = 20;
  let run: Awaited<ReturnType<typeof java>>;

  beforeAll(async () => {
    await java('admin', topic, '3');
    run = await java('group', topic, group, assignor, String(count));
  });

  test('share the partitions: each holds some, none is held twice, the group runs that assignor', () => {
    const [settled] = eventsNamed(run, 'settled');
    const held = Object.values(settled.assignments as Record<string, string[]>);
    expect(held).toHaveLength(2);
    expect(held.every((partitions) => partitions.length > 0)).toBe(true);
    expect(held.flat().sort()).toEqual([0, 1, 2].map((p) => `${topic}-${p}`));
    expect(eventsNamed(run, 'group-described')).toEqual([
      { event: 'group-described', assignor, state: 'Stable', members: 2 },
    ]);
  });

  test('read every record once, with its key, value, headers, partition and offset, from the member holding it', () => {
    const produced = eventsNamed(run, 'produced');
    const consumed = eventsNamed(run, 'consumed');
    expect(produced).toHaveLength(count);
    const partitions = produced.map((e) => keyPartition(e.key as string, 3));
    const offsets = expectedOffsets(partitions);
    expect(produced.map(recordFields)).toEqual(
      Array.from({ length: count }, (_, i) => ({
        ...order(i),
        partition: partitions[i],
        offset: offsets[i],
      })),
    );
    const sortedByValue = (events: PeerEvent[]) =>
      events.map(recordFields).sort((a, b) => String(a.value).localeCompare(String(b.value)));
    expect(sortedByValue(consumed)).toEqual(sortedByValue(produced));
    const [settled] = eventsNamed(run, 'settled');
    const holder = settled.assignments as Record<string, string[]>;
    for (const record of consumed) {
      expect(holder[String(record.member)]).toContain(`${topic}-${String(record.partition)}`);
    }
  });

  test('commitSync stored each partition’s next offset, as the client and kafkajs both read back', async () => {
    const ends = await endOffsets(broker.bootstrap, topic);
    expect(await committedOffsets(broker.bootstrap, group, topic)).toEqual(ends);
    const lastCommitted: Record<string, number> = {};
    for (const e of eventsNamed(run, 'committed')) Object.assign(lastCommitted, e.offsets);
    expect(lastCommitted).toEqual(Object.fromEntries(ends.map((end, p) => [`${topic}-${p}`, end])));
  });
});

test('the admin client lists the groups with their state and committed offsets', async () => {
  const groups = eventsNamed(await java('groups'), 'group');
  for (const assignor of ['range', 'cooperative-sticky']) {
    const topic = `java-group-${assignor}`;
    const ends = await endOffsets(broker.bootstrap, topic);
    expect(groups).toContainEqual({
      event: 'group',
      groupId: `java-${assignor}`,
      state: 'Empty',
      committed: Object.fromEntries(ends.map((end, p) => [`${topic}-${p}`, end])),
    });
  }
});
