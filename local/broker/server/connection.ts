/**
 * One client connection: splits the byte stream into size-prefixed frames, decodes request headers
 * and bodies, runs handlers, and writes responses in request order (Kafka clients rely on it).
 *
 * Malformed frames, unknown API keys, unsupported versions (except ApiVersions, which answers
 * UNSUPPORTED_VERSION so the client can retry lower) and frames over the size limit close this
 * connection only; nothing here can take the broker down.
 *
 * On the IAM listener (`sasl` set) each connection has a SASL session (auth/sasl/session.ts): requests it
 * may not serve yet (anything but ApiVersions and the SASL requests before authentication, anything
 * but a re-authentication once the session expired, anything after a failed authentication) close the
 * connection, as Kafka closes a client that does not do SASL.
 */
import type { Socket } from 'node:net';
import type { RequestAuthorizer } from '../auth/authorize-request';
import { SaslSession, type SaslSettings } from '../auth/sasl/session';
import { CloseConnection, type ApiHandler, type RequestContext, type RequestHeader } from '../handlers/api';
import { ErrorCode } from '../../kafka/errors';
import type { Struct } from '../../kafka/message-codec';
import { ProtocolError, Reader } from '../../kafka/primitives';
import { readRequestBody, readRequestHeader } from '../../kafka/request-frame';
import { responseFrame } from '../../kafka/response-frame';

export interface ConnectionOptions {
  readonly handlers: ReadonlyMap<number, ApiHandler>;
  /** Largest request frame accepted (socket.request.max.bytes). */
  readonly maxFrameBytes: number;
  readonly context: Omit<
    RequestContext,
    'header' | 'onClose' | 'clientHost' | 'sasl' | 'principal' | 'access'
  >;
  readonly log: (message: string) => void;
  /**
   * Resolves when the broker may handle a request: a paused broker holds every request it reads until
   * it resumes, as a frozen process would. @default always at once
   */
  readonly admission?: () => Promise<void> | undefined;
  /** Makes this a SASL (MSK IAM) connection. @default none: the plain listener */
  readonly sasl?: SaslSettings;
  /** The clock sessions expire by (tests move it). @default Date.now */
  readonly now?: () => number;
  /** Authorizes each authenticated request (the IAM listener with an authorizer). @default none */
  readonly authorize?: RequestAuthorizer;
}

const API_VERSIONS_KEY = 18;
/**
 * Requests handled ahead of their responses being written. Past this the connection stops reading
 * until responses drain, so a client that sends without reading cannot make the broker buffer
 * unboundedly (Kafka itself handles one request per connection at a time).
 */
const MAX_IN_FLIGHT = 32;

export class Connection {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Responses in request order; each resolves to the bytes to send, or null for none. */
  private readonly queue: Promise<Buffer | null>[] = [];
  private draining = false;
  private closedFlag = false;
  private readonly closeCallbacks = new Set<() => void>();
  private paused = false;
  private readonly sasl?: SaslSession;

  constructor(
    private readonly socket: Socket,
    private readonly options: ConnectionOptions,
  ) {
    if (options.sasl) {
      const from = `${socket.remoteAddress}:${socket.remotePort}`;
      this.sasl = new SaslSession(options.sasl, (m) => options.log(`${m} (client ${from})`), options.now);
    }
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  private close(reason?: string): void {
    if (reason)
      this.options.log(
        `closing connection from ${this.socket.remoteAddress}:${this.socket.remotePort}: ${reason}`,
      );
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.pending = [];
    for (const callback of this.closeCallbacks) callback();
    this.closeCallbacks.clear();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closedFlag) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (this.pendingBytes >= 4) {
      const size = this.peekSize();
      if (size < 8 || size > this.options.maxFrameBytes) {
        this.close(`frame of ${size} bytes (limit ${this.options.maxFrameBytes})`);
        return;
      }
      // Wait for the whole frame before joining chunks, so each frame is copied at most once.
      if (this.pendingBytes < 4 + size) return;
      const buf = this.pending.length === 1 ? this.pending[0] : this.coalesce();
      const frame = buf.subarray(4, 4 + size);
      const rest = buf.subarray(4 + size);
      this.pending = rest.length > 0 ? [rest] : [];
      this.pendingBytes = rest.length;
      this.onFrame(frame);
      if (this.closedFlag) return;
    }
  }

  /** The frame size prefix, which may straddle chunks. */
  private peekSize(): number {
    const first = this.pending[0];
    if (first.length >= 4) return first.readInt32BE(0);
    const head = Buffer.alloc(4);
    let at = 0;
    for (const chunk of this.pending) {
      at += chunk.copy(head, at, 0, Math.min(chunk.length, 4 - at));
      if (at === 4) break;
    }
    return head.readInt32BE(0);
  }

  private coalesce(): Buffer {
    const all = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [all];
    return all;
  }

  private onFrame(frame: Buffer): void {
    if (this.sasl?.awaitsRawToken) {
      this.onRawToken(this.sasl, frame);
      return;
    }
    let header: RequestHeader;
    let handler: ApiHandler | undefined;
    let request: Struct;
    try {
      const r = new Reader(frame);
      header = readRequestHeader(r);
      const { apiKey, apiVersion } = header;
      handler = this.options.handlers.get(apiKey);
      if (!handler) {
        this.close(`unknown API key ${apiKey}`);
        return;
      }
      const refusal = this.sasl?.refusal(apiKey, handler.name);
      if (refusal) {
        this.close(refusal);
        return;
      }
      if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
        if (apiKey === API_VERSIONS_KEY) {
          this.enqueue(Promise.resolve(this.unsupportedApiVersions(header)));
        } else {
          this.close(
            `${handler.name} v${apiVersion} is not supported (v${handler.minVersion}-${handler.maxVersion})`,
          );
        }
        return;
      }
      request = readRequestBody(handler.schema.request, apiVersion, r);
    } catch (error) {
      this.close(
        error instanceof ProtocolError
          ? `malformed request: ${error.message}`
          : `bad request: ${String(error)}`,
      );
      return;
    }
    const context: RequestContext = {
      ...this.options.context,
      header,
      sasl: this.sasl,
      principal: this.sasl?.principal,
      clientHost: `/${this.socket.remoteAddress ?? 'unknown'}`,
      onClose: (callback) => {
        this.closeCallbacks.add(callback);
        return () => this.closeCallbacks.delete(callback);
      },
    };
    const h = handler;
    this.enqueue(
      (async () => {
        await this.options.admission?.();
        const response = await h.handle(request, this.authorized(h, request, context));
        return response === null
          ? null
          : responseFrame(h.schema, header.apiVersion, header.correlationId, response);
      })(),
    );
  }

  /** The context with what authorization decided, once the broker may act on the request (after admission). */
  private authorized(handler: ApiHandler, request: Struct, context: RequestContext): RequestContext {
    const { authorize } = this.options;
    if (!authorize || !context.principal) return context;
    const access = authorize.access(handler.key, request, context.principal, {
      cluster: context.cluster,
      groups: context.groups,
      apiVersion: context.header.apiVersion,
    });
    return { ...context, access };
  }

  /**
   * The token after SaslHandshake v0: a size-prefixed frame of SASL bytes, answered the same way (an
   * empty frame or AWS_MSK_IAM's reply); a refusal closes the connection, the only answer v0 has.
   */
  private onRawToken(sasl: SaslSession, token: Buffer): void {
    const answer = sasl.authenticate(token);
    if (answer.ErrorCode !== ErrorCode.NONE) {
      this.close(`raw SASL token refused: ${answer.ErrorMessage ?? answer.ErrorCode}`);
      return;
    }
    const frame = Buffer.alloc(4 + answer.AuthBytes.length);
    frame.writeInt32BE(answer.AuthBytes.length, 0);
    answer.AuthBytes.copy(frame, 4);
    this.enqueue(Promise.resolve(frame));
  }

  /** ApiVersions at a version we do not speak: a v0 body with UNSUPPORTED_VERSION and our key list. */
  private unsupportedApiVersions(header: RequestHeader): Buffer {
    const handler = this.options.handlers.get(API_VERSIONS_KEY)!;
    return responseFrame(handler.schema, 0, header.correlationId, {
      ErrorCode: ErrorCode.UNSUPPORTED_VERSION,
      ApiKeys: this.options.context.apiKeys,
    });
  }

  private enqueue(response: Promise<Buffer | null>): void {
    // Attach a handler now so a failure is never an unhandled rejection; drain() reports it.
    response.catch(() => undefined);
    this.queue.push(response);
    if (this.queue.length >= MAX_IN_FLIGHT && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    while (this.queue.length > 0 && !this.closedFlag) {
      try {
        const bytes = await this.queue[0];
        if (bytes && !this.closedFlag && !this.socket.write(bytes)) {
          // The client is not reading: wait until the kernel buffer drains before writing more.
          await new Promise<void>((resolve) => {
            const done = () => {
              this.socket.off('drain', done);
              this.closeCallbacks.delete(done);
              resolve();
            };
            this.socket.once('drain', done);
            this.closeCallbacks.add(done);
          });
        }
      } catch (error) {
        this.close(
          error instanceof CloseConnection
            ? error.message
            : `handler failed: ${error instanceof Error ? error.stack : String(error)}`,
        );
      }
      this.queue.shift();
      if (this.paused && this.queue.length < MAX_IN_FLIGHT / 2 && !this.closedFlag) {
        this.paused = false;
        this.socket.resume();
      }
    }
    this.draining = false;
  }
}

/** The ApiVersions list: every registered handler and its version range. */
export function advertisedApiKeys(handlers: ReadonlyMap<number, ApiHandler>): RequestContext['apiKeys'] {
  return [...handlers.values()]
    .sort((a, b) => a.key - b.key)
    .map((h): RequestContext['apiKeys'][number] => ({
      ApiKey: h.key,
      MinVersion: h.minVersion,
      MaxVersion: h.maxVersion,
    }));
}
