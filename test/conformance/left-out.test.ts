/**
 * Conformance: what the embedded broker leaves out, observed on both sides so each item of
 * local/broker/SKIPPED.md that a client can see is pinned: transactions (a transaction coordinator, a
 * transactional producer id), fetch sessions, manual replica assignments, compaction, and the KIP-848
 * group protocol (refused alike). When one of them is implemented, its scenario shows the change.
 *
 * Apache Kafka's log cleaner is set to look every 100 ms and to clean any dirty log, so compaction
 * shows within seconds instead of Kafka's default 15 s back-off.
 */
import { ErrorCode } from '../../local/kafka/errors';
import type { Struct } from '../../local/kafka/message-codec';
import { FetchSchema } from '../../local/kafka/messages/01-fetch';
import { FindCoordinatorSchema } from '../../local/kafka/messages/10-find-coordinator';
import { CreateTopicsSchema } from '../../local/kafka/messages/19-create-topics';
import { InitProducerIdSchema } from '../../local/kafka/messages/22-init-producer-id';
import { CreatePartitionsSchema } from '../../local/kafka/messages/37-create-partitions';
import { ConsumerGroupHeartbeatSchema } from '../../local/kafka/messages/68-consumer-group-heartbeat';
import { until } from '../support/until';
import { batchHeaders, recordBatch, storedRecords } from './batch-builder';
import { fetchBody, fetchPartition } from './fetch-requests';
import { answered, CLOSED, conformance, type Target } from './harness';
import { createTopic, produceOk } from './topic-requests';

const scenario = conformance('left out', {
  apache: { 'log.cleaner.backoff.ms': 100, 'log.cleaner.min.cleanable.ratio': 0.01 },
});

const TRANSACTION = 1;

/**
 * Asks until the answer is something other than "not ready yet": Kafka creates its transaction state
 * topic on the first transactional lookup and answers COORDINATOR_NOT_AVAILABLE (or, while loading,
 * COORDINATOR_LOAD_IN_PROGRESS / NOT_COORDINATOR) until it leads it.
 */
function once<T extends Struct>(t: Target, what: string, ask: () => Promise<T>): Promise<T> {
  const notReady: number[] = [
    ErrorCode.COORDINATOR_NOT_AVAILABLE,
    ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    ErrorCode.NOT_COORDINATOR,
  ];
  return until(async () => {
    const answer = await ask();
    return !notReady.includes(answer.ErrorCode as number) && answer;
  }, `${what} on ${t.name}`);
}

scenario(
  'FindCoordinator for a transactional id: a transaction coordinator',
  async (t) => {
    const answer = await once(t, 'a transaction coordinator', async () =>
      answered(
        await t.request(FindCoordinatorSchema, 3, { Key: 'left-out-tx', KeyType: TRANSACTION }),
        'find',
      ),
    );
    return { ErrorCode: answer.ErrorCode, aBroker: t.nodeIds.includes(answer.NodeId as number) };
  },
  {
    differs: {
      skipped: 'Transactions',
      apache: { ErrorCode: 'NONE', aBroker: true },
      embedded: { ErrorCode: 'CLUSTER_AUTHORIZATION_FAILED', aBroker: false },
    },
  },
);

scenario(
  'InitProducerId with a transactional id: a producer id and epoch for transactions',
  async (t) => {
    await once(t, 'a transaction coordinator', async () =>
      answered(
        await t.request(FindCoordinatorSchema, 3, { Key: 'left-out-pid', KeyType: TRANSACTION }),
        'find',
      ),
    );
    const answer = await once(t, 'a transactional producer id', async () =>
      answered(
        await t.request(InitProducerIdSchema, 4, {
          TransactionalId: 'left-out-pid',
          TransactionTimeoutMs: 60_000,
        }),
        'init producer id',
      ),
    );
    return {
      ErrorCode: answer.ErrorCode,
      producerId: (answer.ProducerId as bigint) >= 0n,
      epoch: answer.ProducerEpoch,
    };
  },
  {
    differs: {
      skipped: 'Transactions',
      apache: { ErrorCode: 'NONE', producerId: true, epoch: 0 },
      embedded: { ErrorCode: 'CLUSTER_AUTHORIZATION_FAILED', producerId: false, epoch: -1 },
    },
  },
);

scenario('InitProducerId without a transactional id: an idempotent producer id, epoch 0', async (t) => {
  const answer = answered(
    await t.request(InitProducerIdSchema, 4, { TransactionalId: null, TransactionTimeoutMs: 60_000 }),
    'init producer id',
  );
  return {
    ErrorCode: answer.ErrorCode,
    producerId: (answer.ProducerId as bigint) >= 0n,
    epoch: answer.ProducerEpoch,
  };
});

for (const version of [0, 1]) {
  scenario(
    `ConsumerGroupHeartbeat v${version} (KIP-848): refused with UNSUPPORTED_VERSION`,
    async (t) => {
      const answer = await t.request(ConsumerGroupHeartbeatSchema, version, {
        GroupId: 'left-out-848',
        MemberId: version === 0 ? '' : 'x3bEgSJgS7mVdTqfWYJ0aw',
        MemberEpoch: 0,
        RebalanceTimeoutMs: 30_000,
        SubscribedTopicNames: ['left-out-848-topic'],
        TopicPartitions: [],
      });
      return answer === CLOSED ? CLOSED : { ErrorCode: answer.ErrorCode };
    },
    version === 1
      ? {
          differs: {
            skipped: 'Request versions',
            // Kafka 3.9 speaks only v0: a v1 request closes the connection there.
            apache: 'connection closed',
            embedded: { ErrorCode: 'UNSUPPORTED_VERSION' },
          },
        }
      : {},
  );
}

scenario(
  'Fetch v7 asking for a new fetch session (session id 0, epoch 0): a session id',
  async (t) => {
    await createTopic(t, 'left-out-session');
    const response = answered(
      await t.request(
        FetchSchema,
        7,
        fetchBody({
          version: 7,
          minBytes: 0,
          partitions: [{ topic: 'left-out-session', offset: 0 }],
          extra: { SessionId: 0, SessionEpoch: 0 },
        }),
      ),
      'fetch',
    );
    return { ErrorCode: response.ErrorCode, sessionGiven: response.SessionId !== 0 };
  },
  {
    differs: {
      skipped: 'Fetch sessions',
      apache: { ErrorCode: 'NONE', sessionGiven: true },
      embedded: { ErrorCode: 'NONE', sessionGiven: false },
    },
  },
);

scenario(
  'CreateTopics with a manual replica assignment',
  async (t) => {
    const response = answered(
      await t.request(CreateTopicsSchema, 5, {
        Topics: [
          {
            Name: 'left-out-assigned',
            NumPartitions: -1,
            ReplicationFactor: -1,
            Assignments: [{ PartitionIndex: 0, BrokerIds: [t.nodeIds[0]] }],
            Configs: [],
          },
        ],
        timeoutMs: 30_000,
        validateOnly: true,
      }),
      'create',
    );
    return (response.Topics as Struct[]).map((r) => ({ Name: r.Name, ErrorCode: r.ErrorCode }));
  },
  {
    differs: {
      skipped: 'Manual partition assignments',
      apache: [{ Name: 'left-out-assigned', ErrorCode: 'NONE' }],
      embedded: [{ Name: 'left-out-assigned', ErrorCode: 'INVALID_REQUEST' }],
    },
  },
);

scenario(
  'CreatePartitions with a manual replica assignment',
  async (t) => {
    await createTopic(t, 'left-out-grown');
    const response = answered(
      await t.request(CreatePartitionsSchema, 1, {
        Topics: [{ Name: 'left-out-grown', Count: 2, Assignments: [{ BrokerIds: [t.nodeIds[0]] }] }],
        TimeoutMs: 30_000,
        ValidateOnly: true,
      }),
      'create partitions',
    );
    return (response.Results as Struct[]).map((r) => ({ Name: r.Name, ErrorCode: r.ErrorCode }));
  },
  {
    differs: {
      skipped: 'Manual partition assignments',
      apache: [{ Name: 'left-out-grown', ErrorCode: 'NONE' }],
      embedded: [{ Name: 'left-out-grown', ErrorCode: 'INVALID_REQUEST' }],
    },
  },
);

/**
 * Four values for one key on a compacted topic whose segments roll after every batch: Kafka's cleaner
 * keeps the latest value of the key in the segments it cleans, and never cleans the active segment
 * (here the last value), so the last two values stay. Waits up to 15 s for a value to go, then
 * observes the values a consumer reads from the start once the log has settled.
 */
scenario(
  'A compacted topic keeps only the latest value of a key',
  async (t) => {
    const topic = 'left-out-compacted';
    await createTopic(t, topic, { configs: { 'cleanup.policy': 'compact', 'segment.bytes': '100' } });
    for (const value of ['first', 'second', 'third', 'fourth']) {
      await produceOk(t, topic, 0, recordBatch({ records: [{ key: 'k', value }] }));
    }
    const values = () => readAll(t, topic);
    const compacted = await until(
      async () => {
        const now = await values();
        return now.length < 4;
      },
      'compaction',
      { timeoutMs: 15_000 },
    ).catch(() => false);
    if (!compacted) return values();
    // Kafka's cleaner swaps cleaned segments in one at a time: wait until three reads agree.
    let last = '';
    let agreeing = 0;
    return until(
      async () => {
        const now = await values();
        agreeing = JSON.stringify(now) === last ? agreeing + 1 : 0;
        last = JSON.stringify(now);
        return agreeing >= 2 && now;
      },
      'the compacted log to settle',
      { intervalMs: 300 },
    );
  },
  {
    timeoutMs: 45_000,
    differs: {
      skipped: 'Compaction',
      apache: ['2:third', '3:fourth'],
      embedded: ['0:first', '1:second', '2:third', '3:fourth'],
    },
  },
);

/**
 * Every record of partition 0 as `offset:value`, fetched from the start until a fetch returns
 * nothing: Kafka answers a fetch from one log segment, so a log of many segments takes several.
 */
async function readAll(t: Target, topic: string): Promise<string[]> {
  const out: string[] = [];
  let next = 0;
  for (;;) {
    const partition = await fetchPartition(t, topic, 0, next);
    const records = partition.Records as Buffer | null;
    const batches = batchHeaders(records);
    if (batches.length === 0) return out;
    for (const r of storedRecords(records)) if (r.offset >= next) out.push(`${r.offset}:${String(r.value)}`);
    next = batches[batches.length - 1].lastOffset + 1;
  }
}
