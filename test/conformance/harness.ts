/**
 * The conformance harness: every scenario runs against Apache Kafka (the reference, from its Maven
 * Central jars) and against the embedded broker, and what a client observes of each is compared.
 *
 * A scenario returns an observation: a plain value built from responses (error codes by name,
 * offsets, counts), leaving out what legitimately varies between any two brokers (ports, cluster and
 * topic ids, throttle times, free-text messages). The two observations must be equal, unless the
 * scenario declares a known difference: then both observations are pinned, and the difference must
 * be listed in local/broker/SKIPPED.md under the heading it names, so a later change to either side
 * shows.
 *
 * Each row (scenario, both observations, verdict) is also written where the conformance table
 * reporter (table-reporter.js) collects it, to print one table at the end of the run.
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../local/broker/broker';
import { errorName } from '../../local/kafka/errors';
import type { Struct } from '../../local/kafka/message-codec';
import { requestFrame } from '../../local/kafka/request-frame';
import { decodeResponse } from '../../local/kafka/response-frame';
import type { ApiSchema } from '../../local/kafka/schema';
import { startApacheKafka, type ApacheKafkaCluster, type ApacheKafkaOptions } from '../support/apache-kafka';
import { RawConnection } from '../support/raw-kafka';

export type TargetName = 'Apache Kafka' | 'embedded';

/** What a raw request observed when the broker closed the connection instead of answering. */
export const CLOSED = 'connection closed' as const;

/**
 * The answer, or an error naming the setup step a scenario could not get past (an observation made
 * after it would mean nothing).
 */
export function answered<T>(response: T | typeof CLOSED, what: string): T {
  if (response === CLOSED) throw new Error(`${what}: the broker closed the connection`);
  return response;
}

/** One connection to a target, for requests in order on the same socket. */
export interface TargetConnection {
  /** Sends one request and resolves to the decoded response body, or CLOSED. */
  request(schema: ApiSchema, version: number, body: Struct): Promise<Struct | typeof CLOSED>;
  /** Sends bytes as they are (a whole frame, size prefix included). */
  send(frame: Buffer): void;
  /** The next response frame (after its size prefix), or CLOSED; rejects after `timeoutMs`. */
  nextFrame(timeoutMs?: number): Promise<Buffer | typeof CLOSED>;
  /** Resolves true if the broker closed the connection within `timeoutMs`. */
  closedWithin(timeoutMs: number): Promise<boolean>;
  close(): void;
}

/** A broker a scenario runs against. */
export interface Target {
  readonly name: TargetName;
  /** host:port list, for a client's bootstrap setting. */
  readonly bootstrap: string;
  /** Node ids of the brokers, in port order. */
  readonly nodeIds: readonly number[];
  /** A new connection to broker `node` (1-based, default the first). */
  connect(node?: number): Promise<TargetConnection>;
  /** One request on a new connection to the first broker, decoded; CLOSED if the broker hung up. */
  request(schema: ApiSchema, version: number, body: Struct, node?: number): Promise<Struct | typeof CLOSED>;
  /** A kafkajs client for this target, quiet unless told otherwise. */
  kafkajs(config?: Partial<KafkaConfig>): Kafka;
}

/** Both observations of a scenario when they are known to differ, and why. */
export interface KnownDifference {
  /** A `**heading**` of local/broker/SKIPPED.md that explains the difference. */
  readonly skipped: string;
  readonly apache: unknown;
  readonly embedded: unknown;
}

export interface ScenarioOptions {
  readonly differs?: KnownDifference;
  /** @default 30 s */
  readonly timeoutMs?: number;
}

export interface ConformanceOptions {
  /** Brokers on each side. @default 1 */
  readonly brokers?: number;
  /** Extra server.properties for Apache Kafka. */
  readonly apache?: ApacheKafkaOptions['config'];
  /** Extra options for the embedded broker. */
  readonly embedded?: Omit<BrokerOptions, 'port' | 'brokers'>;
}

const SKIPPED_MD = path.join(__dirname, '..', '..', 'local', 'broker', 'SKIPPED.md');

/**
 * A plain, comparable copy of a decoded response or any value: bigints as numbers (or strings past
 * 2^53), Buffers as hex, error codes (fields named `ErrorCode` or `…ErrorCode`) by name, throttle
 * times left out.
 */
export function plain(value: unknown, key = ''): unknown {
  if (typeof value === 'bigint')
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (typeof value === 'number' && /ErrorCode$/.test(key)) return errorName(value);
  if (Array.isArray(value)) return value.map((v) => plain(v));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'ThrottleTimeMs') continue;
      out[k] = plain(v, k);
    }
    return out;
  }
  return value;
}

/** `value` with only `keys` kept, at every level of nesting (arrays are mapped). */
export function only(value: unknown, keys: readonly string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => only(v, keys));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (keys.includes(k)) out[k] = only(v, keys);
    }
    return out;
  }
  return value;
}

/** A TargetConnection over a raw one: requests numbered in order on it, answers decoded. */
class RawTargetConnection implements TargetConnection {
  private correlationId = 0;

  constructor(private readonly raw: RawConnection) {}

  send(frame: Buffer): void {
    this.raw.write(frame);
  }

  async nextFrame(timeoutMs = 10_000): Promise<Buffer | typeof CLOSED> {
    return (await this.raw.response(timeoutMs)) ?? CLOSED;
  }

  closedWithin(timeoutMs: number): Promise<boolean> {
    return this.raw.closedWithin(timeoutMs);
  }

  async request(schema: ApiSchema, version: number, body: Struct): Promise<Struct | typeof CLOSED> {
    const correlationId = ++this.correlationId;
    this.send(requestFrame(schema.request, version, body, correlationId, 'conformance'));
    const frame = await this.nextFrame();
    if (frame === CLOSED) return CLOSED;
    const response = decodeResponse(schema, version, frame);
    if (response.correlationId !== correlationId) {
      throw new Error(`response to ${response.correlationId}, expected ${correlationId}`);
    }
    return response.body;
  }

  close(): void {
    this.raw.end();
  }
}

async function openConnection(host: string, port: number): Promise<TargetConnection> {
  return new RawTargetConnection(await RawConnection.open(port, host));
}

function target(name: TargetName, addresses: readonly { host: string; port: number }[], nodeIds: number[]) {
  const connectTo = (node = 1) => {
    const address = addresses[node - 1];
    if (!address) throw new Error(`no broker ${node}`);
    return openConnection(address.host, address.port);
  };
  const t: Target = {
    name,
    bootstrap: addresses.map((a) => `${a.host}:${a.port}`).join(','),
    nodeIds,
    connect: connectTo,
    async request(schema, version, body, node) {
      const connection = await connectTo(node);
      try {
        return await connection.request(schema, version, body);
      } finally {
        connection.close();
      }
    },
    kafkajs(config = {}) {
      return new Kafka({
        clientId: 'conformance',
        brokers: t.bootstrap.split(','),
        logLevel: logLevel.NOTHING,
        retry: { retries: 2, initialRetryTime: 100 },
        ...config,
      });
    },
  };
  return t;
}

/** One row of the conformance table. */
export interface Row {
  readonly area: string;
  readonly scenario: string;
  readonly apache: unknown;
  readonly embedded: unknown;
  readonly verdict: 'same' | 'listed' | 'different';
  readonly skipped?: string;
}

/** Writes a row where the table reporter collects it (a test that compares in its own way uses this too). */
export function record(row: Row): void {
  const dir = process.env.KW_CONFORMANCE_RESULTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(
    path.join(dir, `${row.area.replace(/\W+/g, '-')}.jsonl`),
    `${JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`,
  );
}

/** The bold headings of SKIPPED.md's list items (`- **Transactions**: ...`). */
export function skippedHeadings(): string[] {
  return [...readFileSync(SKIPPED_MD, 'utf8').matchAll(/^- \*\*([^*]+)\*\*/gm)].map((m) => m[1]);
}

/**
 * Starts Apache Kafka and the embedded broker for this test file (before its tests, stopped after)
 * and returns `scenario`, which declares one conformance test.
 */
export function conformance(area: string, options: ConformanceOptions = {}) {
  const brokers = options.brokers ?? 1;
  let apache: ApacheKafkaCluster | undefined;
  let embedded: RunningBroker | undefined;
  let targets: { apache: Target; embedded: Target } | undefined;
  // A handler that throws closes its connection, which a scenario could take for Kafka's own hang-up:
  // every such failure is collected and fails the file, so the scenarios provably crash nothing.
  const handlerFailures: string[] = [];

  beforeAll(async () => {
    [apache, embedded] = await Promise.all([
      startApacheKafka({ nodes: brokers, config: options.apache }),
      startBroker({
        port: 0,
        brokers,
        ...options.embedded,
        log: (message) => {
          if (message.includes('handler failed')) handlerFailures.push(message);
        },
      }),
    ]);
    targets = {
      apache: target(
        'Apache Kafka',
        apache.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
        apache.nodes.map((n) => n.nodeId),
      ),
      embedded: target(
        'embedded',
        embedded.ports.map((port) => ({ host: embedded!.host, port })),
        embedded.cluster.brokers.map((b) => b.nodeId),
      ),
    };
  }, 120_000);

  afterAll(async () => {
    await Promise.all([apache?.stop(), embedded?.close()]);
    expect({ [`${area}: embedded broker handlers that threw`]: handlerFailures }).toEqual({
      [`${area}: embedded broker handlers that threw`]: [],
    });
  }, 60_000);

  return function scenario(
    title: string,
    run: (t: Target) => Promise<unknown>,
    scenarioOptions: ScenarioOptions = {},
  ): void {
    test(
      title,
      async () => {
        if (!targets) throw new Error('the brokers did not start (see beforeAll)');
        const [onApache, onEmbedded] = (await Promise.all([run(targets.apache), run(targets.embedded)])).map(
          (o) => plain(o),
        );
        const differs = scenarioOptions.differs;
        const same = JSON.stringify(onApache) === JSON.stringify(onEmbedded);
        const verdict = same ? 'same' : differs ? 'listed' : 'different';
        record({
          area,
          scenario: title,
          apache: onApache,
          embedded: onEmbedded,
          verdict,
          skipped: differs?.skipped,
        });
        if (!differs) {
          expect({ [area]: title, observed: onEmbedded }).toEqual({ [area]: title, observed: onApache });
          return;
        }
        expect(skippedHeadings()).toContain(differs.skipped);
        expect(onApache).toEqual(plain(differs.apache));
        expect(onEmbedded).toEqual(plain(differs.embedded));
      },
      scenarioOptions.timeoutMs ?? 30_000,
    );
  };
}
