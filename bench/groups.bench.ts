/**
 * Consumer-group workloads through kafkajs, for any broker: a new group member reading a pre-filled
 * topic from the beginning (consume throughput), and end-to-end latency (kafkajs producer → broker →
 * kafkajs group member) at a fixed rate. The side-by-side bench runs both against a `kw broker`
 * process and against Apache Kafka, and prints them with the other figures.
 */
import type { Kafka } from 'kafkajs';
import { percentile } from '../cli/load-command';
import { connectTo, pipeline, produceFrames, RECORDS_PER_BATCH } from './broker.bench';

/** Partitions of the consume and latency topics, so a group member reads several at once. */
export const GROUP_PARTITIONS = 3;

/** How long a workload may wait for records before the bench gives up (a broken run, not a slow one). */
const STALL_MS = 60_000;

/**
 * Writes `records` records (RECORDS_PER_BATCH-record batches, partitions in turn) to `topic`, which the
 * caller created with GROUP_PARTITIONS partitions, through the pipelined raw sender: fast, no client
 * cost, and the same batches on every broker.
 */
export async function fillForGroups(port: number, topic: string, records: number): Promise<void> {
  const socket = await connectTo(port);
  try {
    await pipeline(socket, produceFrames(topic, records / RECORDS_PER_BATCH, GROUP_PARTITIONS));
  } finally {
    socket.destroy();
  }
}

/**
 * Seconds a new member of group `groupId` takes to read `records` records of `topic` from the
 * beginning, from the end of its join (its first fetch included) to the last record.
 */
export async function consumeThroughGroup(
  kafka: Kafka,
  topic: string,
  groupId: string,
  records: number,
): Promise<number> {
  const consumer = kafka.consumer({ groupId, maxBytes: 10 << 20, maxBytesPerPartition: 4 << 20 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let consumed = 0;
    // From the end of the join, not the first batch: that batch's fetch can carry a fifth of the
    // records, and how much it carries differs between brokers.
    let started = 0;
    consumer.on(consumer.events.GROUP_JOIN, () => (started = performance.now()));
    return await new Promise<number>((resolve, reject) => {
      const stalled = setTimeout(
        () => reject(new Error(`group ${groupId} read ${consumed} of ${records} records of ${topic}`)),
        STALL_MS,
      );
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            consumed += batch.messages.length;
            if (consumed >= records) {
              clearTimeout(stalled);
              resolve((performance.now() - started) / 1000);
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}

export interface LatencyRun {
  /** Milliseconds from send to receipt of every record received, sorted. */
  readonly latencies: number[];
  readonly sent: number;
  readonly p50: number;
  readonly p99: number;
}

/**
 * Sends `rate` single-record messages a second for `seconds` to `topic` (created by the caller) with
 * a kafkajs producer, acks=1, each carrying its send time, while a new member of group `groupId`
 * receives them; resolves once every record arrived (or 10 s after the last send).
 */
export async function endToEndLatency(
  kafka: Kafka,
  topic: string,
  groupId: string,
  rate: number,
  seconds: number,
): Promise<LatencyRun> {
  const receiver = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  const producer = kafka.producer();
  await Promise.all([receiver.connect(), producer.connect()]);
  try {
    // From the beginning: a record sent before the member has its offsets still counts (and shows).
    await receiver.subscribe({ topic, fromBeginning: true });
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
    // Let the member's first fetch go out, so the first records do not measure offset look-ups.
    await new Promise((r) => setTimeout(r, 250));
    const sent = Math.round(rate * seconds);
    const failures: Error[] = [];
    const begin = performance.now();
    for (let i = 0; i < sent; i++) {
      const wait = begin + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      producer
        .send({ topic, acks: 1, messages: [{ value: String(performance.now() + performance.timeOrigin) }] })
        .catch((error: Error) => failures.push(error));
    }
    const deadline = Date.now() + 10_000;
    while (latencies.length < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (failures.length > 0) throw new Error(`${failures.length} sends failed: ${failures[0].message}`);
    const sorted = [...latencies].sort((a, b) => a - b);
    return { latencies: sorted, sent, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  } finally {
    await Promise.all([producer.disconnect(), receiver.disconnect()]);
  }
}
