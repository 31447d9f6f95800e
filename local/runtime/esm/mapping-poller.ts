/**
 * The local event source mapping: reads one topic as the mapping's consumer group and invokes the
 * function with batches, following AWS's documented behaviour for Kafka mappings.
 *
 * - Each partition is polled on its own connections and delivered in order; batches of one partition
 *   never overlap, and a partition stuck on a failing batch does not hold up the others.
 * - Each partition reads from its leader and commits to the group's coordinator, both found through
 *   Metadata and FindCoordinator and found again when they move (kafka/partition-reader.ts), so the
 *   poller keeps going on a cluster of several brokers whose nodes stop and restart.
 * - A batch is sent when it holds BatchSize records, when the event would pass 6 MB, or when the
 *   batching window (counted from the first record buffered) runs out.
 * - Offsets are committed to the group only after the function succeeded (filtered-out records are
 *   committed too). Commits are made as a standalone consumer (generation -1): the poller owns every
 *   partition, so the group shows committed offsets and lag but no members.
 * - On-demand mode retries a failing batch until it succeeds, blocking that partition. Provisioned
 *   mode adds retry attempts, bisecting, ReportBatchItemFailures, maximum record age and the
 *   on-failure destination.
 * - ReportBatchItemFailures: AWS does not document where a Kafka mapping resumes after a partial
 *   failure; this poller follows Kinesis's rule: commit below the lowest failed offset and retry from
 *   it. An identifier that is not in the batch fails the whole batch.
 *
 * Differences from AWS, on purpose: one invocation holds one partition's records (AWS may mix
 * partitions); polling starts at once (AWS takes minutes); records compressed with snappy, lz4 or
 * zstd cannot be read (gzip and none can).
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
import { ClusterView, type Connections } from '../kafka/cluster-view';
import { PartitionReader } from '../kafka/partition-reader';
import type { KafkaRecord } from '../kafka/records';
import { KafkaResponseError, WireClient } from '../kafka/wire-client';
import type { InvokeOutcome } from '../lambda/function-pool';
import { estimatedEventBytes, eventRecord, kafkaEvent, type EventRecord, type EventSource } from './event';
import { compileFilters, type RecordFilter } from './filter';
import type { FailedBatch, FailureCondition, OnFailureWriter } from './on-failure';

export type StartingPosition = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';

/** A mapping as the template declares it, defaults applied. */
export interface MappingSpec {
  /** Logical id or another name for messages. */
  readonly name: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly topic: string;
  readonly consumerGroupId: string;
  readonly batchSize: number;
  readonly batchWindowMs: number;
  readonly startingPosition: StartingPosition;
  /** Epoch ms, for AT_TIMESTAMP. */
  readonly startingTimestampMs?: number;
  readonly filters: readonly string[];
  /** Provisioned pollers unlock the retry and failure options below. */
  readonly provisioned: boolean;
  /** -1: until success (capped at 10 when an on-failure destination is set, as AWS does). */
  readonly retryAttempts: number;
  readonly bisectBatchOnError: boolean;
  /** -1: no limit. */
  readonly maxRecordAgeSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly source: EventSource;
}

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
}

const SIX_MB = 6 * 1024 * 1024;
/** Long-poll wait while a partition has nothing buffered. */
const IDLE_WAIT_MS = 500;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface BufferedRecord {
  readonly record: KafkaRecord;
  /** Its estimated size in the invocation event. */
  readonly bytes: number;
}

/** Emitted as `invoke` before each invocation, for benchmarks and live views. */
export interface InvokeNotice {
  readonly partition: number;
  readonly records: number;
  /** Timestamp of the batch's first record (when it was produced). */
  readonly firstTimestamp: number;
  readonly invokedAt: number;
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

  constructor(
    readonly spec: MappingSpec,
    private readonly target: MappingTarget,
    private readonly options: MappingPollerOptions,
  ) {
    super();
    this.filter = compileFilters(spec.filters);
    this.bootstrapServers = options.bootstrapServers;
    this.log = options.log ?? (() => undefined);
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
    const client = await WireClient.open(address, `kw-esm-${this.spec.consumerGroupId}`);
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
        const { partitions } = await cluster.topic(this.spec.topic);
        if (partitions.size === 0) report(`topic ${this.spec.topic} does not exist yet; waiting for it`);
        else reported = undefined;
        for (const partition of partitions.keys()) {
          if (!this.workers.has(partition))
            this.workers.set(partition, this.pollPartition(cluster, partition));
        }
      } catch (error) {
        if (this.running) report(`metadata: ${(error as Error).message}`);
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
    const committed = await reader.committedOffset();
    if (committed >= 0) return committed;
    const { startingPosition, startingTimestampMs } = this.spec;
    let offset =
      startingPosition === 'TRIM_HORIZON'
        ? await reader.listOffset(-2)
        : startingPosition === 'LATEST'
          ? await reader.listOffset(-1)
          : await reader.listOffset(startingTimestampMs ?? 0);
    // No record at or after the timestamp: start at the end.
    if (offset < 0) offset = await reader.listOffset(-1);
    // Committed at once, so a restart resumes here (LATEST would otherwise move on).
    await this.commit(reader, partition, offset);
    return offset;
  }

  private async consume(partition: number, reader: PartitionReader): Promise<void> {
    let position = await this.startOffset(reader, partition);
    let committed = position;
    // Each record with its estimated size in the event, worked out once when it is buffered.
    const buffer: BufferedRecord[] = [];
    let bufferedBytes = 0;
    let deadline = 0;
    const cap = this.options.maxPayloadBytes ?? SIX_MB;
    while (this.running) {
      const full = buffer.length >= this.spec.batchSize || bufferedBytes >= cap;
      const due = buffer.length > 0 && Date.now() >= deadline;
      if (full || due) {
        const take = this.takeBatch(buffer, cap);
        bufferedBytes -= take.bytes;
        committed = await this.deliver(partition, take.records, reader, committed);
        if (buffer.length > 0) deadline = Date.now() + this.spec.batchWindowMs;
        continue;
      }
      const wait = buffer.length === 0 ? IDLE_WAIT_MS : deadline - Date.now();
      let fetched;
      try {
        fetched = await reader.fetch(position, wait);
      } catch (error) {
        if (error instanceof KafkaResponseError && error.code === ErrorCode.OFFSET_OUT_OF_RANGE) {
          const start = await reader.listOffset(-2);
          this.log(
            `${this.spec.name}: ${this.spec.topic}-${partition}: offset ${position} is gone (retention); resuming at ${start}`,
          );
          position = start;
          buffer.length = 0;
          bufferedBytes = 0;
          continue;
        }
        throw error;
      }
      if (fetched.length === 0) continue;
      if (buffer.length === 0) deadline = Date.now() + this.spec.batchWindowMs;
      for (const record of fetched) {
        const bytes = estimatedEventBytes(record);
        buffer.push({ record, bytes });
        bufferedBytes += bytes;
      }
      position = fetched[fetched.length - 1].offset + 1;
    }
  }

  /** The next batch: up to BatchSize records whose event stays under the payload cap. */
  private takeBatch(buffer: BufferedRecord[], cap: number): { records: KafkaRecord[]; bytes: number } {
    let bytes = 200;
    let count = 0;
    while (count < buffer.length && count < this.spec.batchSize) {
      const size = buffer[count].bytes;
      if (count > 0 && bytes + size > cap) break;
      bytes += size;
      count++;
    }
    return { records: buffer.splice(0, count).map((b) => b.record), bytes: bytes - 200 };
  }

  /** Delivers one batch until it is done with; resolves to the new committed offset. */
  private async deliver(
    partition: number,
    records: KafkaRecord[],
    reader: PartitionReader,
    committed: number,
  ): Promise<number> {
    const end = records[records.length - 1].offset + 1;
    const matched = this.filter ? records.filter((r) => this.filter!(r.value)) : records;
    this.stats.recordsFiltered += records.length - matched.length;
    if (matched.length > 0) {
      const events = matched.map((r) => eventRecord(this.spec.topic, partition, r));
      const done = await this.process(events, { attempts: 0 }, async (offset) => {
        await this.commit(reader, partition, offset);
        committed = offset;
      });
      if (!done) return committed; // stopping: leave the rest for next time
    }
    await this.commit(reader, partition, end);
    return end;
  }

  /**
   * Invokes the function with `records` until they are all handled: succeeded, or (provisioned mode)
   * sent to the on-failure destination. `commitBefore` records progress inside the batch after a
   * partial failure. Resolves false if the poller stopped first.
   */
  private async process(
    records: EventRecord[],
    retry: { attempts: number },
    commitBefore: (offset: number) => Promise<void>,
  ): Promise<boolean> {
    let batch = records;
    let backoff = 100;
    const { provisioned, retryAttempts, bisectBatchOnError, maxRecordAgeSeconds } = this.spec;
    const maxRetries = !provisioned
      ? -1
      : retryAttempts === -1 && this.options.onFailure
        ? 10
        : retryAttempts;
    while (this.running) {
      if (provisioned && maxRecordAgeSeconds >= 0) {
        const oldest = Date.now() - maxRecordAgeSeconds * 1000;
        const expired = batch.filter((r) => r.timestamp < oldest);
        if (expired.length > 0) {
          await this.toDestination(expired, 'RecordAgeExceeded', retry.attempts);
          batch = batch.filter((r) => r.timestamp >= oldest);
          if (batch.length === 0) return true;
        }
      }
      const event = kafkaEvent(this.spec.source, { [`${this.spec.topic}-${batch[0].partition}`]: batch });
      this.stats.invocations++;
      retry.attempts++;
      const notice: InvokeNotice = {
        partition: batch[0].partition,
        records: batch.length,
        firstTimestamp: batch[0].timestamp,
        invokedAt: Date.now(),
      };
      this.emit('invoke', notice);
      const outcome = await this.target.invoke(event);
      if (!this.running) return false;
      let failedFrom: number | undefined;
      let functionError = 'Unhandled';
      if (outcome.ok) {
        const partial = this.spec.reportBatchItemFailures
          ? this.firstFailedOffset(batch, outcome.payload)
          : undefined;
        if (partial === undefined) {
          this.stats.recordsDelivered += batch.length;
          return true;
        }
        failedFrom = partial;
        functionError = 'PartialBatchFailure';
      } else {
        this.log(
          `${this.spec.name}: ${this.spec.functionName} failed (${outcome.kind}): ${outcome.error.errorMessage}`,
        );
      }
      this.stats.functionErrors++;
      if (failedFrom !== undefined && failedFrom > batch[0].offset) {
        // Records before the first failed one succeeded: commit them and retry from there.
        const done = batch.filter((r) => r.offset < failedFrom);
        this.stats.recordsDelivered += done.length;
        await commitBefore(failedFrom);
        batch = batch.filter((r) => r.offset >= failedFrom);
      }
      if (provisioned && bisectBatchOnError && batch.length > 1 && failedFrom === undefined) {
        return this.bisect(batch, commitBefore);
      }
      if (maxRetries >= 0 && retry.attempts - 1 >= maxRetries) {
        await this.toDestination(batch, 'RetryAttemptsExhausted', retry.attempts, functionError);
        return true;
      }
      await sleep(backoff);
      backoff = Math.min(backoff * 2, this.options.maxRetryBackoffMs ?? 2000);
    }
    return false;
  }

  /** Splits a failing batch and handles each half in order; splitting does not use up retries. */
  private async bisect(
    batch: EventRecord[],
    commitBefore: (offset: number) => Promise<void>,
  ): Promise<boolean> {
    const half = Math.ceil(batch.length / 2);
    // As for Kinesis (AWS documents no Kafka-specific rule): splitting does not count towards the
    // retry quota, so each half gets its own retries.
    if (!(await this.process(batch.slice(0, half), { attempts: 0 }, commitBefore))) return false;
    await commitBefore(batch[half].offset);
    return this.process(batch.slice(half), { attempts: 0 }, commitBefore);
  }

  /** The lowest offset the response reports as failed; undefined when the batch succeeded. */
  private firstFailedOffset(batch: EventRecord[], payload: unknown): number | undefined {
    const failures = (payload as { batchItemFailures?: unknown } | null)?.batchItemFailures;
    if (!Array.isArray(failures) || failures.length === 0) return undefined;
    const key = `${this.spec.topic}-${batch[0].partition}`;
    let lowest = Infinity;
    for (const f of failures) {
      const id = (f as { itemIdentifier?: { partition?: unknown; offset?: unknown } })?.itemIdentifier;
      const offset = Number(id?.offset);
      if (id?.partition !== key || !batch.some((r) => r.offset === offset)) {
        this.log(
          `${this.spec.name}: batchItemFailures names ${JSON.stringify(id)}, not in the batch: retrying it whole`,
        );
        return batch[0].offset;
      }
      lowest = Math.min(lowest, offset);
    }
    return lowest;
  }

  private async toDestination(
    records: EventRecord[],
    condition: FailureCondition,
    invokeCount: number,
    functionError?: string,
  ): Promise<void> {
    const writer = this.options.onFailure;
    const first = records[0];
    const where = `${this.spec.topic}-${first.partition} offsets ${first.offset}..${records[records.length - 1].offset}`;
    if (!writer) {
      this.stats.recordsDropped += records.length;
      this.log(`${this.spec.name}: ${condition}: ${where} discarded (no on-failure destination)`);
      return;
    }
    const batch: FailedBatch = {
      records,
      condition,
      functionArn: this.spec.functionArn,
      approximateInvokeCount: invokeCount,
      functionError,
      source: this.spec.source,
    };
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
