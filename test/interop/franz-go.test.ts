/**
 * franz-go (github.com/twmb/franz-go v1.22.3 with kadm v1.20.0, a strict, current Go client) against
 * `kw broker --brokers 3`, through the probe in test/peers/franz-go that scripts/install-test-deps.sh
 * builds: admin, an idempotent producer (franz-go's default), a group consumer that commits. Every
 * record's key, value, headers, partition and offset is checked, and what the client reports against
 * the broker (kafkajs, raw fetches). Without the built probe the suite fails saying how to build it.
 */
import { cliBrokerForTests } from '../support/kw-process';
import { endOffsets } from './clients/broker-view';
import { eventsNamed, runFranzProbe, type PeerEvent } from './clients/peers';
import {
  expectCommittedToTheEnd,
  expectTopicAndClusterMatchBroker,
  idempotentBatches,
  inPartitionOrder,
  perPartition,
  placedOrders,
  probeCommands,
  producedThenConsumed,
  recordFields,
} from './clients/probe-records';

jest.setTimeout(120_000);

const broker = cliBrokerForTests(['--brokers', '3']);
const franz = probeCommands('franz-probe', runFranzProbe, broker);

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
  await expectTopicAndClusterMatchBroker(run, broker.bootstrap, topic, 'brokers');
  const [cluster] = eventsNamed(run, 'cluster');
  expect([1, 2, 3]).toContain(cluster.controller);
});

describe('an idempotent producer and a group consumer', () => {
  const reported = producedThenConsumed(franz, topic, group, count);

  test('the producer writes each keyed record with its headers where its key hashes, in order', async () => {
    expect(reported.produced.map(recordFields)).toEqual(placedOrders(count, 'franz-go'));
    expect(await endOffsets(broker.bootstrap, topic)).toEqual(perPartition(reported.produced));
  });

  test('the broker holds its batches with its producer id and gap-free sequence numbers', async () => {
    const batches = await idempotentBatches(broker.bootstrap, topic, count);
    const producerIds = new Set(reported.produced.map((e) => e.producerId));
    expect(producerIds.size).toBe(1);
    expect(new Set(batches.map((b) => Number(b.producerId)))).toEqual(producerIds);
  });

  test('the consumer reads every record once with its key, value, headers, partition, offset and producer id', () => {
    const withProducer = (e: PeerEvent) => ({ ...recordFields(e), producerId: e.producerId });
    expect(inPartitionOrder(reported.consumed).map(withProducer)).toEqual(
      inPartitionOrder(reported.produced).map(withProducer),
    );
  });

  test('its commits are what the client and kafkajs read back: each partition’s end offset', async () => {
    await expectCommittedToTheEnd(broker.bootstrap, group, topic, reported.committed);
  });

  test('kadm lists the group, empty once its member left', async () => {
    const listed = eventsNamed(await franz('groups'), 'group').filter((g) => g.group === group);
    expect(listed).toEqual([
      { event: 'group', group, state: 'Empty', protocolType: 'consumer', coordinator: expect.any(Number) },
    ]);
    expect([1, 2, 3]).toContain(listed[0].coordinator);
  });
});
