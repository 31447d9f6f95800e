/**
 * A small Kafka client for the event-source-mapping poller, built on the broker's own message codec.
 *
 * AWS's pollers are their own Kafka client, not a consumer library: they fetch partitions
 * independently, hold a batch until it succeeds, and commit offsets as the mapping's consumer group.
 * kafkajs cannot do that (its fetch loop waits for every partition's batch before fetching again, so
 * one retried partition would stall the others), hence this client: one TCP connection, requests
 * pipelined with correlation ids, non-flexible request versions so headers stay simple.
 *
 * Every request has a deadline (Kafka's request.timeout.ms, 30 s, on top of what the request itself
 * may wait): a broker that stops answering without closing the socket would otherwise hold its
 * caller forever. Responses come back in request order, so a late one would leave every later
 * request unanswered: a timeout closes the connection, as Kafka's own clients do.
 *
 * On an IAM listener the connection authenticates before its first request (SaslHandshake v1 and
 * SaslAuthenticate v1 with an OAUTHBEARER token, as kafkajs with the MSK signer does) and again
 * before the session lifetime the broker granted runs out (KIP-368), on the same connection: the
 * broker answers in request order, so requests in flight are not disturbed.
 */
import { connect, type Socket } from 'node:net';
import { ErrorCode, errorName } from '../../kafka/errors';
import type { Struct } from '../../kafka/message-codec';
import { SaslHandshakeSchema } from '../../kafka/messages/17-sasl-handshake';
import { SaslAuthenticateSchema } from '../../kafka/messages/36-sasl-authenticate';
import { requestFrame } from '../../kafka/request-frame';
import { decodeResponse } from '../../kafka/response-frame';
import { inRange, type ApiSchema, type RequestInput, type ResponseOf } from '../../kafka/schema';

/** Raised when the connection fails or closes with requests outstanding. */
export class KafkaConnectionError extends Error {
  public override readonly name = 'KafkaConnectionError';
}

/** A response that carries a Kafka error code; `code` says which, the message what was asked. */
export class KafkaResponseError extends Error {
  public override readonly name: string = 'KafkaResponseError';

  constructor(
    readonly code: number,
    what: string,
  ) {
    super(`${what}: ${errorName(code)}`);
  }
}

/** The broker refused the connection's SASL authentication; `detail` is the broker's message. */
export class KafkaAuthenticationError extends KafkaResponseError {
  public override readonly name = 'KafkaAuthenticationError';

  constructor(
    address: string,
    readonly detail: string,
  ) {
    super(ErrorCode.SASL_AUTHENTICATION_FAILED, `SaslAuthenticate to ${address} (${detail})`);
  }
}

/** How a connection authenticates: an MSK IAM token (the signer's base64url presigned URL) on demand. */
export interface SaslOauthBearer {
  token(): Promise<string>;
}

/** Re-authenticate once this share of the session lifetime has passed (Kafka's clients pick 85–95 %). */
const REAUTH_AT = 0.85;

interface Pending {
  readonly schema: ApiSchema;
  readonly version: number;
  readonly timer: NodeJS.Timeout;
  resolve(body: Struct): void;
  reject(error: Error): void;
}

/** Kafka's default request.timeout.ms. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Splits `host:port`; throws a message naming the bad value. */
export function parseHostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const port = Number(address.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`invalid broker address "${address}": expected host:port`);
  }
  return { host: address.slice(0, at), port };
}

export class WireClient {
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  private buffered: Buffer = Buffer.alloc(0);
  private closedError: Error | undefined;
  private reauthTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly clientId: string,
    readonly address: string,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(new KafkaConnectionError(`${address}: ${error.message}`)));
    socket.on('close', () => this.fail(new KafkaConnectionError(`${address}: connection closed`)));
  }

  /**
   * Opens a connection, authenticated with `sasl` when given; rejects after `timeoutMs` or on a
   * refused connection, and with KafkaAuthenticationError when the broker refuses the token.
   */
  static async open(
    address: string,
    clientId: string,
    timeoutMs = 5000,
    sasl?: SaslOauthBearer,
  ): Promise<WireClient> {
    const client = await WireClient.connect(address, clientId, timeoutMs);
    if (!sasl) return client;
    try {
      await client.authenticate(sasl);
    } catch (error) {
      client.close();
      throw error;
    }
    return client;
  }

  private static connect(address: string, clientId: string, timeoutMs: number): Promise<WireClient> {
    const { host, port } = parseHostPort(address);
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new KafkaConnectionError(`${address}: no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new WireClient(socket, clientId, address));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new KafkaConnectionError(`${address}: ${error.message}`));
      });
    });
  }

  /**
   * Sends one request at a non-flexible `version` and resolves to the decoded response body. Without
   * an answer within `timeoutMs` the connection is closed and every request on it rejected.
   */
  request<S extends ApiSchema>(
    schema: S,
    version: number,
    body: RequestInput<S>,
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<ResponseOf<S>> {
    if (inRange(schema.request.flexibleVersions, version)) {
      throw new Error(`${schema.request.name} v${version} is flexible: this client speaks classic versions`);
    }
    if (this.closedError) return Promise.reject(this.closedError);
    const correlationId = this.nextCorrelationId++;
    const frame = requestFrame(schema.request, version, body, correlationId, this.clientId);
    return new Promise<Struct>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.fail(
            new KafkaConnectionError(
              `${this.address}: no answer to ${schema.request.name} within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      this.pending.set(correlationId, { schema, version, timer, resolve, reject });
      this.socket.write(frame);
      // The codec decoded the body by `schema.response`, which is what ResponseOf<S> describes.
    }) as Promise<ResponseOf<S>>;
  }

  /**
   * SaslHandshake and SaslAuthenticate with a fresh token; schedules the next authentication before
   * the granted session lifetime ends. A refused re-authentication closes the connection (the broker
   * would refuse every request after the lifetime anyway), failing what is in flight.
   */
  private async authenticate(sasl: SaslOauthBearer): Promise<void> {
    const handshake = await this.request(SaslHandshakeSchema, 1, { Mechanism: 'OAUTHBEARER' });
    if (handshake.ErrorCode !== ErrorCode.NONE) {
      throw new KafkaAuthenticationError(
        this.address,
        `OAUTHBEARER not offered (${errorName(handshake.ErrorCode)}; the broker offers ${handshake.Mechanisms.join(', ')})`,
      );
    }
    const token = await sasl.token();
    const res = await this.request(SaslAuthenticateSchema, 1, {
      AuthBytes: Buffer.from(`n,,\x01auth=Bearer ${token}\x01\x01`),
    });
    if (res.ErrorCode !== ErrorCode.NONE)
      throw new KafkaAuthenticationError(this.address, res.ErrorMessage ?? errorName(res.ErrorCode));
    const lifetimeMs = Number(res.SessionLifetimeMs);
    if (lifetimeMs <= 0 || this.closedError) return;
    this.reauthTimer = setTimeout(() => {
      this.reauthTimer = undefined;
      this.authenticate(sasl).catch((error: Error) =>
        this.fail(error instanceof KafkaConnectionError ? error : new KafkaConnectionError(error.message)),
      );
    }, lifetimeMs * REAUTH_AT);
    this.reauthTimer.unref();
  }

  /** Whether the connection is closed (by either side, or after a failure). */
  get closed(): boolean {
    return this.closedError !== undefined;
  }

  close(): void {
    this.fail(new KafkaConnectionError(`${this.address}: closed by the client`));
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) return;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const correlationId = frame.readInt32BE(0);
      const waiter = this.pending.get(correlationId);
      if (!waiter) {
        this.fail(new KafkaConnectionError(`${this.address}: response to unknown request ${correlationId}`));
        return;
      }
      this.pending.delete(correlationId);
      clearTimeout(waiter.timer);
      try {
        waiter.resolve(decodeResponse(waiter.schema, waiter.version, frame).body);
      } catch (error) {
        waiter.reject(error as Error);
      }
    }
  }

  private fail(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    clearTimeout(this.reauthTimer);
    this.socket.destroy();
    for (const waiter of this.pending.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.pending.clear();
  }
}
