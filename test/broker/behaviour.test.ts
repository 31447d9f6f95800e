/** Broker behaviour a client relies on: timestamps, retention, long polls, acks=0, leadership, auto-create. */
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import { ErrorCode } from '../../local/kafka/errors';
import { FetchSchema } from '../../local/kafka/messages/01-fetch';
import { MetadataSchema } from '../../local/kafka/messages/03-metadata';
import { ProduceSchema } from '../../local/kafka/messages/00-produce';
import { decodeResponse } from '../../local/kafka/response-frame';
import type { ApiSchema } from '../../local/kafka/schema';
import { ApiVersionsSchema } from '../../local/kafka/messages/18-api-versions';
import { fetchRequest as fetchFrame, RawConnection, requestFrame } from '../support/raw-kafka';
import { batch } from '../support/record-batches';

function decode(schema: ApiSchema, version: number, frame: Buffer) {
  return decodeResponse(schema, version, frame).body;
}

describe('broker behaviour', () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  beforeAll(async () => {
    broker = await startBroker({ port: 0 });
    kafka = new Kafka({
      clientId: 'behaviour',
      brokers: [broker.bootstrapServers],
      logLevel: logLevel.NOTHING,
    });
  });
  afterAll(() => broker.close());

  test('message.timestamp.type=LogAppendTime replaces producer timestamps with the broker clock', async () => {
    broker.cluster.createTopic('append-time', 1, { 'message.timestamp.type': 'LogAppendTime' });
    const producer = kafka.producer();
    await producer.connect();
    const before = Date.now();
    const [meta] = await producer.send({
      topic: 'append-time',
      messages: [{ value: 'x', timestamp: '1000' }],
    });
    await producer.disconnect();
    expect(Number(meta.logAppendTime)).toBeGreaterThanOrEqual(before);
    const conn = await RawConnection.open(broker.port);
    conn.write(fetchFrame('append-time', 0n, { maxWaitMs: 0 }));
    const body = decode(FetchSchema, 11, (await conn.response())!) as {
      Responses: { Partitions: { Records: Buffer }[] }[];
    };
    conn.end();
    const batch = body.Responses[0].Partitions[0].Records;
    expect(batch.readInt16BE(21) & 0x08).toBe(0x08); // timestamp type: log append time
    expect(Number(batch.readBigInt64BE(35))).toBe(Number(meta.logAppendTime));
  });

  test('retention.bytes and retention.ms drop the oldest batches and move the log start offset', async () => {
    const now = Date.now();
    const byBytes = broker.cluster.createTopic('retention-bytes', 1, { 'retention.bytes': '300' });
    const byTime = broker.cluster.createTopic('retention-ms', 1, { 'retention.ms': '1000' });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 10; i++) {
      await producer.send({
        topic: 'retention-bytes',
        messages: [{ value: `record-${i}`.padEnd(100, '.') }],
      });
      await producer.send({
        topic: 'retention-ms',
        messages: [{ value: `old-${i}`, timestamp: String(now - 60_000) }],
      });
    }
    await producer.send({ topic: 'retention-ms', messages: [{ value: 'new', timestamp: String(now) }] });
    await producer.disconnect();

    broker.cluster.enforceRetention();
    const bytesLog = byBytes.partitions[0].log;
    expect(bytesLog.sizeInBytes).toBeLessThanOrEqual(300 + 200);
    expect(bytesLog.logStartOffset).toBeGreaterThan(0);
    expect(bytesLog.highWatermark).toBe(10);
    // every old batch is past retention.ms; the newest (active) one stays
    const timeLog = byTime.partitions[0].log;
    // batches appended just now are protected by their append time for retention.ms
    expect(timeLog.logStartOffset).toBe(0);
    (broker.cluster as unknown as { now: () => number }).now = () => now + 5000;
    broker.cluster.enforceRetention();
    expect(timeLog.logStartOffset).toBe(10);
    (broker.cluster as unknown as { now: () => number }).now = Date.now;
  });

  test('a waiting fetch returns as soon as a record is produced, not at MaxWaitMs', async () => {
    broker.cluster.createTopic('long-poll', 1);
    const conn = await RawConnection.open(broker.port);
    // Without the wake-up this fetch would wait ten minutes; the test's own timeout would fail first.
    conn.write(fetchFrame('long-poll', 0n, { maxWaitMs: 600_000 }));
    setTimeout(() => {
      const producer = kafka.producer();
      void producer
        .connect()
        .then(() => producer.send({ topic: 'long-poll', messages: [{ value: 'wake' }] }))
        .then(() => producer.disconnect());
    }, 200);
    const body = decode(FetchSchema, 11, (await conn.response(50_000))!) as {
      Responses: { Partitions: { Records: Buffer; HighWatermark: bigint }[] }[];
    };
    conn.end();
    expect(body.Responses[0].Partitions[0].HighWatermark).toBe(1n);
    expect(body.Responses[0].Partitions[0].Records.length).toBeGreaterThan(0);
  });

  test('a fetch past the end gets OFFSET_OUT_OF_RANGE at once, without waiting out MaxWaitMs', async () => {
    broker.cluster.createTopic('ranges', 1);
    const conn = await RawConnection.open(broker.port);
    conn.write(fetchFrame('ranges', 5n, { maxWaitMs: 600_000 })); // a wait the test's timeout would never see the end of
    const body = decode(FetchSchema, 11, (await conn.response())!) as {
      Responses: { Partitions: { ErrorCode: number }[] }[];
    };
    conn.end();
    expect(body.Responses[0].Partitions[0].ErrorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  test('a tiny batch in a large request is stored on its own, not as a view pinning the request', async () => {
    broker.cluster.createTopic('tiny', 1);
    const request = requestFrame(ProduceSchema.request, 7, {
      TransactionalId: null,
      Acks: 1,
      TimeoutMs: 1000,
      TopicData: [
        {
          Name: 'tiny',
          PartitionData: [
            { Index: 0, Records: batch(Buffer.from('x')) },
            { Index: 9, Records: Buffer.alloc(1 << 20) },
          ],
        },
      ],
    });
    const conn = await RawConnection.open(broker.port);
    conn.write(request);
    await conn.response();
    conn.end();
    const [stored] = broker.cluster.partition('tiny', 0)!.log.read(0, 1 << 20).batches;
    expect(stored.buffer.byteLength).toBeLessThan(1 << 16);
  });

  test('a client that pipelines many requests before reading gets every response, in order', async () => {
    const conn = await RawConnection.open(broker.port);
    for (let i = 0; i < 500; i++) conn.write(requestFrame(ApiVersionsSchema.request, 2, {}, i));
    for (let i = 0; i < 500; i++) expect((await conn.response())!.readInt32BE(0)).toBe(i);
    conn.end();
  });

  test('a topic config named like an Object property is refused as unknown, not a crash', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await expect(
      admin.createTopics({
        topics: [{ topic: 'proto', configEntries: [{ name: 'constructor', value: '1' }] }],
      }),
    ).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })] });
    await admin.disconnect();
  });

  test('acks=0 produces without a response; the next request is still answered in order', async () => {
    broker.cluster.createTopic('fire-and-forget', 1);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'fire-and-forget', acks: 0, messages: [{ value: 'a' }, { value: 'b' }] });
    await producer.send({ topic: 'fire-and-forget', acks: 1, messages: [{ value: 'c' }] });
    await producer.disconnect();
    expect(broker.cluster.partition('fire-and-forget', 0)!.log.highWatermark).toBe(3);
  });
});

describe('leadership and auto-creation', () => {
  test('a produce to a broker that does not lead the partition gets NOT_LEADER_OR_FOLLOWER', async () => {
    const broker = await startBroker({ port: 0, brokers: 2 });
    try {
      const topic = broker.cluster.createTopic('led', 2);
      const notLeader = topic.partitions[0].leader === 1 ? broker.ports[1] : broker.ports[0];
      const conn = await RawConnection.open(notLeader);
      conn.write(
        requestFrame(ProduceSchema.request, 7, {
          TransactionalId: null,
          Acks: 1,
          TimeoutMs: 1000,
          TopicData: [{ Name: 'led', PartitionData: [{ Index: 0, Records: batch(Buffer.from('x')) }] }],
        }),
      );
      const body = decode(ProduceSchema, 7, (await conn.response())!) as {
        Responses: { PartitionResponses: { ErrorCode: number }[] }[];
      };
      conn.end();
      expect(body.Responses[0].PartitionResponses[0].ErrorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    } finally {
      await broker.close();
    }
  });

  test.each([
    [true, ErrorCode.NONE],
    [false, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
  ])(
    'with autoCreateTopics=%s, Metadata for an unknown topic answers UNKNOWN_TOPIC_OR_PARTITION as Kafka does, and the next Metadata answers %d',
    async (autoCreateTopics, code) => {
      const broker = await startBroker({ port: 0, autoCreateTopics });
      try {
        const conn = await RawConnection.open(broker.port);
        const ask = async (correlationId: number) => {
          conn.write(
            requestFrame(
              MetadataSchema.request,
              9,
              { Topics: [{ Name: 'fresh' }], AllowAutoTopicCreation: true },
              correlationId,
            ),
          );
          const body = decode(MetadataSchema, 9, (await conn.response())!) as {
            Topics: { ErrorCode: number; Partitions: unknown[] }[];
          };
          return body.Topics[0];
        };
        expect((await ask(1)).ErrorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        const next = await ask(2);
        conn.end();
        expect(next.ErrorCode).toBe(code);
        expect(next.Partitions).toHaveLength(autoCreateTopics ? 1 : 0);
        expect(broker.cluster.topics.has('fresh')).toBe(autoCreateTopics);
      } finally {
        await broker.close();
      }
    },
  );
});
