/**
 * A TCP proxy between a Kafka client and the broker that loses responses: every `dropEvery`-th
 * Produce request is delivered to the broker, and the connection is cut before its response gets back,
 * as when a network fails after the broker acted. Idempotent producers must not write twice.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface DroppingProxy {
  readonly port: number;
  /** Produce requests whose response was dropped. */
  readonly dropped: () => number;
  close(): Promise<void>;
}

const PRODUCE = 0;

export async function startDroppingProxy(target: () => number, dropEvery: number): Promise<DroppingProxy> {
  let produceCount = 0;
  let dropped = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target(), '127.0.0.1');
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    let cutAfterNextResponse = false;
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const size = pending.readInt32BE(0);
        const frame = pending.subarray(0, 4 + size);
        pending = pending.subarray(4 + size);
        if (frame.readInt16BE(4) === PRODUCE && ++produceCount % dropEvery === 0) cutAfterNextResponse = true;
        upstream.write(frame);
      }
    });
    upstream.on('data', (d: Buffer) => {
      if (cutAfterNextResponse) {
        dropped++;
        cut(); // the broker answered; the client never hears it
        return;
      }
      client.write(d);
    });
    for (const s of [client, upstream]) {
      s.on('error', cut);
      s.on('close', () => {
        sockets.delete(s);
        cut();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    dropped: () => dropped,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
