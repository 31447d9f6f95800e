/**
 * The local event source mapping: reads one topic as the mapping's consumer group and invokes the
 * function with batches, following AWS's documented behaviour for Kafka mappings. This class is the
 * shell that does the I/O and keeps the time; the rules live beside it:
 * - esm/batcher.ts: which fetched records form the next batch (BatchSize, the 6 MB payload cap, the
 *   batching window counted from the first record buffered);
 * - esm/delivery-policy.ts: what follows an invocation (retries, bisecting, ReportBatchItemFailures,
 *   maximum record age, the on-failure destination) and which offset to commit;
 * - kafka/partition-reader.ts: fetches, offsets and commits, from each partition's leader and the
 *   group's coordinator, found again when they move, so the poller keeps going on a cluster of
 *   several brokers whose nodes stop and restart.
 *
 * Each partition is polled on its own connections and delivered in order; batches of one partition
 * never overlap, and a partition stuck on a failing batch does not hold up the others. Offsets are
 * committed to the group only after the function succeeded (filtered-out records are committed too).
 * Commits are made as a standalone consumer (generation -1): the poller owns every partition, so the
 * group shows committed offsets and lag but no members.
 *
 * Differences from AWS, on purpose: one invocation holds one partition's records (AWS may mix
 * partitions); polling starts at once (AWS takes minutes); records compressed with snappy, lz4 or
 * zstd cannot be read (gzip and none can).
 *
 * On an IAM listener (options.sasl) every connection authenticates as the function's role, and a
 * refusal surfaces as AWS's mapping shows it: `lastProcessingResult` takes AWS's LastProcessingResult
 * text (PROBLEM: SASL authentication failed. / PROBLEM: Cluster failed to authorize Lambda.), the log
 * names the missing permission (options.explainDenial), and the poller keeps retrying with backoff,
 * as AWS's does, until the grant is there.
 *
 * Why our own Kafka client (kafka/wire-client.ts) rather than a maintained library's low-level API,
 * weighed when the poller first ran on Apache Kafka: kafkajs 2.2.4 (unchanged since 2023) hides its
 * broker connections behind undocumented internals and fails a whole Fetch on one partition's error.
 * @platformatic/kafka 1.x is maintained and speaks current versions, but its public Consumer.fetch
 * leaves choosing the leader to the caller and shares one connection per broker (a long-polling fetch
 * would hold up the other partitions' requests), its commit() commits as a group member (its
 * generation), not as the standalone consumer a mapping is, and its reactions to moved leaders live
 * in its consume stream; reaching below that means symbol-keyed internals with no stability promise.
 * Either way the routing and retry rules above would still be ours, on top of a dependency kw up
 * does not have today. The client needs six classic request versions (Metadata v8, Fetch v11,
 * ListOffsets v5, OffsetFetch v5, OffsetCommit v7, FindCoordinator v2) that Apache Kafka 3.9 serves
 * and 4.x keeps (KIP-896 removed only older ones; topic ids are not needed below Fetch v13), and
 * tests pin it against Apache Kafka 3.9. What a library would bring that this lacks is TLS and SASL
 * (MSK IAM): worth revisiting if kw up is ever pointed at MSK itself.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as sleepUnlessAborted } from 'node:timers/promises';
import { ErrorCode } from '../../kafka/errors';
import type { LocalMappingSpec, LocalStartingPosition } from '../assembly';
import { ClusterView, type Connections } from '../kafka/cluster-view';
import { PartitionReader } from '../kafka/partition-reader';
import type { KafkaRecord } from '../kafka/records';
import {
  KafkaAuthenticationError,
  KafkaConnectionError,
  KafkaResponseError,
  WireClient,
  type SaslOauthBearer,
} from '../kafka/wire-client';
import type { InvokeOutcome } from '../lambda/function-pool';
import {
  addFetched,
  EMPTY_BUFFER,
  fetchWaitMs,
  isReady,
  reopenWindow,
  takeBatch,
  type BatchLimits,
} from './batcher';
import {
  plan,
  react,
  startDelivery,
  type Delivery,
  type DeliveryRules,
  type FailedRecords,
  type Reaction,
  type Step,
} from './delivery-policy';
import { eventRecord, kafkaEvent, type EventRecord, type EventSource } from './event';
import { compileFilters, type RecordFilter } from './filter';
import type { FailedBatch, OnFailureWriter } from './on-failure';

export type StartingPosition = LocalStartingPosition;

/**
 * A mapping as the template declares it, defaults applied: the settings the poller acts on, as the
 * assembly describes them, and where its records come from (what the events name as their source).
 */
export type MappingSpec = Pick<
  LocalMappingSpec,
  | 'name'
  | 'functionName'
  | 'functionArn'
  | 'topic'
  | 'consumerGroupId'
  | 'batchSize'
  | 'batchWindowMs'
  | 'startingPosition'
  | 'startingTimestampMs'
  | 'filters'
  | 'provisioned'
  | 'retryAttempts'
  | 'bisectBatchOnError'
  | 'maxRecordAgeSeconds'
  | 'reportBatchItemFailures'
> & { readonly source: EventSource };

/** Invokes the mapping's function. */
export interface MappingTarget {
  invoke(event: unknown): Promise<InvokeOutcome>;
}

export interface MappingStats {
  invocations: number;
  functionErrors: number;
  recordsDelivered: number;
  recordsFiltered: number;
  recordsToDestination: number;
  recordsDropped: number;
  /** Per partition: the offset last committed to the group. */
  committed: Map<number, number>;
}

export interface MappingPollerOptions {
  /** host:port of brokers to start from. */
  readonly bootstrapServers: readonly string[];
  readonly onFailure?: OnFailureWriter;
  /** Invocation payload cap in bytes. @default 6 MB */
  readonly maxPayloadBytes?: number;
  /** How often to look for new partitions. @default 5000 ms */
  readonly metadataIntervalMs?: number;
  /** Longest pause between retries of a failing batch. @default 2000 ms */
  readonly maxRetryBackoffMs?: number;
  /** Longest pause between attempts to reach a partition's leader or the group's coordinator. @default 2000 ms */
  readonly maxReconnectBackoffMs?: number;
  readonly log?: (message: string) => void;
  /** Authenticates every connection (an IAM listener); none on a plain listener. */
  readonly sasl?: SaslOauthBearer;
  /**
   * What a refusal with `errorCode` (SASL_AUTHENTICATION_FAILED or a *_AUTHORIZATION_FAILED) means
   * for this mapping: the permissions its role lacks, one line each, for the log.
   */
  readonly explainDenial?: (errorCode: number) => readonly string[];
}

/** AWS's LastProcessingResult texts (msk-iam.md §5). */
export const PROCESSING_RESULT = {
  initial: 'No records processed',
  ok: 'OK',
  authentication: 'PROBLEM: SASL authentication failed.',
  authorization: 'PROBLEM: Cluster failed to authorize Lambda.',
  connection: 'PROBLEM: Connection error. Please check your event source connection configuration.',
} as const;

const AUTHORIZATION_FAILED: ReadonlySet<number> = new Set([
  ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
]);

/** The LastProcessingResult an error stands for; undefined for errors that say nothing about the source. */
export function processingResultOf(error: unknown): string | undefined {
  if (error instanceof KafkaAuthenticationError) return PROCESSING_RESULT.authentication;
  if (error instanceof KafkaResponseError && AUTHORIZATION_FAILED.has(error.code))
    return PROCESSING_RESULT.authorization;
  if (error instanceof KafkaConnectionError) return PROCESSING_RESULT.connection;
  return undefined;
}

const SIX_MB = 6 * 1024 * 1024;
/** Long-poll wait while a partition has nothing buffered. */
const IDLE_WAIT_MS = 500;
/** ListOffsets timestamps for a partition's first and next offsets. */
const EARLIEST = -2;
const LATEST = -1;

/** Key and value bytes of records as an event carries them (base64). */
function recordBytes(records: readonly EventRecord[]): number {
  let bytes = 0;
  for (const r of records) {
    bytes += Buffer.byteLength(r.value, 'base64');
    if (r.key) bytes += Buffer.byteLength(r.key, 'base64');
  }
  return bytes;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Emitted as `invoke` before each invocation, for benchmarks and live views. */
export interface InvokeNotice {
  readonly partition: number;
  readonly records: number;
  /** Timestamp of the batch's first record (when it was produced). */
  readonly firstTimestamp: number;
  readonly invokedAt: number;
}

/** Emitted as `fetched` when records of a partition are buffered (also while a batch is in flight). */
export interface FetchNotice {
  readonly partition: number;
  /** The offset after the last record fetched. */
  readonly nextOffset: number;
  /** Records buffered and not yet delivered. */
  readonly buffered: number;
}

/** What became of one invocation, or of records the policy sent on without one (too old). */
export type BatchOutcome = 'ok' | 'error' | 'partial' | 'dead-letter' | 'dropped';

/**
 * Emitted as `batch` after each invocation's outcome is known (and for records sent to the
 * destination unprocessed), for live views; built only while someone listens.
 */
export interface BatchNotice {
  /** When the invocation started (ms since the epoch). */
  readonly at: number;
  readonly topic: string;
  readonly partition: number;
  /** The invoked records, as the event carried them. */
  readonly records: readonly EventRecord[];
  /** Key and value bytes of those records. */
  readonly bytes: number;
  /** 0 for records sent to the destination without an invocation. */
  readonly durationMs: number;
  /**
   * ok: handled; error: failed whole, will be retried or bisected; partial: batchItemFailures named a
   * record (those before it are committed); dead-letter: retries are used up (or the records are too
   * old) and they went to the on-failure destination; dropped: the same without a destination.
   */
  readonly outcome: BatchOutcome;
  /** Invocations of these records so far, this one included (1: the first). */
  readonly attempt: number;
  /** The records are a half (or a half of a half...) of a batch that was bisected. */
  readonly bisected: boolean;
  readonly error?: string;
  /** For dead-letter and dropped: why (RetryAttemptsExhausted, RecordAgeExceeded...). */
  readonly condition?: string;
}

export class MappingPoller extends EventEmitter {
  readonly stats: MappingStats = {
    invocations: 0,
    functionErrors: 0,
    recordsDelivered: 0,
    recordsFiltered: 0,
    recordsToDestination: 0,
    recordsDropped: 0,
    committed: new Map(),
  };
  private running = false;
  private readonly workers = new Map<number, Promise<void>>();
  private readonly clients = new Set<WireClient>();
  private readonly filter: RecordFilter | undefined;
  private readonly bootstrapServers: readonly string[];
  private readonly connections: Connections = {
    open: (address) => this.connect(address),
    release: (client) => this.release(client),
  };
  private stopping = new AbortController();
  private discovery: Promise<void> | undefined;
  private readonly log: (message: string) => void;
  private readonly limits: BatchLimits;
  private readonly rules: DeliveryRules;
  private result: string = PROCESSING_RESULT.initial;
  /** The last problem logged, so a refusal repeated on every retry is logged once per spell. */
  private reportedProblem: string | undefined;

  constructor(
    readonly spec: MappingSpec,
    private readonly target: MappingTarget,
    private readonly options: MappingPollerOptions,
  ) {
    super();
    this.filter = compileFilters(spec.filters);
    this.bootstrapServers = options.bootstrapServers;
    this.log = options.log ?? (() => undefined);
    this.limits = {
      batchSize: spec.batchSize,
      maxPayloadBytes: options.maxPayloadBytes ?? SIX_MB,
      windowMs: spec.batchWindowMs,
    };
    this.rules = {
      provisioned: spec.provisioned,
      retryAttempts: spec.retryAttempts,
      bisectBatchOnError: spec.bisectBatchOnError,
      maxRecordAgeSeconds: spec.maxRecordAgeSeconds,
      reportBatchItemFailures: spec.reportBatchItemFailures,
      hasDestination: options.onFailure !== undefined,
      maxRetryBackoffMs: options.maxRetryBackoffMs ?? 2000,
    };
    if (
      spec.provisioned === false &&
      (spec.retryAttempts !== -1 ||
        spec.bisectBatchOnError ||
        spec.reportBatchItemFailures ||
        options.onFailure)
    ) {
      this.log(
        `${spec.name}: retry and failure options need provisioned mode; AWS would refuse this mapping`,
      );
    }
  }

  /** AWS's LastProcessingResult for the mapping: OK once records are read, or the last problem. */
  get lastProcessingResult(): string {
    return this.result;
  }

  /** Notes that the source answered: the result is OK again. */
  private sourceAnswered(): void {
    if (this.result === PROCESSING_RESULT.ok) return;
    if (this.reportedProblem)
      this.log(`${this.spec.name}: ${PROCESSING_RESULT.ok} (the source answers again)`);
    this.result = PROCESSING_RESULT.ok;
    this.reportedProblem = undefined;
  }

  /**
   * Takes the LastProcessingResult an error stands for; a refusal is logged (once per spell) with the
   * permissions the role lacks. Returns whether it was a refusal (logged here).
   */
  private sourceProblem(error: unknown): boolean {
    const result = processingResultOf(error);
    if (result === undefined) return false;
    this.result = result;
    if (result === PROCESSING_RESULT.connection) return false;
    const code = (error as KafkaResponseError).code;
    const missing = this.options.explainDenial?.(code) ?? [];
    // The same refusal on each partition's retries is one problem: keyed without the request's details.
    const key = `${result} ${code} ${missing.join('; ')}`;
    if (key !== this.reportedProblem) {
      const why = missing.length > 0 ? `: ${missing.join('; ')}` : '';
      this.log(`${this.spec.name}: ${result} ${(error as Error).message}${why}; retrying`);
    }
    this.reportedProblem = key;
    return true;
  }

  /** Starts polling; partitions are found now and every few seconds after. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = new AbortController();
    this.discovery = this.discover(new ClusterView(this.bootstrapServers, this.connections));
  }

  /** Stops polling; an invocation in flight is not committed, so its batch comes again next time. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    for (const c of this.clients) c.close();
    await this.discovery;
    await Promise.all(this.workers.values());
    this.workers.clear();
  }

  private async connect(address: string): Promise<WireClient> {
    const client = await WireClient.open(
      address,
      `kw-esm-${this.spec.consumerGroupId}`,
      undefined,
      this.options.sasl,
    );
    this.clients.add(client);
    if (!this.running) client.close();
    return client;
  }

  private release(client: WireClient | undefined): void {
    if (!client) return;
    client.close();
    this.clients.delete(client);
  }

  /** Finds the topic's partitions now and every few seconds, and starts polling each new one. */
  private async discover(cluster: ClusterView): Promise<void> {
    let reported: string | undefined;
    const report = (message: string) => {
      // Once per spell: a cluster that is down would otherwise fill the log every few seconds.
      if (message !== reported) this.log(`${this.spec.name}: ${message}`);
      reported = message;
    };
    while (this.running) {
      try {
        const { partitions, errorCode } = await cluster.topic(this.spec.topic);
        if (AUTHORIZATION_FAILED.has(errorCode))
          throw new KafkaResponseError(errorCode, `Metadata ${this.spec.topic}`);
        if (partitions.size === 0) report(`topic ${this.spec.topic} does not exist yet; waiting for it`);
        else reported = undefined;
        for (const partition of partitions.keys()) {
          if (!this.workers.has(partition))
            this.workers.set(partition, this.pollPartition(cluster, partition));
        }
      } catch (error) {
        if (this.running && !this.sourceProblem(error)) report(`metadata: ${(error as Error).message}`);
      }
      if (!this.running) break;
      await sleepUnlessAborted(this.options.metadataIntervalMs ?? 5000, undefined, {
        signal: this.stopping.signal,
      }).catch(() => undefined);
    }
    cluster.close();
  }

  /** The whole life of one partition: find the start, then fetch, batch, invoke, commit. */
  private async pollPartition(cluster: ClusterView, partition: number): Promise<void> {
    const reader = new PartitionReader({
      topic: this.spec.topic,
      partition,
      group: this.spec.consumerGroupId,
      cluster,
      connections: this.connections,
      signal: this.stopping.signal,
      log: (message) => this.log(`${this.spec.name}: ${message}`),
      maxBackoffMs: this.options.maxReconnectBackoffMs,
    });
    let backoff = 100;
    try {
      while (this.running) {
        try {
          await this.consume(partition, reader);
          backoff = 100;
        } catch (error) {
          if (!this.running) break;
          // Not a moved leader or coordinator (the reader handles those): start again from what the
          // group committed, so nothing is skipped.
          if (!this.sourceProblem(error))
            this.log(
              `${this.spec.name}: ${this.spec.topic}-${partition}: ${(error as Error).message}; resuming from the committed offset`,
            );
          reader.close();
          await sleepUnlessAborted(backoff, undefined, { signal: this.stopping.signal }).catch(
            () => undefined,
          );
          backoff = Math.min(backoff * 2, 5000);
        }
      }
    } finally {
      reader.close();
    }
  }

  private async commit(reader: PartitionReader, partition: number, offset: number): Promise<void> {
    await reader.commit(offset);
    this.stats.committed.set(partition, offset);
  }

  /** Where the partition starts: the group's committed offset, else the starting position. */
  private async startOffset(reader: PartitionReader, partition: number): Promise<number> {
    const { startingPosition, startingTimestampMs } = this.spec;
    const timestamp =
      startingPosition === 'TRIM_HORIZON'
        ? EARLIEST
        : startingPosition === 'LATEST'
          ? LATEST
          : (startingTimestampMs ?? 0);
    const { offset, committed } = await reader.resumeOffset(timestamp);
    // AWS's poller joins its group before it reads, which takes AlterGroup: on an IAM listener the
    // same grant is checked here, by committing where reading starts, so a role without it is refused
    // before any invocation rather than after each one.
    if (this.options.sasl) await this.commit(reader, partition, offset);
    else if (committed) this.stats.committed.set(partition, offset);
    return offset;
  }

  /**
   * Fetches records into the buffer and delivers a batch whenever the batcher says one is ready.
   * Fetching goes on while a batch is delivered, as AWS's poller keeps reading during an invocation:
   * records that arrive meanwhile start their batching window when they arrive, so the next batch can
   * go as soon as this one is done, instead of waiting a whole window after it. Deliveries of one
   * partition stay one at a time, and fetching pauses once the next batch is ready.
   */
  private async consume(partition: number, reader: PartitionReader): Promise<void> {
    let position = await this.startOffset(reader, partition);
    let buffered = EMPTY_BUFFER;
    let delivery: Promise<void> | undefined;
    let delivered = false;
    try {
      while (this.running) {
        if (delivery && (delivered || isReady(this.limits, buffered, Date.now()))) {
          // Done (its error, if any, surfaces here), or the next batch is ready and must wait its turn.
          await delivery;
          delivery = undefined;
          continue;
        }
        if (!delivery && isReady(this.limits, buffered, Date.now())) {
          const { records, rest } = takeBatch(this.limits, buffered);
          buffered = reopenWindow(this.limits, rest, Date.now());
          delivered = false;
          delivery = this.deliver(partition, records, reader).finally(() => {
            delivered = true;
          });
          // A failure is awaited above; until then it must not count as unhandled.
          delivery.catch(() => undefined);
          continue;
        }
        let fetched: KafkaRecord[];
        try {
          // The wait ends by the buffered batch's deadline, so a delivery that ends meanwhile holds up
          // nothing: with nothing buffered there is nothing to deliver next anyway.
          fetched = await reader.fetch(position, fetchWaitMs(buffered, Date.now(), IDLE_WAIT_MS));
        } catch (error) {
          if (error instanceof KafkaResponseError && error.code === ErrorCode.OFFSET_OUT_OF_RANGE) {
            if (delivery) await delivery;
            delivery = undefined;
            const start = await reader.listOffset(EARLIEST);
            this.log(
              `${this.spec.name}: ${this.spec.topic}-${partition}: offset ${position} is gone (retention); resuming at ${start}`,
            );
            position = start;
            buffered = EMPTY_BUFFER;
            continue;
          }
          throw error;
        }
        this.sourceAnswered();
        if (fetched.length === 0) continue;
        buffered = addFetched(this.limits, buffered, fetched, Date.now());
        position = fetched[fetched.length - 1].offset + 1;
        if (this.listenerCount('fetched') > 0) {
          const notice: FetchNotice = { partition, nextOffset: position, buffered: buffered.records.length };
          this.emit('fetched', notice);
        }
      }
    } finally {
      // Stopping, or failed: the batch in flight ends first (it returns early once the poller stops).
      if (delivery) await delivery.catch(() => undefined);
    }
  }

  /**
   * Delivers one batch until the delivery policy is done with it, carrying out what it decides:
   * invocations, commits, records for the on-failure destination, pauses before retries. Returns
   * early when the poller stops; what was not committed comes again next time.
   */
  private async deliver(partition: number, records: KafkaRecord[], reader: PartitionReader): Promise<void> {
    const end = records[records.length - 1].offset + 1;
    const matched = this.filter ? records.filter((r) => this.filter!(r.value)) : records;
    this.stats.recordsFiltered += records.length - matched.length;
    const events = matched.map((r) => eventRecord(this.spec.topic, partition, r));
    let step: Step = plan(this.rules, startDelivery(events, end), Date.now());
    // Once a part is split, every part after it in this delivery is a half of it (or of a half).
    let bisected = false;
    for (;;) {
      for (const effect of step.effects) {
        if (effect.kind === 'commit') await this.commit(reader, partition, effect.offset);
        else await this.toDestination(effect.failed);
      }
      const { then } = step;
      if (then.kind === 'done') return;
      if (then.kind === 'invoke') {
        const at = Date.now();
        const attempt = (step.delivery.parts[0]?.attempts ?? 0) + 1;
        const outcome = await this.invoke(then.records);
        if (!this.running) return;
        const before = step.delivery.parts.length;
        const reaction = this.react(step.delivery, outcome);
        this.reportBatch(at, then.records, outcome, reaction, attempt, bisected);
        step = reaction;
        if (step.delivery.parts.length > before) bisected = true;
        continue;
      }
      if (then.kind === 'wait') await sleep(then.ms);
      if (!this.running) return;
      step = plan(this.rules, step.delivery, Date.now());
    }
  }

  private invoke(records: readonly EventRecord[]): Promise<InvokeOutcome> {
    const [first] = records;
    const event = kafkaEvent(this.spec.source, { [`${this.spec.topic}-${first.partition}`]: [...records] });
    this.stats.invocations++;
    const notice: InvokeNotice = {
      partition: first.partition,
      records: records.length,
      firstTimestamp: first.timestamp,
      invokedAt: Date.now(),
    };
    this.emit('invoke', notice);
    return this.target.invoke(event);
  }

  /** Emits `batch` for an invocation and what the policy made of it, when someone listens. */
  private reportBatch(
    at: number,
    records: readonly EventRecord[],
    outcome: InvokeOutcome,
    reaction: Reaction,
    attempt: number,
    bisected: boolean,
  ): void {
    if (this.listenerCount('batch') === 0) return;
    const sent = reaction.effects.find((e) => e.kind === 'destination');
    const failedWhole = !outcome.ok;
    const kind: BatchOutcome = sent
      ? this.options.onFailure
        ? 'dead-letter'
        : 'dropped'
      : reaction.functionError === 'PartialBatchFailure'
        ? 'partial'
        : failedWhole
          ? 'error'
          : 'ok';
    const error = !outcome.ok
      ? `${outcome.error.errorType}: ${outcome.error.errorMessage}`
      : reaction.functionError
        ? reaction.unknownItem
          ? `batchItemFailures names a record not in the batch`
          : `batchItemFailures from offset ${records[reaction.delivered]?.offset ?? records[0].offset}`
        : undefined;
    const notice: BatchNotice = {
      at,
      topic: this.spec.topic,
      partition: records[0].partition,
      records,
      bytes: recordBytes(records),
      durationMs: outcome.durationMs,
      outcome: kind,
      attempt,
      bisected,
      ...(error ? { error } : {}),
      ...(sent?.kind === 'destination' ? { condition: sent.failed.condition } : {}),
    };
    this.emit('batch', notice);
  }

  /** The policy's reaction to an invocation's outcome, counted and logged. */
  private react(delivery: Delivery, outcome: InvokeOutcome): Reaction {
    const reaction = react(this.rules, delivery, outcome);
    if (reaction.unknownItem) {
      this.log(
        `${this.spec.name}: batchItemFailures names ${JSON.stringify(reaction.unknownItem.identifier)}, not in the batch: retrying it whole`,
      );
    }
    if (!outcome.ok) {
      this.log(
        `${this.spec.name}: ${this.spec.functionName} failed (${outcome.kind}): ${outcome.error.errorMessage}`,
      );
    }
    if (reaction.functionError) this.stats.functionErrors++;
    this.stats.recordsDelivered += reaction.delivered;
    return reaction;
  }

  /** Writes failed records to the on-failure destination, retrying until it takes them; without one they are dropped. */
  private async toDestination(failed: FailedRecords): Promise<void> {
    const writer = this.options.onFailure;
    const { records, condition } = failed;
    const first = records[0];
    const where = `${this.spec.topic}-${first.partition} offsets ${first.offset}..${records[records.length - 1].offset}`;
    if (condition === 'RecordAgeExceeded' && this.listenerCount('batch') > 0) {
      // Sent on before any invocation: no other batch notice tells of these records.
      this.emit('batch', {
        at: Date.now(),
        topic: this.spec.topic,
        partition: first.partition,
        records,
        bytes: recordBytes(records),
        durationMs: 0,
        outcome: writer ? 'dead-letter' : 'dropped',
        attempt: failed.approximateInvokeCount,
        bisected: false,
        condition,
      } satisfies BatchNotice);
    }
    if (!writer) {
      this.stats.recordsDropped += records.length;
      this.log(`${this.spec.name}: ${condition}: ${where} discarded (no on-failure destination)`);
      return;
    }
    const batch: FailedBatch = { ...failed, functionArn: this.spec.functionArn, source: this.spec.source };

    for (let backoff = 100; ; backoff = Math.min(backoff * 2, 5000)) {
      try {
        await writer.write(batch, randomUUID());
        break;
      } catch (error) {
        if (!this.running) throw error;
        this.log(
          `${this.spec.name}: on-failure destination ${writer.describe()}: ${(error as Error).message}; retrying`,
        );
        await sleep(backoff);
      }
    }
    this.stats.recordsToDestination += records.length;
    this.log(`${this.spec.name}: ${condition}: ${where} sent to ${writer.describe()}`);
  }
}
