/**
 * 100,000 random and mutated frames through the connection handler (in process, for speed), with
 * the broker's real state behind it: nothing escapes as an exception, and the broker keeps serving a
 * real client over TCP afterwards.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import fc from 'fast-check';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import { HANDLERS } from '../../local/broker/handlers';
import { FetchSchema } from '../../local/kafka/messages/01-fetch';
import { MetadataSchema } from '../../local/kafka/messages/03-metadata';
import { ProduceSchema } from '../../local/kafka/messages/00-produce';
import { JoinGroupSchema } from '../../local/kafka/messages/11-join-group';
import { CreateTopicsSchema } from '../../local/kafka/messages/19-create-topics';
import { ApiVersionsSchema } from '../../local/kafka/messages/18-api-versions';
import { advertisedApiKeys, Connection } from '../../local/broker/server/connection';
import { mutatedFrames, randomFrames, requestFrame } from '../support/raw-kafka';
import { batch } from '../support/record-batches';

/** Just enough of a socket for Connection: records what is written and whether it was closed. */
class FakeSocket extends EventEmitter {
  written = 0;
  destroyed = false;
  remoteAddress = '127.0.0.1';
  remotePort = 1;
  setNoDelay() {}
  pause() {}
  resume() {}
  write(bytes: Buffer) {
    this.written += bytes.length;
    return true;
  }
  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close');
  }
}

const FRAMES = 100_000;

test(`${FRAMES.toLocaleString('en')} fuzzed frames: no exception escapes, and the broker still serves`, async () => {
  const broker: RunningBroker = await startBroker({ port: 0 });
  const escaped: unknown[] = [];
  const onEscape = (e: unknown) => escaped.push(e);
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  try {
    broker.cluster.createTopic('fuzz', 2);
    const valid = [
      requestFrame(ApiVersionsSchema.request, 3, { ClientSoftwareName: 'f', ClientSoftwareVersion: '1' }),
      requestFrame(MetadataSchema.request, 12, {
        Topics: [{ Name: 'fuzz', TopicId: Buffer.alloc(16) }],
        AllowAutoTopicCreation: true,
      }),
      requestFrame(ProduceSchema.request, 9, {
        TransactionalId: null,
        Acks: 1,
        TimeoutMs: 100,
        TopicData: [{ Name: 'fuzz', PartitionData: [{ Index: 0, Records: batch(Buffer.from('x')) }] }],
      }),
      requestFrame(FetchSchema.request, 12, {
        MaxWaitMs: 0,
        MinBytes: 1,
        MaxBytes: 1000,
        Topics: [{ Topic: 'fuzz', Partitions: [{ Partition: 0, FetchOffset: 0n, PartitionMaxBytes: 1000 }] }],
      }),
      requestFrame(JoinGroupSchema.request, 5, {
        GroupId: 'g',
        SessionTimeoutMs: 6000,
        RebalanceTimeoutMs: 1,
        MemberId: '',
        ProtocolType: 'consumer',
        Protocols: [{ Name: 'range', Metadata: Buffer.from('m') }],
      }),
      requestFrame(CreateTopicsSchema.request, 5, {
        Topics: [{ Name: 'made', NumPartitions: 1, ReplicationFactor: 1, Assignments: [], Configs: [] }],
        timeoutMs: 100,
      }),
    ];
    const mutated = mutatedFrames(valid, 6);
    const random = randomFrames(64);
    const frames = fc.sample(fc.oneof({ arbitrary: mutated, weight: 4 }, { arbitrary: random, weight: 1 }), {
      numRuns: FRAMES,
      seed: 42,
    });

    const context = {
      cluster: broker.cluster,
      broker: broker.cluster.brokers[0],
      groups: broker.groups,
      apiKeys: advertisedApiKeys(HANDLERS),
    };
    const sockets: FakeSocket[] = [];
    for (let i = 0; i < frames.length; i++) {
      const socket = new FakeSocket();
      sockets.push(socket);
      new Connection(socket as unknown as Socket, {
        handlers: HANDLERS,
        maxFrameBytes: 1 << 20,
        context,
        log: () => undefined,
      });
      socket.emit('data', frames[i]);
      if (i % 500 === 0) await new Promise((r) => setImmediate(r)); // let async handlers run
    }
    await new Promise((r) => setTimeout(r, 50));
    const answered = sockets.filter((s) => s.written > 0).length;
    const closed = sockets.filter((s) => s.destroyed).length;
    for (const s of sockets) s.destroy(); // ends long polls a mutated MaxWaitMs left waiting
    expect(escaped).toEqual([]);
    // both paths were exercised: frames answered with responses or error codes, and frames that closed
    expect(answered).toBeGreaterThan(FRAMES / 20);
    expect(closed).toBeGreaterThan(FRAMES / 20);

    // a real client over TCP is still served, by the same state
    const kafka = new Kafka({
      clientId: 'after-fuzz',
      brokers: [broker.bootstrapServers],
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    const [meta] = await producer.send({ topic: 'fuzz', messages: [{ value: 'still here', partition: 1 }] });
    await producer.disconnect();
    expect(meta.errorCode).toBe(0);
  } finally {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
    await broker.close();
  }
}, 120_000);
