/**
 * One partition of one topic, read on behalf of one consumer group: Fetch and ListOffsets go to the
 * partition's leader, OffsetFetch and OffsetCommit to the group's coordinator, each on a connection of
 * its own (a broker handles one request per connection at a time, so a commit would otherwise wait
 * behind a long-polling Fetch).
 *
 * Leaders and coordinators move: a broker stops or restarts, the controller elects another leader,
 * the offsets topic's partition moves with it. This reader finds the new one and repeats the request,
 * reacting to the errors Kafka's own consumer treats as "ask again" (see kafka-replication.md §3, §5):
 * - leader side: NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION (a broker
 *   that has not heard of the partition yet), REPLICA_NOT_AVAILABLE, KAFKA_STORAGE_ERROR, the two
 *   leader-epoch errors, OFFSET_NOT_AVAILABLE (a new leader that does not know its high watermark yet),
 *   REQUEST_TIMED_OUT or a lost connection: ask Metadata again, connect to the leader it names;
 * - coordinator side: NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS (a new
 *   coordinator still reading the offsets topic), UNKNOWN_TOPIC_OR_PARTITION, REQUEST_TIMED_OUT or a
 *   lost connection: ask FindCoordinator again.
 * A commit is retried like the rest: writing the same offset twice is harmless, while giving up would
 * deliver records again that the function already handled. Attempts are spaced 100 ms, doubling to
 * 2 s, and go on until they succeed or the owner aborts; any other error goes to the caller.
 * The first failure of a spell and the recovery from it are logged, not every attempt.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode } from '../../kafka/errors';
import { FetchSchema } from '../../kafka/messages/01-fetch';
import { ListOffsetsSchema } from '../../kafka/messages/02-list-offsets';
import { OffsetCommitSchema } from '../../kafka/messages/08-offset-commit';
import { OffsetFetchSchema } from '../../kafka/messages/09-offset-fetch';
import type { BrokerAddress, ClusterView, Connections } from './cluster-view';
import { decodeRecords, type KafkaRecord } from './records';
import { KafkaConnectionError, KafkaResponseError, REQUEST_TIMEOUT_MS, type WireClient } from './wire-client';

const LEADER_MOVED: ReadonlySet<number> = new Set([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.OFFSET_NOT_AVAILABLE,
  ErrorCode.REQUEST_TIMED_OUT,
]);

const COORDINATOR_MOVED: ReadonlySet<number> = new Set([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.REQUEST_TIMED_OUT,
]);

/** Bytes asked per fetch. */
const FETCH_BYTES = 1 << 20;

export interface PartitionReaderOptions {
  readonly topic: string;
  readonly partition: number;
  /** The consumer group whose offsets are read and committed. */
  readonly group: string;
  readonly cluster: ClusterView;
  readonly connections: Connections;
  /** Ends every wait and retry when aborted. */
  readonly signal: AbortSignal;
  readonly log: (message: string) => void;
  /** Longest pause between attempts. @default 2000 ms */
  readonly maxBackoffMs?: number;
}

/** The broker one side talks to, found again when it moves. */
class Route {
  current: (BrokerAddress & { client: WireClient }) | undefined;
  /** The node that answered the last request that succeeded. */
  servedBy: number | undefined;
  /** Whether requests have been failing since the last one that succeeded. */
  troubled = false;

  constructor(
    readonly role: 'leader' | 'coordinator',
    readonly subject: string,
    readonly moved: ReadonlySet<number>,
    private readonly locate: () => Promise<BrokerAddress>,
    private readonly connections: Connections,
  ) {}

  async connection(): Promise<BrokerAddress & { client: WireClient }> {
    if (this.current?.client.closed) {
      // Closed while idle (the broker stopped): a failure like any other, so it is logged and retried.
      const { address } = this.current;
      this.drop();
      throw new KafkaConnectionError(`${address}: connection closed`);
    }
    if (this.current) return this.current;
    const broker = await this.locate();
    this.current = { ...broker, client: await this.connections.open(broker.address) };
    return this.current;
  }

  drop(): void {
    this.connections.release(this.current?.client);
    this.current = undefined;
  }

  canRetry(error: unknown): boolean {
    return (
      error instanceof KafkaConnectionError ||
      (error instanceof KafkaResponseError && this.moved.has(error.code))
    );
  }
}

export class PartitionReader {
  private readonly leader: Route;
  private readonly coordinator: Route;
  private readonly where: string;

  constructor(private readonly options: PartitionReaderOptions) {
    const { topic, partition, group, cluster, connections } = options;
    this.where = `${topic}-${partition}`;
    this.leader = new Route(
      'leader',
      this.where,
      LEADER_MOVED,
      async () => {
        const layout = await cluster.topic(topic);
        const p = layout.partitions.get(partition);
        if (!p) {
          const code =
            layout.errorCode === ErrorCode.NONE ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : layout.errorCode;
          throw new KafkaResponseError(code, `Metadata ${this.where}`);
        }
        const address = p.leader >= 0 ? cluster.address(p.leader) : undefined;
        // No leader yet, or one Metadata does not list among the live brokers: elected, not yet serving.
        if (!address) throw new KafkaResponseError(ErrorCode.LEADER_NOT_AVAILABLE, `Metadata ${this.where}`);
        return { nodeId: p.leader, address };
      },
      connections,
    );
    this.coordinator = new Route(
      'coordinator',
      `group ${group}`,
      COORDINATOR_MOVED,
      () => cluster.coordinator(group),
      connections,
    );
  }

  /** Records at and after `offset`, waiting up to `maxWaitMs` for some; OFFSET_OUT_OF_RANGE is thrown. */
  fetch(offset: number, maxWaitMs: number): Promise<KafkaRecord[]> {
    const wait = Math.max(0, Math.round(maxWaitMs));
    return this.send(this.leader, async (client) => {
      const res = await client.request(
        FetchSchema,
        11,
        {
          ReplicaId: -1,
          MaxWaitMs: wait,
          MinBytes: 1,
          MaxBytes: FETCH_BYTES,
          IsolationLevel: 0,
          SessionId: 0,
          SessionEpoch: -1,
          Topics: [
            {
              Topic: this.options.topic,
              Partitions: [
                {
                  Partition: this.options.partition,
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
        },
        wait + REQUEST_TIMEOUT_MS,
      );
      if (res.ErrorCode !== ErrorCode.NONE) throw new KafkaResponseError(res.ErrorCode, 'Fetch');
      const p = res.Responses[0].Partitions[0];
      if (p.ErrorCode !== ErrorCode.NONE)
        throw new KafkaResponseError(p.ErrorCode, `Fetch ${this.where}@${offset} from ${client.address}`);
      const bytes = p.Records;
      return bytes && bytes.length > 0 ? decodeRecords(bytes).filter((r) => r.offset >= offset) : [];
    });
  }

  /** The offset for a ListOffsets timestamp: -2 earliest, -1 latest, else the first at or after it (-1 if none). */
  listOffset(timestamp: number): Promise<number> {
    return this.send(this.leader, async (client) => {
      const res = await client.request(ListOffsetsSchema, 5, {
        ReplicaId: -1,
        IsolationLevel: 0,
        Topics: [
          {
            Name: this.options.topic,
            Partitions: [{ PartitionIndex: this.options.partition, Timestamp: BigInt(timestamp) }],
          },
        ],
      });
      const p = res.Topics[0].Partitions[0];
      if (p.ErrorCode !== ErrorCode.NONE)
        throw new KafkaResponseError(p.ErrorCode, `ListOffsets ${this.where} from ${client.address}`);
      return Number(p.Offset);
    });
  }

  /** The group's committed offset of this partition; -1 when it has none. */
  committedOffset(): Promise<number> {
    return this.send(this.coordinator, async (client) => {
      const res = await client.request(OffsetFetchSchema, 5, {
        GroupId: this.options.group,
        Topics: [{ Name: this.options.topic, PartitionIndexes: [this.options.partition] }],
      });
      if (res.ErrorCode !== ErrorCode.NONE)
        throw new KafkaResponseError(res.ErrorCode, `OffsetFetch from ${client.address}`);
      const p = res.Topics[0]?.Partitions?.[0];
      if (p && p.ErrorCode !== ErrorCode.NONE)
        throw new KafkaResponseError(p.ErrorCode, `OffsetFetch ${this.where} from ${client.address}`);
      return p ? Number(p.CommittedOffset) : -1;
    });
  }

  /**
   * Where the group resumes: its committed offset, else the offset `listOffset(timestamp)` gives (the
   * end when no record is at or after the timestamp), which is then committed at once so a restart
   * resumes there (LATEST would otherwise move on). `committed` says whether that commit was made.
   */
  async resumeOffset(timestamp: number): Promise<{ offset: number; committed: boolean }> {
    const stored = await this.committedOffset();
    if (stored >= 0) return { offset: stored, committed: false };
    let offset = await this.listOffset(timestamp);
    if (offset < 0) offset = await this.listOffset(-1);
    await this.commit(offset);
    return { offset, committed: true };
  }

  /**
   * Commits `offset` for the group, as a standalone consumer (generation -1, no member id): the
   * mapping owns every partition, so there is no group membership to keep.
   */
  commit(offset: number): Promise<void> {
    return this.send(this.coordinator, async (client) => {
      const res = await client.request(OffsetCommitSchema, 7, {
        GroupId: this.options.group,
        GenerationIdOrMemberEpoch: -1,
        MemberId: '',
        GroupInstanceId: null,
        Topics: [
          {
            Name: this.options.topic,
            Partitions: [
              {
                PartitionIndex: this.options.partition,
                CommittedOffset: BigInt(offset),
                CommittedLeaderEpoch: -1,
                CommittedMetadata: null,
              },
            ],
          },
        ],
      });
      const code = res.Topics[0].Partitions[0].ErrorCode;
      if (code !== ErrorCode.NONE)
        throw new KafkaResponseError(code, `OffsetCommit ${this.where}@${offset} to ${client.address}`);
    });
  }

  /** Closes both connections; the next request opens new ones. */
  close(): void {
    this.leader.drop();
    this.coordinator.drop();
  }

  private async send<T>(route: Route, request: (client: WireClient) => Promise<T>): Promise<T> {
    const { signal, log } = this.options;
    let backoff = 100;
    for (;;) {
      signal.throwIfAborted();
      try {
        const target = await route.connection();
        const result = await request(target.client);
        if (route.troubled) {
          const was = route.servedBy;
          const change =
            was === undefined
              ? `is node ${target.nodeId} (${target.address})`
              : was === target.nodeId
                ? `is node ${target.nodeId} (${target.address}) again`
                : `is now node ${target.nodeId} (${target.address}), was node ${was}`;
          log(`${route.subject}: ${route.role} ${change}`);
          route.troubled = false;
        }
        route.servedBy = target.nodeId;
        return result;
      } catch (error) {
        if (signal.aborted || !route.canRetry(error)) throw error;
        route.drop();
        if (!route.troubled) {
          route.troubled = true;
          log(`${route.subject}: ${(error as Error).message}; finding the ${route.role} again`);
        }
        await sleep(backoff, undefined, { signal });
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs ?? 2000);
      }
    }
  }
}
