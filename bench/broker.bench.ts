/**
 * Broker benchmark: produce and fetch throughput for 1 KiB records in batches, each compared with the
 * same bytes through a plain Node socket pair measured in the same run (the ceiling for any TCP server
 * in Node on this machine), plus time from start to accepting connections.
 *
 * Figures are medians of several rounds; machines here are noisy, so read the ratios.
 */
import { spawn } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import * as path from 'node:path';
import { startBroker } from '../local/broker/broker';
import { crc32c } from '../local/broker/log/crc32c';
import { decodeMessage } from '../local/broker/protocol/message-codec';
import { FetchSchema } from '../local/broker/protocol/messages/01-fetch';
import { ProduceSchema } from '../local/broker/protocol/messages/00-produce';
import { Reader, Writer } from '../local/broker/protocol/primitives';
import { fetchRequest, requestFrame } from '../test/support/raw-kafka';

const RECORD_BYTES = 1024;
const RECORDS_PER_BATCH = 100;
const REQUESTS = 400; // 40,000 records, ~41 MB per round
const IN_FLIGHT = 8;
const ROUNDS = 5;

export interface Figure {
  name: string;
  value: number;
  unit: string;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One uncompressed batch of `count` records of `size` bytes, CRC filled in. */
function recordBatch(count: number, size: number): Buffer {
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

/** Sends `frames` with up to IN_FLIGHT outstanding, resolving once every response has arrived. */
export function pipeline(socket: Socket, frames: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let received = 0;
    let pending: Buffer = Buffer.alloc(0);
    const pump = () => {
      while (sent < frames.length && sent - received < IN_FLIGHT) socket.write(frames[sent++]);
    };
    const onData = (d: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, d]) : d;
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        pending = pending.subarray(4 + pending.readInt32BE(0));
        received++;
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
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.setNoDelay(true);
  });
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

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

export async function runBrokerBench(log: (line: string) => void): Promise<Figure[]> {
  const batch = recordBatch(RECORDS_PER_BATCH, RECORD_BYTES);
  const bytesPerRound = batch.length * REQUESTS;
  const mb = bytesPerRound / 1e6;
  const records = RECORDS_PER_BATCH * REQUESTS;
  const produceFrames = (topic: string) =>
    Array.from({ length: REQUESTS }, (_, i) =>
      requestFrame(
        ProduceSchema.request,
        7,
        {
          TransactionalId: null,
          Acks: 1,
          TimeoutMs: 5000,
          TopicData: [{ Name: topic, PartitionData: [{ Index: 0, Records: Buffer.from(batch) }] }],
        },
        i,
      ),
    );

  // Baselines: same frames through a socket pair that does nothing but frame and answer.
  const ack = Buffer.from(new Writer().int32(4).int32(0).toBuffer());
  const pair = await socketPairBaseline(() => ack);
  const pairProduce: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const s = await connectTo(pair.port);
    const frames = produceFrames('x');
    pairProduce.push(await timed(() => pipeline(s, frames)));
    s.destroy();
  }
  pair.close();

  const broker = await startBroker({ port: 0 });
  const brokerProduce: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    broker.cluster.createTopic(`bench-${r}`, 1);
    const s = await connectTo(broker.port);
    const frames = produceFrames(`bench-${r}`);
    brokerProduce.push(await timed(() => pipeline(s, frames)));
    s.destroy();
    log(`  produce round ${r + 1}/${ROUNDS}: ${(mb / brokerProduce[r]).toFixed(0)} MB/s`);
  }

  // Fetch: read a whole round's log back, 1 MiB per request, one request at a time as consumers do.
  const fetchFrame = (topic: string, offset: bigint, id: number) =>
    fetchRequest(topic, offset, { correlationId: id });
  const fetchAll = async (port: number, topic: string): Promise<number> => {
    const s = await connectTo(port);
    let offset = 0n;
    let bytes = 0;
    const reader: { pending: Buffer } = { pending: Buffer.alloc(0) };
    const next = () =>
      new Promise<Buffer>((resolve) => {
        const onData = (d: Buffer) => {
          reader.pending = reader.pending.length ? Buffer.concat([reader.pending, d]) : d;
          if (reader.pending.length >= 4 && reader.pending.length >= 4 + reader.pending.readInt32BE(0)) {
            const size = reader.pending.readInt32BE(0);
            const frame = reader.pending.subarray(4, 4 + size);
            reader.pending = reader.pending.subarray(4 + size);
            s.off('data', onData);
            resolve(frame);
          }
        };
        s.on('data', onData);
      });
    let id = 0;
    while (offset < BigInt(records)) {
      s.write(fetchFrame(topic, offset, id++));
      const frame = await next();
      const r = new Reader(frame);
      r.int32();
      const body = decodeMessage(FetchSchema.response, 11, r) as {
        Responses: { Partitions: { Records: Buffer | null }[] }[];
      };
      const data = body.Responses[0].Partitions[0].Records!;
      bytes += data.length;
      // advance past the last whole batch returned
      let at = 0;
      while (at + 12 <= data.length) {
        const base = data.readBigInt64BE(at);
        const size = 12 + data.readInt32BE(at + 8);
        offset = base + BigInt(data.readInt32BE(at + 23) + 1);
        at += size;
      }
    }
    s.destroy();
    return bytes;
  };
  const brokerFetch: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let fetched = 0;
    brokerFetch.push(await timed(async () => void (fetched = await fetchAll(broker.port, `bench-${r}`))));
    if (fetched !== bytesPerRound) throw new Error(`fetched ${fetched} bytes, expected ${bytesPerRound}`);
  }
  await broker.close();

  // Fetch baseline: a server answering each request with 1 MiB-ish of bytes, read the same way.
  const perResponse = batch.length * Math.floor((1 << 20) / batch.length);
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
    const small = Array.from({ length: responses }, (_, i) => fetchFrame('x', 0n, i));
    pairFetch.push(
      await timed(async () => {
        for (const f of small) await pipeline(s, [f]);
      }),
    );
    s.destroy();
  }
  fetchPair.close();

  // Start-up: in process, and `kw broker` as a new process (Node + TypeScript loader included).
  const inProcess: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let b: Awaited<ReturnType<typeof startBroker>> | undefined;
    inProcess.push(await timed(async () => void (b = await startBroker({ port: 0 }))));
    await b!.close();
  }
  const cli: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    cli.push(
      await timed(
        () =>
          new Promise<void>((resolve, reject) => {
            const child = spawn(process.execPath, [
              path.join(__dirname, '..', 'cli', 'kw.js'),
              'broker',
              '--port',
              '0',
            ]);
            child.stdout.on('data', (d: Buffer) => {
              if (/listening on/.test(String(d))) {
                child.kill('SIGTERM');
                resolve();
              }
            });
            child.on('error', reject);
          }),
      ),
    );
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
    { name: 'start to "listening on", `kw broker` as a new process', value: median(cli) * 1000, unit: 'ms' },
  ];
}
