/**
 * The local event source mapping: reads one topic as the mapping's consumer group and invokes the
 * function with batches, following AWS's documented behaviour for Kafka mappings.
 *
 * - Each partition is polled on its own connection and delivered in order; batches of one partition
 *   never overlap, and a partition stuck on a failing batch does not hold up the others.
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
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { FetchSchema } from '../../broker/protocol/messages/01-fetch';
import { ListOffsetsSchema } from '../../broker/protocol/messages/02-list-offsets';
import { MetadataSchema } from '../../broker/protocol/messages/03-metadata';
import { OffsetCommitSchema } from '../../broker/protocol/messages/08-offset-commit';
import { OffsetFetchSchema } from '../../broker/protocol/messages/09-offset-fetch';
import { FindCoordinatorSchema } from '../../broker/protocol/messages/10-find-coordinator';
import { ErrorCode, errorName } from '../../broker/protocol/errors';
import type { Struct } from '../../broker/protocol/message-codec';
import { WireClient } from '../kafka/wire-client';
import { decodeRecords, type KafkaRecord } from '../kafka/records';
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
  readonly bootstrapServers: readonly string[];
  readonly onFailure?: OnFailureWriter;
  /** Invocation payload cap in bytes. @default 6 MB */
  readonly maxPayloadBytes?: number;
  /** How often to look for new partitions. @default 5000 ms */
  readonly metadataIntervalMs?: number;
  /** Longest pause between retries of a failing batch. @default 2000 ms */
  readonly maxRetryBackoffMs?: number;
  readonly log?: (message: string) => void;
}

const SIX_MB = 6 * 1024 * 1024;
/** Long-poll wait while a partition has nothing buffered. */
const IDLE_WAIT_MS = 500;
/** Bytes asked per fetch. */
const FETCH_BYTES = 1 << 20;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

class KafkaError extends Error {
  constructor(
    readonly code: number,
    what: string,
  ) {
    super(`${what}: ${errorName(code)}`);
  }
}

interface BufferedRecord {
  readonly record: KafkaRecord;
  /** Its estimated size in the invocation event. */
  readonly bytes: number;
}

interface Broker {
  readonly address: string;
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
  private discovery: Promise<void> | undefined;
  private readonly log: (message: string) => void;
  private wakeDiscovery: (() => void) | undefined;

  constructor(
    readonly spec: MappingSpec,
    private readonly target: MappingTarget,
    private readonly options: MappingPollerOptions,
  ) {
    super();
    this.filter = compileFilters(spec.filters);
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
    this.discovery = this.discover();
  }

  /** Stops polling; an invocation in flight is not committed, so its batch comes again next time. */
  async stop(): Promise<void> {
    this.running = false;
    this.wakeDiscovery?.();
    for (const c of this.clients) c.close();
    await this.discovery;
    await Promise.all(this.workers.values());
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

  /** Any reachable bootstrap server. */
  private async bootstrapClient(): Promise<WireClient> {
    let last: unknown;
    for (const address of this.options.bootstrapServers) {
      try {
        return await this.connect(address);
      } catch (error) {
        last = error;
      }
    }
    throw last;
  }

  private async metadata(
    client: WireClient,
  ): Promise<{ brokers: Map<number, Broker>; partitions: Map<number, number> }> {
    const res = await client.request(MetadataSchema, 8, {
      Topics: [{ Name: this.spec.topic }],
      AllowAutoTopicCreation: false,
    });
    const brokers = new Map<number, Broker>();
    for (const b of res.Brokers as Struct[])
      brokers.set(b.NodeId as number, { address: `${String(b.Host)}:${String(b.Port)}` });
    const partitions = new Map<number, number>();
    const topic = (res.Topics as Struct[])[0];
    if (topic && topic.ErrorCode === ErrorCode.NONE) {
      for (const p of topic.Partitions as Struct[])
        partitions.set(p.PartitionIndex as number, p.LeaderId as number);
    }
    return { brokers, partitions };
  }

  private async discover(): Promise<void> {
    let reported = false;
    while (this.running) {
      let client: WireClient | undefined;
      try {
        client = await this.bootstrapClient();
        const { partitions } = await this.metadata(client);
        if (partitions.size === 0 && !reported) {
          this.log(`${this.spec.name}: topic ${this.spec.topic} does not exist yet; waiting for it`);
          reported = true;
        }
        for (const partition of partitions.keys()) {
          if (!this.workers.has(partition)) this.workers.set(partition, this.pollPartition(partition));
        }
      } catch (error) {
        if (this.running) this.log(`${this.spec.name}: metadata: ${(error as Error).message}`);
      } finally {
        this.release(client);
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.metadataIntervalMs ?? 5000);
        this.wakeDiscovery = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Connections one partition needs: its leader and the group coordinator. */
  private async partitionClients(
    partition: number,
  ): Promise<{ leader: WireClient; coordinator: WireClient }> {
    const boot = await this.bootstrapClient();
    try {
      const { brokers, partitions } = await this.metadata(boot);
      const leader = brokers.get(partitions.get(partition) ?? -1);
      if (!leader) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `${this.spec.topic}-${partition}`);
      const found = await boot.request(FindCoordinatorSchema, 2, {
        Key: this.spec.consumerGroupId,
        KeyType: 0,
      });
      if (found.ErrorCode !== ErrorCode.NONE)
        throw new KafkaError(found.ErrorCode as number, 'FindCoordinator');
      const coordinatorAddress = `${String(found.Host)}:${String(found.Port)}`;
      const leaderClient = await this.connect(leader.address);
      const coordinator =
        coordinatorAddress === leader.address ? leaderClient : await this.connect(coordinatorAddress);
      return { leader: leaderClient, coordinator };
    } finally {
      this.release(boot);
    }
  }

  private async committedOffset(coordinator: WireClient, partition: number): Promise<number> {
    const res = await coordinator.request(OffsetFetchSchema, 5, {
      GroupId: this.spec.consumerGroupId,
      Topics: [{ Name: this.spec.topic, PartitionIndexes: [partition] }],
    });
    if (res.ErrorCode !== ErrorCode.NONE) throw new KafkaError(res.ErrorCode as number, 'OffsetFetch');
    const p = ((res.Topics as Struct[])[0]?.Partitions as Struct[] | undefined)?.[0];
    if (p && p.ErrorCode !== ErrorCode.NONE) throw new KafkaError(p.ErrorCode as number, 'OffsetFetch');
    return p ? Number(p.CommittedOffset) : -1;
  }

  /** The offset for a ListOffsets timestamp: -2 earliest, -1 latest, else the first at or after it. */
  private async listOffset(leader: WireClient, partition: number, timestamp: number): Promise<number> {
    const res = await leader.request(ListOffsetsSchema, 5, {
      ReplicaId: -1,
      IsolationLevel: 0,
      Topics: [
        { Name: this.spec.topic, Partitions: [{ PartitionIndex: partition, Timestamp: BigInt(timestamp) }] },
      ],
    });
    const p = ((res.Topics as Struct[])[0].Partitions as Struct[])[0];
    if (p.ErrorCode !== ErrorCode.NONE) throw new KafkaError(p.ErrorCode as number, 'ListOffsets');
    const offset = Number(p.Offset);
    // No record at or after the timestamp: start at the end.
    return offset < 0 ? this.listOffset(leader, partition, -1) : offset;
  }

  private async commit(coordinator: WireClient, partition: number, offset: number): Promise<void> {
    const res = await coordinator.request(OffsetCommitSchema, 7, {
      GroupId: this.spec.consumerGroupId,
      GenerationIdOrMemberEpoch: -1,
      MemberId: '',
      GroupInstanceId: null,
      Topics: [
        {
          Name: this.spec.topic,
          Partitions: [
            {
              PartitionIndex: partition,
              CommittedOffset: BigInt(offset),
              CommittedLeaderEpoch: -1,
              CommittedMetadata: null,
            },
          ],
        },
      ],
    });
    const code = ((res.Topics as Struct[])[0].Partitions as Struct[])[0].ErrorCode as number;
    if (code !== ErrorCode.NONE)
      throw new KafkaError(code, `OffsetCommit ${this.spec.topic}-${partition}@${offset}`);
    this.stats.committed.set(partition, offset);
  }

  private async fetch(leader: WireClient, partition: number, offset: number, maxWaitMs: number) {
    const res = await leader.request(FetchSchema, 11, {
      ReplicaId: -1,
      MaxWaitMs: Math.max(0, Math.round(maxWaitMs)),
      MinBytes: 1,
      MaxBytes: FETCH_BYTES,
      IsolationLevel: 0,
      SessionId: 0,
      SessionEpoch: -1,
      Topics: [
        {
          Topic: this.spec.topic,
          Partitions: [
            {
              Partition: partition,
              CurrentLeaderEpoch: -1,
              FetchOffset: BigInt(offset),
              LogStartOffset: -1n,
              PartitionMaxBytes: FETCH_BYTES,
            },
          ],
        },
      ],
      ForgottenTopicsData: [],
      RackId: '',
    });
    if ((res.ErrorCode as number) !== ErrorCode.NONE) throw new KafkaError(res.ErrorCode as number, 'Fetch');
    const p = ((res.Responses as Struct[])[0].Partitions as Struct[])[0];
    if (p.ErrorCode !== ErrorCode.NONE)
      throw new KafkaError(p.ErrorCode as number, `Fetch ${this.spec.topic}-${partition}@${offset}`);
    const bytes = p.Records as Buffer | null;
    const records = bytes && bytes.length > 0 ? decodeRecords(bytes).filter((r) => r.offset >= offset) : [];
    return records;
  }

  /** The whole life of one partition: connect, find the start, then fetch, batch, invoke, commit. */
  private async pollPartition(partition: number): Promise<void> {
    let backoff = 100;
    while (this.running) {
      let clients: { leader: WireClient; coordinator: WireClient } | undefined;
      try {
        clients = await this.partitionClients(partition);
        await this.consume(partition, clients.leader, clients.coordinator);
        backoff = 100;
      } catch (error) {
        if (!this.running) break;
        this.log(
          `${this.spec.name}: ${this.spec.topic}-${partition}: ${(error as Error).message}; reconnecting`,
        );
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      } finally {
        if (clients) {
          this.release(clients.leader);
          this.release(clients.coordinator);
        }
      }
    }
  }

  private async startOffset(leader: WireClient, coordinator: WireClient, partition: number): Promise<number> {
    const committed = await this.committedOffset(coordinator, partition);
    if (committed >= 0) return committed;
    const { startingPosition, startingTimestampMs } = this.spec;
    const offset =
      startingPosition === 'TRIM_HORIZON'
        ? await this.listOffset(leader, partition, -2)
        : startingPosition === 'LATEST'
          ? await this.listOffset(leader, partition, -1)
          : await this.listOffset(leader, partition, startingTimestampMs ?? 0);
    // Committed at once, so a restart resumes here (LATEST would otherwise move on).
    await this.commit(coordinator, partition, offset);
    return offset;
  }

  private async consume(partition: number, leader: WireClient, coordinator: WireClient): Promise<void> {
    let position = await this.startOffset(leader, coordinator, partition);
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
        committed = await this.deliver(partition, take.records, coordinator, committed);
        if (buffer.length > 0) deadline = Date.now() + this.spec.batchWindowMs;
        continue;
      }
      const wait = buffer.length === 0 ? IDLE_WAIT_MS : deadline - Date.now();
      let fetched;
      try {
        fetched = await this.fetch(leader, partition, position, wait);
      } catch (error) {
        if (error instanceof KafkaError && error.code === ErrorCode.OFFSET_OUT_OF_RANGE) {
          const start = await this.listOffset(leader, partition, -2);
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
    coordinator: WireClient,
    committed: number,
  ): Promise<number> {
    const end = records[records.length - 1].offset + 1;
    const matched = this.filter ? records.filter((r) => this.filter!(r.value)) : records;
    this.stats.recordsFiltered += records.length - matched.length;
    if (matched.length > 0) {
      const events = matched.map((r) => eventRecord(this.spec.topic, partition, r));
      const done = await this.process(events, { attempts: 0 }, async (offset) => {
        await this.commit(coordinator, partition, offset);
        committed = offset;
      });
      if (!done) return committed; // stopping: leave the rest for next time
    }
    await this.commit(coordinator, partition, end);
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
