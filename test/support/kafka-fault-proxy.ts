/**
 * A TCP proxy in front of one broker that misbehaves on cue, the way a broker of a real cluster looks
 * to its clients while leaders and coordinators move (franz-go's kfake does the same inside its fake
 * broker with ControlKey; this does it in front of ours, which has no leader elections):
 * - `answer` replies to matching requests itself, with a response the test builds (typically an error
 *   code such as NOT_LEADER_OR_FOLLOWER), instead of passing them on;
 * - `restart` closes every connection and refuses new ones for a while, as a broker that stops and
 *   starts again does.
 * Everything else passes through unchanged. Responses keep their request order on each connection
 * (an answered request waits for the broker's answers to the requests before it), so this works for
 * any client that expects a response to every request (not for acks=0 producers).
 * Brokers advertise the proxies (`advertisedListeners`), so clients reach them through Metadata.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Struct } from '../../local/kafka/message-codec';
import { Reader } from '../../local/kafka/primitives';
import { decodeRequest, readRequestHeader } from '../../local/kafka/request-frame';
import { responseFrame } from '../../local/kafka/response-frame';
import type { ApiSchema } from '../../local/kafka/schema';

/** Builds the response to a request, or undefined to let the request through. */
export type Responder = (
  request: Struct,
  header: { readonly version: number; readonly clientId: string | null },
) => Struct | undefined;

export interface FaultProxy {
  readonly port: number;
  /** host:port, for advertisedListeners and bootstrap lists. */
  readonly address: string;
  /** Answers up to `times` requests of `schema` for which `respond` gives a body, with that body. */
  answer(schema: ApiSchema, respond: Responder, times?: number): void;
  /** How many requests of `apiKey` came through so far, answered here or passed on. */
  seen(apiKey: number): number;
  /** Closes every connection, refuses new ones for `downMs`, then accepts again on the same port. */
  restart(downMs: number): Promise<void>;
  close(): Promise<void>;
}

interface Rule {
  readonly schema: ApiSchema;
  readonly respond: Responder;
  left: number;
}

export async function startFaultProxy(target: () => number): Promise<FaultProxy> {
  const rules: Rule[] = [];
  const counts = new Map<number, number>();
  const sockets = new Set<Socket>();

  const respondTo = (frame: Buffer): Buffer | undefined => {
    const {
      apiKey,
      apiVersion: version,
      correlationId,
      clientId,
    } = readRequestHeader(new Reader(frame.subarray(4)));
    counts.set(apiKey, (counts.get(apiKey) ?? 0) + 1);
    for (const rule of rules) {
      if (rule.left <= 0 || rule.schema.request.apiKey !== apiKey) continue;
      const { body: request } = decodeRequest(rule.schema, frame.subarray(4));
      const body = rule.respond(request, { version, clientId });
      if (!body) continue;
      rule.left--;
      return responseFrame(rule.schema, version, correlationId, body);
    }
    return undefined;
  };

  const handle = (client: Socket) => {
    const upstream = connect(target(), '127.0.0.1');
    sockets.add(client).add(upstream);
    // In request order: null for requests the broker answers, the frame for those answered here.
    const inFlight: (Buffer | null)[] = [];
    const flush = () => {
      while (inFlight.length > 0 && inFlight[0] !== null) client.write(inFlight.shift()!);
    };
    let fromClient = Buffer.alloc(0);
    let fromBroker = Buffer.alloc(0);
    client.on('data', (d: Buffer) => {
      fromClient = Buffer.concat([fromClient, d]);
      while (fromClient.length >= 4 && fromClient.length >= 4 + fromClient.readInt32BE(0)) {
        const frame = fromClient.subarray(0, 4 + fromClient.readInt32BE(0));
        fromClient = fromClient.subarray(frame.length);
        const answer = respondTo(frame);
        inFlight.push(answer ?? null);
        if (answer) flush();
        else upstream.write(frame);
      }
    });
    upstream.on('data', (d: Buffer) => {
      fromBroker = Buffer.concat([fromBroker, d]);
      while (fromBroker.length >= 4 && fromBroker.length >= 4 + fromBroker.readInt32BE(0)) {
        const frame = fromBroker.subarray(0, 4 + fromBroker.readInt32BE(0));
        fromBroker = fromBroker.subarray(frame.length);
        flush();
        inFlight.shift();
        client.write(frame);
        flush();
      }
    });
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('error', cut);
      s.on('close', () => {
        sockets.delete(s);
        cut();
      });
    }
  };

  let server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const stopListening = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  return {
    port,
    address: `127.0.0.1:${port}`,
    answer(schema, respond, times = 1) {
      rules.push({ schema, respond, left: times });
    },
    seen: (apiKey) => counts.get(apiKey) ?? 0,
    async restart(downMs) {
      await stopListening();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      server = createServer(handle);
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    close: stopListening,
  };
}
