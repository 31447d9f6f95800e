/**
 * Consumer groups through the console's cluster source, with real kafkajs consumers on the embedded
 * broker: members and their assignment, committed offsets and lag, the once-a-second lag history, a
 * rebalance recorded when a second consumer joins, and offsets reset only once the group is empty.
 */
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import type { ClusterSource } from '../../local/console/api';
import { createClusterSource } from '../../local/console/kafka/cluster-source';
import { until } from '../support/until';

let broker: RunningBroker;
let source: ClusterSource;
let kafka: Kafka;
let producer: Producer;
const consumers: Consumer[] = [];

beforeAll(async () => {
  broker = await startBroker({ port: 0, autoCreateTopics: false });
  source = await createClusterSource({ bootstrapServers: [broker.bootstrapServers], broker });
  kafka = new Kafka({ brokers: [broker.bootstrapServers], logLevel: logLevel.NOTHING });
  producer = kafka.producer();
  await producer.connect();
  await source.createTopic({ name: 'work', partitions: 4 });
  await producer.send({
    topic: 'work',
    messages: Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, key: `k${i}`, value: `v${i}` })),
  });
});

afterAll(async () => {
  await Promise.all(consumers.map((c) => c.disconnect()));
  await producer.disconnect();
  await source.close();
  await broker.close();
});

/** A consumer in `workers` that reads `work` from the beginning and commits as it goes. */
async function startConsumer(): Promise<Consumer> {
  const consumer = kafka.consumer({
    groupId: 'workers',
    sessionTimeout: 6000,
    heartbeatInterval: 500,
    // kafkajs heartbeats between fetches: a short long-poll lets each rebalance finish in well under a second.
    maxWaitTimeInMs: 500,
  });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic: 'work', fromBeginning: true });
  await consumer.run({ eachMessage: async () => undefined });
  return consumer;
}

describe('console groups', () => {
  it('GIVEN a consumer that read everything WHEN the group is read THEN members, assignment, committed offsets, lag and its history show', async () => {
    await startConsumer();
    const read = await until(async () => {
      const g = await source.group('workers');
      return (
        g.state === 'Stable' &&
        g.lag === 0 &&
        g.offsets.length === 4 &&
        g.offsets.every((o) => o.committed === 10) &&
        g
      );
    }, 'the consumer to read all 40 records');
    expect(read.memberList).toHaveLength(1);
    expect(read.memberList[0].assignment).toEqual([{ topic: 'work', partitions: [0, 1, 2, 3] }]);
    expect(read.generation).toBeGreaterThanOrEqual(1);
    expect(read.canReset).toBe(false);
    expect(read.protocolType).toBe('consumer');

    const summary = (await source.groups()).find((g) => g.groupId === 'workers')!;
    expect(summary).toMatchObject({ state: 'Stable', members: 1, topics: ['work'], lag: 0 });

    const history = await until(async () => {
      const g = await source.group('workers');
      return g.lagHistory.length >= 2 && g;
    }, 'two lag samples');
    const last = history.lagHistory[history.lagHistory.length - 1];
    expect(Object.keys(last.partitions).sort()).toEqual(['work-0', 'work-1', 'work-2', 'work-3']);
    expect(history.rebalances.length).toBeGreaterThanOrEqual(1);
    console.log(
      `lag history: ${history.lagHistory.length} samples; rebalances: ${history.rebalances.length}`,
    );

    const tape = await source.tape('work', 0);
    expect(tape.groups).toEqual([{ groupId: 'workers', committed: 10 }]);
  });

  it('GIVEN one consumer WHEN a second joins THEN a rebalance is recorded with both members holding partitions', async () => {
    const before = (await source.group('workers')).rebalances.length;
    await startConsumer();
    const detail = await until(async () => {
      const g = await source.group('workers');
      const split = g.rebalances
        .slice(before)
        .find((e) => e.members.length === 2 && e.members.every((m) => m.partitions.length > 0));
      return split && g;
    }, 'a rebalance with two members');
    const event = detail.rebalances[detail.rebalances.length - 1];
    expect(event.members.flatMap((m) => m.partitions).sort()).toEqual([
      'work-0',
      'work-1',
      'work-2',
      'work-3',
    ]);
    expect(event.generation).toBeGreaterThan(detail.rebalances[before - 1]?.generation ?? 0);
    console.log(
      `rebalances: ${detail.rebalances.map((e) => `${e.generation}/${e.state}/${e.members.length}`).join(' ')}`,
    );
  });

  it('GIVEN a group with members WHEN a reset is asked THEN it is refused; once empty THEN offsets move', async () => {
    await expect(source.resetOffsets('workers', { topic: 'work', to: 'earliest' })).rejects.toMatchObject({
      status: 409,
      message: 'group workers has 2 members: stop its consumers first',
    });
    await Promise.all(consumers.splice(0).map((c) => c.disconnect()));
    await until(async () => (await source.group('workers')).state === 'Empty', 'the group to empty');

    const reset = await source.resetOffsets('workers', { topic: 'work', to: 'earliest' });
    expect(reset.offsets.map((o) => [o.partition, o.before, o.after])).toEqual([
      [0, 10, 0],
      [1, 10, 0],
      [2, 10, 0],
      [3, 10, 0],
    ]);
    const g = await source.group('workers');
    expect(g.lag).toBe(40);
    expect(g.canReset).toBe(true);

    const one = await source.resetOffsets('workers', {
      topic: 'work',
      to: 'offset',
      offset: 7,
      partition: 2,
    });
    expect(one.offsets).toEqual([{ topic: 'work', partition: 2, before: 0, after: 7 }]);
    await expect(source.resetOffsets('workers', { topic: 'work', to: 'offset' })).rejects.toMatchObject({
      status: 400,
    });
    await expect(source.resetOffsets('workers', { topic: 'nope', to: 'latest' })).rejects.toMatchObject({
      status: 404,
    });
    await expect(source.group('nobody')).rejects.toMatchObject({ status: 404 });
  });
});
