/**
 * The mapping poller on a cluster of three embedded brokers, each behind a proxy that misbehaves on
 * cue as a broker of a real cluster does while leaders and coordinators move, so each answer is met
 * exactly when wanted (pipeline-drill.test.ts moves them by stopping an embedded broker, and
 * test/conformance/pipeline-on-apache-kafka.test.ts on Apache Kafka).
 * Records are written by kafkajs; the function is an in-process handler recording its events.
 */
import { ErrorCode } from '../../local/kafka/errors';
import type { Struct } from '../../local/kafka/message-codec';
import { FetchSchema } from '../../local/kafka/messages/01-fetch';
import { OffsetCommitSchema } from '../../local/kafka/messages/08-offset-commit';
import { OffsetFetchSchema } from '../../local/kafka/messages/09-offset-fetch';
import { FindCoordinatorSchema } from '../../local/kafka/messages/10-find-coordinator';
import { WireClient } from '../../local/runtime/kafka/wire-client';
import { startFaultProxy, type FaultProxy } from '../support/kafka-fault-proxy';
import { startMappingHarness, valueOf, type MappingHarness } from '../support/mapping-harness';

describe('event source mapping poller on three brokers', () => {
  let h: MappingHarness;
  let proxies: FaultProxy[];
  beforeEach(async () => {
    let ports: readonly number[] = [];
    proxies = await Promise.all([0, 1, 2].map((i) => startFaultProxy(() => ports[i])));
    h = await startMappingHarness({ brokers: 3, advertisedListeners: proxies.map((p) => p.address) });
    ports = h.broker.ports;
  });
  afterEach(async () => {
    await h.close();
    await Promise.all(proxies.map((p) => p.close()));
  });

  const produce = (topic: string, values: string[], partition = 0) =>
    h.producer.send({ topic, acks: -1, messages: values.map((value) => ({ value, partition })) });
  const numbered = (n: number, prefix = 'r') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  /** The proxy in front of the broker that leads `topic`-`partition`. */
  const leaderProxy = (topic: string, partition = 0) =>
    proxies[h.broker.cluster.partition(topic, partition)!.leader - 1];
  /** The proxy in front of the broker that FindCoordinator names for `group`. */
  const coordinatorProxy = async (group: string) => {
    const client = await WireClient.open(h.broker.bootstrapServers.split(',')[0], 'test');
    try {
      const found = await client.request(FindCoordinatorSchema, 2, { Key: group, KeyType: 0 });
      return proxies.find((p) => p.port === found.Port)!;
    } finally {
      client.close();
    }
  };
  const valuesOf = (partition = 0) =>
    h.invocations.filter((i) => i.partition === partition).flatMap((i) => i.records.map(valueOf));
  const about = (topic: string) => (request: Struct) =>
    (request.Topics as Struct[]).some((t) => (t.Topic ?? t.Name) === topic);

  it('GIVEN partitions led by three brokers and only the second as bootstrap THEN each is read from its leader, in order', async () => {
    await h.createTopic('spread', 3);
    const leaders = [0, 1, 2].map((p) => h.broker.cluster.partition('spread', p)!.leader);
    expect(new Set(leaders).size).toBe(3);
    for (let p = 0; p < 3; p++) await produce('spread', numbered(30, `p${p}-`), p);
    const poller = h.poll('spread', () => null, { batchSize: 7, bootstrapServers: [proxies[1].address] });
    for (let p = 0; p < 3; p++) await h.untilCommitted(poller.spec.consumerGroupId, 'spread', 30, p);
    for (let p = 0; p < 3; p++) expect(valuesOf(p)).toEqual(numbered(30, `p${p}-`));
    // Every broker was fetched from: each partition's records came from its own leader.
    for (const proxy of proxies) expect(proxy.seen(FetchSchema.request.apiKey)).toBeGreaterThan(0);
  });

  it.each([
    ['NOT_LEADER_OR_FOLLOWER', ErrorCode.NOT_LEADER_OR_FOLLOWER],
    ['LEADER_NOT_AVAILABLE', ErrorCode.LEADER_NOT_AVAILABLE],
    ['UNKNOWN_TOPIC_OR_PARTITION', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
  ])(
    'GIVEN Fetch answered %s THEN the poller asks Metadata again, returns to the leader and delivers every record once, in order',
    async (name, code) => {
      await h.createTopic('moving');
      await produce('moving', numbered(10));
      const leader = leaderProxy('moving');
      leader.answer(
        FetchSchema,
        (request) =>
          about('moving')(request)
            ? {
                ThrottleTimeMs: 0,
                ErrorCode: 0,
                SessionId: 0,
                Responses: [
                  {
                    Topic: 'moving',
                    Partitions: [{ PartitionIndex: 0, ErrorCode: code, HighWatermark: -1n }],
                  },
                ],
              }
            : undefined,
        2,
      );
      const poller = h.poll('moving', () => null, { batchSize: 5 });
      await h.untilCommitted(poller.spec.consumerGroupId, 'moving', 10);
      expect(h.invocations.map((i) => i.offsets)).toEqual([
        [0, 1, 2, 3, 4],
        [5, 6, 7, 8, 9],
      ]);
      const logs = h.logs.join('\n');
      expect(logs).toMatch(
        new RegExp(`Fetch moving-0@0 from 127.0.0.1:${leader.port}: ${name}; finding the leader again`),
      );
      // Found again through Metadata: the same broker, since the embedded broker's leaders do not move.
      expect(logs).toMatch(
        new RegExp(`moving-0: leader is node \\d \\(127\\.0\\.0\\.1:${leader.port}\\) again`),
      );
    },
  );

  it.each([
    ['NOT_COORDINATOR', ErrorCode.NOT_COORDINATOR],
    ['COORDINATOR_NOT_AVAILABLE', ErrorCode.COORDINATOR_NOT_AVAILABLE],
  ])(
    'GIVEN a commit answered %s THEN it is retried at the coordinator found again and no batch is delivered twice',
    async (name, code) => {
      await h.createTopic('committed');
      await produce('committed', numbered(10));
      const coordinator = await coordinatorProxy('committing');
      coordinator.answer(
        OffsetCommitSchema,
        (request) => {
          const p = (request.Topics as Struct[])[0].Partitions as Struct[];
          // Not the commit of the starting position: the one after the first batch succeeded.
          if ((request.Topics as Struct[])[0].Name !== 'committed' || p[0].CommittedOffset === 0n)
            return undefined;
          return {
            ThrottleTimeMs: 0,
            Topics: [{ Name: 'committed', Partitions: [{ PartitionIndex: 0, ErrorCode: code }] }],
          };
        },
        2,
      );
      const poller = h.poll('committed', () => null, { batchSize: 5, consumerGroupId: 'committing' });
      await h.untilCommitted(poller.spec.consumerGroupId, 'committed', 10);
      expect(h.invocations.map((i) => i.offsets)).toEqual([
        [0, 1, 2, 3, 4],
        [5, 6, 7, 8, 9],
      ]);
      expect(h.logs.join('\n')).toMatch(
        new RegExp(
          `OffsetCommit committed-0@5 to 127.0.0.1:${coordinator.port}: ${name}; finding the coordinator again`,
        ),
      );
      // Found again: FindCoordinator may go to any of the three brokers, so the proxy need not see it;
      // the reader's recovery line says the commit was served after a new lookup.
      expect(h.logs.join('\n')).toMatch(/coordinator is (node \d+ \(\S+\) again|now node \d+)/);
    },
  );

  it('GIVEN the coordinator still loading offsets when the poller starts THEN it waits and starts from them', async () => {
    await h.createTopic('loading');
    await produce('loading', numbered(6));
    const first = h.poll('loading', () => null);
    await h.untilCommitted(first.spec.consumerGroupId, 'loading', 6);
    await first.stop();
    await produce('loading', ['late']);
    (await coordinatorProxy(first.spec.consumerGroupId)).answer(
      OffsetFetchSchema,
      (request, { clientId }) =>
        // The poller's requests only: the harness's kafkajs admin reads offsets through here too.
        clientId?.startsWith('kw-esm-') && request.GroupId === first.spec.consumerGroupId
          ? { ThrottleTimeMs: 0, Topics: [], ErrorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS }
          : undefined,
      3,
    );
    const calls = h.invocations.length;
    const second = h.poll('loading', () => null, { consumerGroupId: first.spec.consumerGroupId });
    await h.untilCommitted(second.spec.consumerGroupId, 'loading', 7);
    expect(h.invocations.slice(calls).flatMap((i) => i.records.map(valueOf))).toEqual(['late']);
    expect(h.logs.join('\n')).toMatch(/COORDINATOR_LOAD_IN_PROGRESS; finding the coordinator again/);
  });

  it('GIVEN each broker restarting in turn while records flow THEN the poller reconnects and every record is delivered once, in order', async () => {
    await h.createTopic('restarts', 3);
    const poller = h.poll('restarts', () => null, { batchSize: 4 });
    const sent = [0, 0, 0];
    const send = async (count: number) => {
      for (let p = 0; p < 3; p++) {
        await produce(
          'restarts',
          Array.from({ length: count }, (_, i) => `p${p}-${sent[p] + i}`),
          p,
        );
        sent[p] += count;
      }
    };
    await send(5);
    for (const proxy of proxies) {
      const restarted = proxy.restart(300);
      await send(5);
      await restarted;
      await send(5);
    }
    for (let p = 0; p < 3; p++) await h.untilCommitted(poller.spec.consumerGroupId, 'restarts', sent[p], p);
    for (let p = 0; p < 3; p++) {
      expect(valuesOf(p)).toEqual(numbered(sent[p], `p${p}-`));
    }
    expect(h.logs.join('\n')).toMatch(/connection closed; finding the (leader|coordinator) again/);
  });
});
