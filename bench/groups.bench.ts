/**
 * Consumer-group benchmark: kafkajs consuming a pre-filled topic through a group, and end-to-end
 * latency (produce → group consumer receives) at a fixed rate.
 */
import { Kafka, logLevel } from 'kafkajs';
import { percentile } from '../cli/load-command';
import { startBroker } from '../local/broker/broker';
import { ProduceSchema } from '../local/broker/protocol/messages/00-produce';
import { requestFrame } from '../test/support/raw-kafka';
import { batch } from '../test/support/record-batches';
import { connectTo, pipeline, type Figure } from './broker.bench';

const RECORDS = 50_000;
const RECORD_BYTES = 1024;
const RATE_PER_SECOND = 500;
const LATENCY_SECONDS = 6;

/** Fills `topic` with RECORDS single-record batches over one raw connection (fast, no client cost). */
async function fill(port: number, topic: string, partitions: number): Promise<void> {
  const value = Buffer.alloc(RECORD_BYTES, 0x62);
  const frames = Array.from({ length: RECORDS / 100 }, (_, i) =>
    requestFrame(
      ProduceSchema.request,
      7,
      {
        TransactionalId: null,
        Acks: 1,
        TimeoutMs: 1000,
        TopicData: [
          {
            Name: topic,
            PartitionData: [
              {
                Index: i % partitions,
                Records: Buffer.concat(Array.from({ length: 100 }, () => batch(value))),
              },
            ],
          },
        ],
      },
      i,
    ),
  );
  const socket = await connectTo(port);
  await pipeline(socket, frames);
  socket.destroy();
}

export async function runGroupsBench(log: (line: string) => void): Promise<Figure[]> {
  const broker = await startBroker({ port: 0 });
  const kafka = new Kafka({
    clientId: 'bench',
    brokers: [broker.bootstrapServers],
    logLevel: logLevel.NOTHING,
  });
  try {
    broker.cluster.createTopic('consume-bench', 3);
    await fill(broker.port, 'consume-bench', 3);
    log(`  filled consume-bench with ${RECORDS} records of ${RECORD_BYTES} bytes`);

    const consumer = kafka.consumer({
      groupId: 'bench-consume',
      maxBytes: 10 << 20,
      maxBytesPerPartition: 4 << 20,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: 'consume-bench', fromBeginning: true });
    let consumed = 0;
    let started = 0;
    const seconds = await new Promise<number>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch: b }) => {
          if (started === 0) started = performance.now();
          consumed += b.messages.length;
          if (consumed >= RECORDS) resolve((performance.now() - started) / 1000);
        },
      });
    });
    await consumer.disconnect();

    broker.cluster.createTopic('latency-bench', 3);
    const receiver = kafka.consumer({ groupId: 'bench-latency', maxWaitTimeInMs: 100 });
    await receiver.connect();
    await receiver.subscribe({ topic: 'latency-bench', fromBeginning: false });
    const latencies: number[] = [];
    let joined!: () => void;
    const ready = new Promise<void>((r) => (joined = r));
    receiver.on(receiver.events.GROUP_JOIN, () => joined());
    void receiver.run({
      eachMessage: async ({ message }) => {
        latencies.push(performance.now() + performance.timeOrigin - Number(message.value!.toString()));
      },
    });
    await ready;
    await new Promise((r) => setTimeout(r, 500));
    const producer = kafka.producer();
    await producer.connect();
    const total = RATE_PER_SECOND * LATENCY_SECONDS;
    const begin = performance.now();
    for (let i = 0; i < total; i++) {
      const due = begin + (i * 1000) / RATE_PER_SECOND;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      void producer.send({
        topic: 'latency-bench',
        acks: 1,
        messages: [{ value: String(performance.now() + performance.timeOrigin) }],
      });
    }
    const deadline = Date.now() + 10_000;
    while (latencies.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await producer.disconnect();
    await receiver.disconnect();

    const sorted = [...latencies].sort((a, b) => a - b);
    return [
      {
        name: 'consume through a group (kafkajs, 1 KiB records)',
        value: consumed / seconds,
        unit: 'records/s',
      },
      { name: 'consume through a group', value: (consumed * RECORD_BYTES) / 1e6 / seconds, unit: 'MB/s' },
      {
        name: `end-to-end latency p50 at ${RATE_PER_SECOND} records/s (kafkajs → broker → kafkajs group)`,
        value: percentile(sorted, 50),
        unit: 'ms',
      },
      { name: 'end-to-end latency p99', value: percentile(sorted, 99), unit: 'ms' },
      { name: 'records received in the latency run', value: latencies.length, unit: `of ${total}` },
    ];
  } finally {
    await broker.close();
  }
}
