/** A bare TCP Kafka client for tests that must send what no well-behaved client would. */
import fc from 'fast-check';
import { connect, type Socket } from 'node:net';
import type { Struct } from '../../local/kafka/message-codec';
import { FetchSchema } from '../../local/kafka/messages/01-fetch';
import { requestFrame as encodeRequest } from '../../local/kafka/request-frame';
import type { MessageSchema } from '../../local/kafka/schema';

/** A request frame, as a client named `raw` sends it. */
export function requestFrame(
  schema: MessageSchema,
  version: number,
  body: Struct,
  correlationId = 1,
): Buffer {
  return encodeRequest(schema, version, body, correlationId, 'raw');
}

/** A frame around `body`: its size, then the bytes, whatever they are. */
export function frameOf(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/**
 * Copies of `valid` frames with 1 to `maxFlips` bytes after the size prefix overwritten. The prefix is
 * kept, so each mutation reaches the header and body decoders instead of stopping at the framing.
 */
export function mutatedFrames(valid: readonly Buffer[], maxFlips: number): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      fc.constantFrom(...valid),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: maxFlips }),
    )
    .map(([frame, flips]) => {
      const copy = Buffer.from(frame);
      for (const [at, value] of flips) copy[4 + (at % (copy.length - 4))] = value;
      return copy;
    });
}

/** Frames of up to `maxLength` random bytes. */
export function randomFrames(maxLength: number): fc.Arbitrary<Buffer> {
  return fc.uint8Array({ maxLength }).map((b) => frameOf(Buffer.from(b)));
}

/**
 * One TCP connection to a broker, read a frame at a time: bytes go out as they are, and a broker that
 * hangs up is reported as such instead of as a timeout. The conformance harness's connections are
 * these too.
 */
export class RawConnection {
  private buffered = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private closed = false;

  private constructor(private readonly socket: Socket) {
    // A test's bytes reach the broker as written, not held back to be coalesced.
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => {
        socket.off('error', reject);
        resolve(new RawConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }

  /** Resolves when bytes arrive, the connection closes or `deadline` passes, whichever is first. */
  private waitForChange(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  write(bytes: Buffer): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /**
   * The next response frame's body (after the size), or null if the broker closed the connection;
   * throws if neither happens within `timeoutMs`.
   */
  async response(timeoutMs = 5000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length >= 4 + size) {
          const frame = this.buffered.subarray(4, 4 + size);
          this.buffered = this.buffered.subarray(4 + size);
          return frame;
        }
      }
      if (this.closed) return null;
      if (Date.now() >= deadline) throw new Error(`no response within ${timeoutMs} ms`);
      await this.waitForChange(deadline);
    }
  }

  /** Resolves true once the broker has closed the connection (false after the timeout). */
  async closedWithin(timeoutMs = 2000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await this.waitForChange(deadline);
    return this.closed;
  }

  end(): void {
    this.socket.destroy();
  }
}

/** A Fetch v11 request for one partition (v11: the newest version with topic names and no tags). */
export function fetchRequest(
  topic: string,
  offset: bigint,
  options: { maxWaitMs?: number; maxBytes?: number; partition?: number; correlationId?: number } = {},
): Buffer {
  const maxBytes = options.maxBytes ?? 1 << 20;
  return requestFrame(
    FetchSchema.request,
    11,
    {
      ReplicaId: -1,
      MaxWaitMs: options.maxWaitMs ?? 0,
      MinBytes: 1,
      MaxBytes: maxBytes,
      IsolationLevel: 1,
      SessionId: 0,
      SessionEpoch: -1,
      Topics: [
        {
          Topic: topic,
          Partitions: [
            {
              Partition: options.partition ?? 0,
              CurrentLeaderEpoch: -1,
              FetchOffset: offset,
              LogStartOffset: -1n,
              PartitionMaxBytes: maxBytes,
            },
          ],
        },
      ],
      ForgottenTopicsData: [],
      RackId: '',
    },
    options.correlationId ?? 1,
  );
}
