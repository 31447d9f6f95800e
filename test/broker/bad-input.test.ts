/**
 * What no well-behaved client sends: oversized, truncated, garbage and unknown frames, corrupt and
 * oversized batches. Each gets a Kafka error code or a closed connection, for that client only.
 */
import fc from 'fast-check';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import { ErrorCode } from '../../local/kafka/errors';
import { decodeMessage } from '../../local/kafka/message-codec';
import { ApiVersionsSchema } from '../../local/kafka/messages/18-api-versions';
import { MetadataSchema } from '../../local/kafka/messages/03-metadata';
import { ProduceSchema } from '../../local/kafka/messages/00-produce';
import { Reader } from '../../local/kafka/primitives';
import { frameOf, mutatedFrames, randomFrames, RawConnection, requestFrame } from '../support/raw-kafka';
import { batch } from '../support/record-batches';

let broker: RunningBroker;
let kafka: Kafka;
const closeReasons: string[] = [];

beforeAll(async () => {
  broker = await startBroker({ port: 0, maxRequestBytes: 1024 * 1024, log: (m) => closeReasons.push(m) });
  kafka = new Kafka({
    clientId: 'bystander',
    brokers: [broker.bootstrapServers],
    logLevel: logLevel.NOTHING,
  });
});
afterAll(() => broker.close());

/** A well-behaved client still gets answers. */
async function brokerStillServes(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.listTopics();
  await admin.disconnect();
}

function produceRequest(topic: string, records: Buffer): Buffer {
  return requestFrame(ProduceSchema.request, 7, {
    TransactionalId: null,
    Acks: -1,
    TimeoutMs: 1000,
    TopicData: [{ Name: topic, PartitionData: [{ Index: 0, Records: records }] }],
  });
}

async function produceError(topic: string, records: Buffer): Promise<number> {
  const conn = await RawConnection.open(broker.port);
  conn.write(produceRequest(topic, records));
  const frame = await conn.response();
  conn.end();
  const r = new Reader(frame!);
  r.int32(); // correlation id
  const body = decodeMessage(ProduceSchema.response, 7, r) as {
    Responses: { PartitionResponses: { ErrorCode: number }[] }[];
  };
  return body.Responses[0].PartitionResponses[0].ErrorCode;
}

describe('bad input', () => {
  test.each([
    [
      'a frame over the size limit',
      frameOf(Buffer.alloc(8)).fill(0x7f, 0, 4),
      /frame of 2139062143 bytes \(limit 1048576\)/,
    ],
    ['a negative frame size', Buffer.from('ffffffff0000', 'hex'), /frame of -1 bytes/],
    [
      'an unknown API key',
      requestFrame({ ...ApiVersionsSchema.request, apiKey: 999 }, 0, {}),
      /unknown API key 999/,
    ],
    [
      'an unsupported Produce version',
      requestFrame(ProduceSchema.request, 2, {}),
      /Produce v2 is not supported/,
    ],
    ['a truncated body', frameOf(Buffer.from('0003000c000000010003727777', 'hex')), /malformed request/],
    ['garbage', frameOf(Buffer.from('deadbeefdeadbeefdeadbeef', 'hex')), /unknown API key|malformed/],
  ])('%s closes that connection; others are unaffected', async (_name, bytes, reason) => {
    const conn = await RawConnection.open(broker.port);
    conn.write(bytes);
    expect(await conn.closedWithin()).toBe(true);
    expect(closeReasons.at(-1)).toMatch(reason);
    await brokerStillServes();
  });

  test('ApiVersions at a version the broker does not speak gets UNSUPPORTED_VERSION and the key list', async () => {
    const conn = await RawConnection.open(broker.port);
    const bytes = requestFrame(ApiVersionsSchema.request, 0, {}, 7);
    bytes.writeInt16BE(99, 6); // the version field of the header
    conn.write(bytes);
    const frame = (await conn.response())!;
    const r = new Reader(frame);
    expect(r.int32()).toBe(7); // correlation id
    const body = decodeMessage(ApiVersionsSchema.response, 0, r) as {
      ErrorCode: number;
      ApiKeys: { ApiKey: number }[];
    };
    expect(body.ErrorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(body.ApiKeys.map((k) => k.ApiKey)).toContain(0);
    conn.end();
  });

  test('a batch whose CRC does not match is refused with CORRUPT_MESSAGE and nothing is stored', async () => {
    await broker.cluster.createTopic('crc-check', 1);
    const bad = batch(Buffer.from('hello'));
    bad[bad.length - 3] ^= 0x01;
    expect(await produceError('crc-check', bad)).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(await produceError('crc-check', batch(Buffer.from('hello')))).toBe(ErrorCode.NONE);
    expect(broker.cluster.partition('crc-check', 0)!.log.highWatermark).toBe(1);
  });

  test('a batch over max.message.bytes gets MESSAGE_TOO_LARGE', async () => {
    broker.cluster.createTopic('small-messages', 1, { 'max.message.bytes': '200' });
    expect(await produceError('small-messages', batch(Buffer.alloc(500, 1)))).toBe(
      ErrorCode.MESSAGE_TOO_LARGE,
    );
    expect(await produceError('small-messages', batch(Buffer.alloc(50, 1)))).toBe(ErrorCode.NONE);
  });

  test('a client sending one byte at a time does not hold up others, and is answered when complete', async () => {
    const slow = await RawConnection.open(broker.port);
    const bytes = requestFrame(ApiVersionsSchema.request, 2, {}, 42);
    for (let i = 0; i < bytes.length - 1; i++) {
      slow.write(bytes.subarray(i, i + 1));
      if (i === 5) await brokerStillServes();
      await new Promise((r) => setTimeout(r, 2));
    }
    slow.write(bytes.subarray(bytes.length - 1));
    const frame = (await slow.response())!;
    expect(frame.readInt32BE(0)).toBe(42);
    slow.end();
  });

  test('fuzz: random and mutated frames never take the broker down', async () => {
    const valid = [
      requestFrame(ApiVersionsSchema.request, 3, { ClientSoftwareName: 'fuzz', ClientSoftwareVersion: '1' }),
      requestFrame(MetadataSchema.request, 9, {
        Topics: [{ Name: 'fuzz-topic' }],
        AllowAutoTopicCreation: true,
      }),
      requestFrame(MetadataSchema.request, 1, { Topics: null }),
      produceRequest('fuzz-topic', batch(Buffer.from('fuzz'))),
    ];
    const mutated = mutatedFrames(valid, 8);
    const random = randomFrames(200);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(mutated, random), { minLength: 1, maxLength: 20 }),
        async (frames) => {
          const conn = await RawConnection.open(broker.port);
          for (const f of frames) conn.write(f);
          await new Promise((r) => setTimeout(r, 5));
          conn.end();
        },
      ),
      { numRuns: 300 },
    );
    await brokerStillServes();
  });
});
