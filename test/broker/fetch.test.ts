/**
 * Fetch answers that follow Apache Kafka's and that `npm test` should catch breaking (the conformance
 * suite, test/conformance/fetch.test.ts, holds them up against Kafka itself): aborted-transaction lists
 * by isolation level, out-of-range offsets, the first-batch rule, and what ends a long poll.
 */
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import { ErrorCode } from '../../local/kafka/errors';
import type { Struct } from '../../local/kafka/message-codec';
import { ProduceSchema } from '../../local/kafka/messages/00-produce';
import { FetchSchema } from '../../local/kafka/messages/01-fetch';
import { decodeResponse } from '../../local/kafka/response-frame';
import type { ApiSchema } from '../../local/kafka/schema';
import { RawConnection, requestFrame } from '../support/raw-kafka';
import { batch } from '../support/record-batches';

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ port: 0 });
});
afterAll(() => broker.close());

/** Sends one request on its own connection and decodes the response. */
async function roundTrip(
  frame: Buffer,
  schema: ApiSchema,
  version: number,
  timeoutMs = 5000,
): Promise<Struct> {
  const conn = await RawConnection.open(broker.port);
  try {
    conn.write(frame);
    return decodeResponse(schema, version, (await conn.response(timeoutMs))!).body;
  } finally {
    conn.end();
  }
}

function produce(topic: string, partition: number, value: Buffer): Promise<Struct> {
  const frame = requestFrame(ProduceSchema.request, 9, {
    TransactionalId: null,
    Acks: -1,
    TimeoutMs: 1000,
    TopicData: [{ Name: topic, PartitionData: [{ Index: partition, Records: batch(value) }] }],
  });
  return roundTrip(frame, ProduceSchema, 9);
}

/** A Fetch v12 of `partitions` (topic, partition, offset, PartitionMaxBytes). */
function fetch(
  partitions: { topic: string; partition?: number; offset: bigint; maxBytes?: number }[],
  options: { isolationLevel?: number; maxWaitMs?: number } = {},
): Promise<Struct> {
  const frame = requestFrame(FetchSchema.request, 12, {
    MaxWaitMs: options.maxWaitMs ?? 0,
    MinBytes: 1,
    MaxBytes: 1 << 20,
    IsolationLevel: options.isolationLevel ?? 0,
    SessionId: 0,
    SessionEpoch: -1,
    Topics: partitions.map((p) => ({
      Topic: p.topic,
      Partitions: [
        {
          Partition: p.partition ?? 0,
          CurrentLeaderEpoch: -1,
          FetchOffset: p.offset,
          LastFetchedEpoch: -1,
          LogStartOffset: -1n,
          PartitionMaxBytes: p.maxBytes ?? 1 << 20,
        },
      ],
    })),
    ForgottenTopicsData: [],
    RackId: '',
  });
  return roundTrip(frame, FetchSchema, 12, 10_000);
}

/** Every partition answer, with its topic's name. */
const partitionsOf = (response: Struct): Struct[] =>
  (response.Responses as Struct[]).flatMap((t) =>
    (t.Partitions as Struct[]).map((p): Struct => ({ topic: t.Topic, ...p })),
  );

test('read_uncommitted gets no aborted-transaction list (null), read_committed an empty one', async () => {
  broker.cluster.createTopic('fetch-isolation', 1);
  await produce('fetch-isolation', 0, Buffer.from('x'));
  const [uncommitted] = partitionsOf(await fetch([{ topic: 'fetch-isolation', offset: 0n }]));
  const [committed] = partitionsOf(
    await fetch([{ topic: 'fetch-isolation', offset: 0n }], { isolationLevel: 1 }),
  );
  expect(uncommitted.AbortedTransactions).toBeNull();
  expect(committed.AbortedTransactions).toEqual([]);
});

test('an offset out of range answers -1 for the high watermark, last stable and log start offsets', async () => {
  broker.cluster.createTopic('fetch-range', 1);
  await produce('fetch-range', 0, Buffer.from('x'));
  const [answer] = partitionsOf(await fetch([{ topic: 'fetch-range', offset: 5n }]));
  expect(answer).toMatchObject({
    ErrorCode: ErrorCode.OFFSET_OUT_OF_RANGE,
    HighWatermark: -1n,
    LastStableOffset: -1n,
    LogStartOffset: -1n,
  });
});

test('only the first partition with data may exceed the limits with its first batch', async () => {
  broker.cluster.createTopic('fetch-first-batch', 2);
  await produce('fetch-first-batch', 0, Buffer.alloc(100));
  await produce('fetch-first-batch', 1, Buffer.alloc(5000));
  const [first, second] = partitionsOf(
    await fetch([
      { topic: 'fetch-first-batch', partition: 0, offset: 0n, maxBytes: 10 },
      { topic: 'fetch-first-batch', partition: 1, offset: 0n, maxBytes: 1000 },
    ]),
  );
  expect((first.Records as Buffer).length).toBeGreaterThan(10);
  expect((second.Records as Buffer).length).toBe(0);
});

test('an unknown topic beside an empty partition neither ends a long poll nor comes first', async () => {
  broker.cluster.createTopic('fetch-unknown-beside', 1);
  const answer = fetch(
    [
      { topic: 'fetch-no-such-topic', offset: 0n },
      { topic: 'fetch-unknown-beside', offset: 0n },
    ],
    { maxWaitMs: 600_000 },
  );
  setTimeout(() => void produce('fetch-unknown-beside', 0, Buffer.from('wake')), 200);
  const [known, unknown] = partitionsOf(await answer);
  expect(known).toMatchObject({
    topic: 'fetch-unknown-beside',
    ErrorCode: ErrorCode.NONE,
    HighWatermark: 1n,
  });
  expect(unknown).toMatchObject({
    topic: 'fetch-no-such-topic',
    ErrorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  });
});

test('a fetch of no partitions is answered at once', async () => {
  const answer = await fetch([], { maxWaitMs: 600_000 });
  expect(answer.Responses).toEqual([]);
});
