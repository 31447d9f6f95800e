/**
 * The Java client (kafka-clients 3.9.2, from the Apache Kafka jars scripts/install-test-deps.sh
 * installs) against `kw broker --brokers 3`, through the probe in test/peers/java compiled at test
 * time: admin, an idempotent producer with keys and headers, two group members sharing a topic with
 * the range and the cooperative-sticky assignors, commitSync, offsetsForTimes. Each record the client
 * reports is checked against what the broker holds (kafkajs admin, raw fetches).
 */
import { cliBrokerForTests } from '../support/kw-process';
import { clusterNodes, endOffsets } from './clients/broker-view';
import { compileJavaProbe, eventsNamed, runJavaProbe, type PeerEvent } from './clients/peers';
import {
  byTopicPartition,
  expectCommittedToTheEnd,
  idempotentBatches,
  perPartition,
  placedOrders,
  probeCommands,
  recordFields,
} from './clients/probe-records';

jest.setTimeout(120_000);

// Compiled once, before any test: without a JDK each test fails saying what to install.
beforeAll(() => {
  compileJavaProbe();
});
const broker = cliBrokerForTests(['--brokers', '3']);
const java = probeCommands('java probe', runJavaProbe, broker);

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
    expect(cluster.nodes).toEqual(await clusterNodes(broker.bootstrap));
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
    expect(produced.map(recordFields)).toEqual(placedOrders(count, 'java'));
    expect(produced.map((e) => e.timestamp)).toEqual(
      Array.from({ length: count }, (_, i) => firstTimestamp + i * 1000),
    );
    // the broker holds exactly those records, per partition
    expect(await endOffsets(broker.bootstrap, topic)).toEqual(perPartition(produced));
  });

  test('writes batches that carry its producer id and gap-free sequence numbers', async () => {
    const batches = await idempotentBatches(broker.bootstrap, topic, count);
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
    expect(produced.map(recordFields)).toEqual(placedOrders(count, 'java'));
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
    const lastCommitted: Record<string, number> = {};
    for (const e of eventsNamed(run, 'committed')) Object.assign(lastCommitted, e.offsets);
    await expectCommittedToTheEnd(broker.bootstrap, group, topic, lastCommitted);
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
      committed: byTopicPartition(topic, ends),
    });
  }
});
