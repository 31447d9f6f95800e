/**
 * Broker benchmark: produce and fetch throughput for 1 KiB records in batches, each compared with the
 * same bytes through a plain Node socket pair measured in the same run (the ceiling for any TCP server
 * in Node on this machine), plus time from start to accepting connections in process.
 *
 * The raw workloads here (a pipelined produce sender, a one-at-a-time fetch reader) are exported: the
 * side-by-side bench runs the same ones against a `kw broker` process and Apache Kafka.
 *
 * Figures are medians of several rounds; machines here are noisy, so read the ratios.
 */
import { createServer, connect, type Socket } from 'node:net';
import { startBroker } from '../local/broker/broker';
import { crc32c } from '../local/kafka/crc32c';
import { decodeMessage } from '../local/kafka/message-codec';
import { FetchSchema } from '../local/kafka/messages/01-fetch';
import { ProduceSchema } from '../local/kafka/messages/00-produce';
import { Reader, Writer } from '../local/kafka/primitives';
import { fetchRequest, requestFrame } from '../test/support/raw-kafka';

export const RECORD_BYTES = 1024;
export const RECORDS_PER_BATCH = 100;
/** Produce requests per round: 40,000 records, ~41 MB. */
export const PRODUCE_REQUESTS = 400;
const IN_FLIGHT = 8;
const ROUNDS = 5;

export interface Figure {
  name: string;
  value: number;
  unit: string;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One uncompressed batch of `count` records of `size` bytes, CRC filled in. */
export function recordBatch(count: number, size: number): Buffer {
  const value = Buffer.alloc(size, 0x61);
  const records = new Writer(count * (size + 16));
  for (let i = 0; i < count; i++) {
    const body = new Writer(size + 16)
      .int8(0)
      .varlong(0n)
      .varint(i)
      .varint(-1)
      .varint(size)
      .raw(value)
      .varint(0)
      .toBuffer();
    records.varint(body.length).raw(body);
  }
  const recs = records.toBuffer();
  const w = new Writer(recs.length + 61);
  const now = BigInt(Date.now());
  w.int64(0n)
    .int32(49 + recs.length)
    .int32(-1)
    .int8(2)
    .uint32(0);
  w.int16(0)
    .int32(count - 1)
    .int64(now)
    .int64(now)
    .int64(-1n)
    .int16(-1)
    .int32(-1)
    .int32(count)
    .raw(recs);
  const buf = Buffer.from(w.toBuffer());
  buf.writeUInt32BE(crc32c(buf, 21), 17);
  return buf;
}

/** The batch every produce request carries: RECORDS_PER_BATCH records of RECORD_BYTES. */
export const BENCH_BATCH = recordBatch(RECORDS_PER_BATCH, RECORD_BYTES);

/**
 * `requests` Produce v7 frames (acks=1 unless told), each one BENCH_BATCH for one partition, the
 * partitions taken in turn. One batch per partition per request: Apache Kafka refuses more (INVALID_RECORD).
 */
export function produceFrames(topic: string, requests: number, partitions = 1, acks = 1): Buffer[] {
  return Array.from({ length: requests }, (_, i) =>
    requestFrame(
      ProduceSchema.request,
      7,
      {
        TransactionalId: null,
        Acks: acks,
        TimeoutMs: 5000,
        TopicData: [
          { Name: topic, PartitionData: [{ Index: i % partitions, Records: Buffer.from(BENCH_BATCH) }] },
        ],
      },
      i,
    ),
  );
}

/**
 * Sends `frames` with up to IN_FLIGHT outstanding, resolving once every response has arrived. Each
 * response (after its size) goes to `onResponse` if given; what it throws rejects the whole run.
 */
export function pipeline(
  socket: Socket,
  frames: Buffer[],
  onResponse?: (frame: Buffer) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let received = 0;
    let pending: Buffer = Buffer.alloc(0);
    const pump = () => {
      while (sent < frames.length && sent - received < IN_FLIGHT) socket.write(frames[sent++]);
    };
    const onData = (d: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, d]) : d;
      try {
        while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
          const size = pending.readInt32BE(0);
          onResponse?.(pending.subarray(4, 4 + size));
          pending = pending.subarray(4 + size);
          received++;
        }
      } catch (error) {
        socket.off('data', onData);
        socket.off('error', reject);
        reject(error as Error);
        return;
      }
      if (received === frames.length) {
        socket.off('data', onData);
        socket.off('error', reject);
        resolve();
      } else pump();
    };
    socket.on('data', onData);
    socket.on('error', reject);
    pump();
  });
}

export function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
    s.setNoDelay(true);
  });
}

/** Response frames of one connection in arrival order (each after its size prefix). */
function frameReader(socket: Socket): () => Promise<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  const frames: Buffer[] = [];
  let waiting: ((frame: Buffer) => void) | undefined;
  socket.on('data', (d: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, d]) : d;
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      frames.push(pending.subarray(4, 4 + pending.readInt32BE(0)));
      pending = pending.subarray(4 + pending.readInt32BE(0));
    }
    if (waiting && frames.length) {
      const wake = waiting;
      waiting = undefined;
      wake(frames.shift()!);
    }
  });
  return () =>
    frames.length ? Promise.resolve(frames.shift()!) : new Promise<Buffer>((resolve) => (waiting = resolve));
}

/**
 * Reads partition 0 of `topic` from offset 0 until `records` records have come back, 1 MiB per request,
 * one request at a time as consumers do; resolves to the bytes of the whole batches read.
 */
export async function fetchAll(port: number, topic: string, records: number): Promise<number> {
  const socket = await connectTo(port);
  const nextFrame = frameReader(socket);
  let offset = 0n;
  let bytes = 0;
  try {
    for (let id = 0; offset < BigInt(records); id++) {
      socket.write(fetchRequest(topic, offset, { correlationId: id }));
      const r = new Reader(await nextFrame());
      r.int32();
      const body = decodeMessage(FetchSchema.response, 11, r) as {
        Responses: { Partitions: { ErrorCode: number; Records: Buffer | null }[] }[];
      };
      const partition = body.Responses[0].Partitions[0];
      if (partition.ErrorCode !== 0) throw new Error(`fetch of ${topic}: error code ${partition.ErrorCode}`);
      const data = partition.Records ?? Buffer.alloc(0);
      // Apache Kafka cuts a response at its byte limit even inside a batch (clients drop the tail and
      // ask again from there), so only whole batches count and move the offset on.
      const before = offset;
      let at = 0;
      while (at + 61 <= data.length) {
        const size = 12 + data.readInt32BE(at + 8);
        if (at + size > data.length) break;
        offset = data.readBigInt64BE(at) + BigInt(data.readInt32BE(at + 23) + 1);
        bytes += size;
        at += size;
      }
      if (offset === before) throw new Error(`fetch of ${topic} at offset ${offset} returned no whole batch`);
    }
  } finally {
    socket.destroy();
  }
  return bytes;
}

/** A server that answers each frame with a small frame (produce) or with `reply` bytes (fetch). */
async function socketPairBaseline(
  reply: (frameSize: number) => Buffer,
): Promise<{ port: number; close: () => void }> {
  const server = createServer((s) => {
    s.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, d]) : d;
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const size = pending.readInt32BE(0);
        pending = pending.subarray(4 + size);
        s.write(reply(size));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}

/** Seconds `fn` takes. */
export async function timed(fn: () => Promise<void>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

export async function runBrokerBench(log: (line: string) => void): Promise<Figure[]> {
  const bytesPerRound = BENCH_BATCH.length * PRODUCE_REQUESTS;
  const mb = bytesPerRound / 1e6;
  const records = RECORDS_PER_BATCH * PRODUCE_REQUESTS;

  // Baselines: same frames through a socket pair that does nothing but frame and answer.
  const ack = Buffer.from(new Writer().int32(4).int32(0).toBuffer());
  const pair = await socketPairBaseline(() => ack);
  const pairProduce: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const s = await connectTo(pair.port);
    const frames = produceFrames('x', PRODUCE_REQUESTS);
    pairProduce.push(await timed(() => pipeline(s, frames)));
    s.destroy();
  }
  pair.close();

  const broker = await startBroker({ port: 0 });
  const brokerProduce: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    broker.cluster.createTopic(`bench-${r}`, 1);
    const s = await connectTo(broker.port);
    const frames = produceFrames(`bench-${r}`, PRODUCE_REQUESTS);
    brokerProduce.push(await timed(() => pipeline(s, frames)));
    s.destroy();
    log(`  produce round ${r + 1}/${ROUNDS}: ${(mb / brokerProduce[r]).toFixed(0)} MB/s`);
  }

  const brokerFetch: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let fetched = 0;
    brokerFetch.push(
      await timed(async () => void (fetched = await fetchAll(broker.port, `bench-${r}`, records))),
    );
    if (fetched !== bytesPerRound) throw new Error(`fetched ${fetched} bytes, expected ${bytesPerRound}`);
  }
  await broker.close();

  // Fetch baseline: a server answering each request with 1 MiB-ish of bytes, read the same way.
  const perResponse = BENCH_BATCH.length * Math.floor((1 << 20) / BENCH_BATCH.length);
  const responses = Math.ceil(bytesPerRound / perResponse);
  const payload = Buffer.alloc(perResponse);
  const framed = Buffer.concat([
    Buffer.from(
      new Writer()
        .int32(perResponse + 4)
        .int32(0)
        .toBuffer(),
    ),
    payload,
  ]);
  const fetchPair = await socketPairBaseline(() => framed);
  const pairFetch: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const s = await connectTo(fetchPair.port);
    const small = Array.from({ length: responses }, (_, i) => fetchRequest('x', 0n, { correlationId: i }));
    pairFetch.push(
      await timed(async () => {
        for (const f of small) await pipeline(s, [f]);
      }),
    );
    s.destroy();
  }
  fetchPair.close();

  // Start-up in process; `kw broker` as a new process is in the side-by-side table, beside Kafka's JVM.
  const inProcess: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let b: Awaited<ReturnType<typeof startBroker>> | undefined;
    inProcess.push(await timed(async () => void (b = await startBroker({ port: 0 }))));
    await b!.close();
  }

  const p = median(brokerProduce);
  const pp = median(pairProduce);
  const f = median(brokerFetch);
  const pf = median(pairFetch);
  return [
    { name: 'produce, broker (1 KiB records, 100/batch, acks=1, 8 in flight)', value: mb / p, unit: 'MB/s' },
    { name: 'produce, broker', value: records / p, unit: 'records/s' },
    { name: 'produce, plain socket pair, same bytes', value: mb / pp, unit: 'MB/s' },
    { name: 'produce ratio broker / socket pair (goal ≥ 0.4)', value: pp / p, unit: '' },
    { name: 'fetch, broker (1 MiB per request, one at a time)', value: mb / f, unit: 'MB/s' },
    { name: 'fetch, broker', value: records / f, unit: 'records/s' },
    { name: 'fetch, plain socket pair, same bytes', value: mb / pf, unit: 'MB/s' },
    { name: 'fetch ratio broker / socket pair', value: pf / f, unit: '' },
    {
      name: 'start to accepting connections, in process (goal ≤ 300 ms)',
      value: median(inProcess) * 1000,
      unit: 'ms',
    },
  ];
}
