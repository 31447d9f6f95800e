/**
 * The state one broker process serves: its brokers (one per listening port), topics with their
 * partitions, each partition's replicas (a log on each of their brokers) and who leads it. Handlers
 * read and change it; it knows nothing of the wire protocol.
 */
import { randomBytes } from 'node:crypto';
import { PartitionLog } from '../log/partition-log';
import { ReplicationController, type BrokerLiveness } from '../replication/controller';
import { Partition, type PartitionState } from '../replication/partition';
import { DataDir, DataDirError, type ClusterEntry } from '../storage/data-dir';
import { differingFromDefaults, resolveTopicConfigs, type TopicConfigs } from './topic-config';

export { Partition };

export interface BrokerInfo extends BrokerLiveness {
  readonly nodeId: number;
  /** Address clients are told to connect to (Metadata, FindCoordinator). */
  host: string;
  port: number;
}

export interface Topic {
  readonly name: string;
  readonly id: Buffer;
  readonly partitions: Partition[];
  readonly configs: TopicConfigs;
  /** Names of the configs set on the topic (DescribeConfigs' TOPIC_CONFIG source), default or not. */
  readonly overrides: Set<string>;
}

/** A topic request that cannot be honoured, with the Kafka error code to answer. */
export class TopicError extends Error {
  public override readonly name = 'TopicError';
  constructor(
    message: string,
    public readonly code: number,
  ) {
    super(message);
  }
}

/** Why `name` cannot name a topic (Kafka's rules), or undefined when it can. */
export function topicNameProblem(name: string): string | undefined {
  if (name === '') return 'a topic name cannot be empty';
  if (name === '.' || name === '..') return `a topic cannot be named "${name}"`;
  if (name.length > 249)
    return `topic name ${name.slice(0, 20)}... is ${name.length} characters long (at most 249)`;
  if (!/^[A-Za-z0-9._-]+$/.test(name))
    return `invalid topic name "${name}": use letters, digits, '.', '_' or '-'`;
  return undefined;
}

/** Kafka names a topic's metrics with '.' replaced by '_', so two names equal after that collide. */
const unifyCollisionChars = (name: string) => name.replaceAll('.', '_');

export interface ClusterOptions {
  /** Create unknown topics named in Metadata requests (when the client allows it). @default true */
  readonly autoCreateTopics?: boolean;
  /** Partitions of auto-created topics. @default 1 */
  readonly defaultPartitions?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
  /** Where topics and logs persist; none keeps everything in memory. */
  readonly storage?: DataDir;
  /** Replication factor of auto-created topics and of -1. @default min(3, brokers) */
  readonly defaultReplicationFactor?: number;
  /** replica.lag.time.max.ms @default 30000 */
  readonly replicaLagTimeMaxMs?: number;
  /** broker.session.timeout.ms: how long a paused broker keeps its partitions. @default 9000 */
  readonly brokerSessionTimeoutMs?: number;
  /** Apache Kafka 3.9's high-watermark rule under min.insync.replicas (see replication/partition.ts). @default true */
  readonly freezeHighWatermarkUnderMinIsr?: boolean;
}

/** Kafka's coordinator is the leader of one of 50 offsets-topic partitions (offsets.topic.num.partitions). */
const OFFSETS_TOPIC_PARTITIONS = 50;

export class Cluster {
  readonly clusterId = randomBytes(16).toString('base64url').slice(0, 22);
  readonly brokers: BrokerInfo[] = [];
  readonly topics = new Map<string, Topic>();
  readonly autoCreateTopics: boolean;
  readonly defaultPartitions: number;
  readonly now: () => number;
  /** Callbacks waiting for data on any partition (long-polling fetches). */
  private readonly dataWaiters = new Set<() => void>();
  readonly replication: ReplicationController;
  private readonly options: ClusterOptions;
  /** Leaders of the offsets-topic partitions groups hash to, once a group has asked (groupCoordinator). */
  private readonly offsetsLeaders = new Map<number, number>();

  readonly storage?: DataDir;
  /** Next idempotent-producer id, and the end of the block reserved in the journal. */
  private nextProducerId = 0n;
  private reservedProducerIds = 0n;

  constructor(options: ClusterOptions = {}) {
    this.autoCreateTopics = options.autoCreateTopics ?? true;
    this.defaultPartitions = options.defaultPartitions ?? 1;
    this.now = options.now ?? Date.now;
    this.storage = options.storage;
    this.options = options;
    this.replication = new ReplicationController({
      replicaLagTimeMaxMs: options.replicaLagTimeMaxMs ?? 30_000,
      brokerSessionTimeoutMs: options.brokerSessionTimeoutMs ?? 9_000,
      partitions: () => this.allPartitions(),
      brokers: () => this.brokers,
      notifyData: () => this.notifyData(),
    });
  }

  private *allPartitions(): Iterable<Partition> {
    for (const t of this.topics.values()) yield* t.partitions;
  }

  /** Replication factor of topics created without one. */
  get defaultReplicationFactor(): number {
    return Math.min(this.options.defaultReplicationFactor ?? 3, this.brokers.length);
  }

  /** Brokers that are not fenced: the ones Metadata lists and new replicas go to. */
  get liveBrokers(): BrokerInfo[] {
    return this.brokers.filter((b) => !b.fenced);
  }

  /** Whether partitions keep a log per replica in a folder per broker (more than one broker). */
  private get foldersPerBroker(): boolean {
    return this.brokers.length > 1;
  }

  /**
   * Rebuilds topics and logs from the data directory (after the brokers are added, since leadership
   * depends on them), then compacts the journal to the current state.
   */
  restore(): void {
    const storage = this.storage;
    if (!storage) return;
    // Fold the journal into the final state first, so a deleted incarnation of a topic name never
    // opens the folders or receives the log-start offsets of the topic now carrying that name.
    const plan = new Map<
      string,
      {
        id: string;
        partitions: number;
        configs: TopicConfigs;
        overrides: readonly string[];
        logStarts: Map<number, number>;
        /** Replica assignments by partition (journals before replication: none, one replica each). */
        replicas: (readonly number[] | undefined)[];
        states: Map<number, PartitionState>;
      }
    >();
    let journaledBrokers: number | undefined;
    for (const entry of storage.cluster.load()) {
      if (entry.op === 'create-topic') {
        plan.set(entry.name, {
          id: entry.id,
          partitions: entry.partitions,
          configs: entry.configs,
          // Journals written before overrides were recorded: the configs that differ from defaults.
          overrides: entry.overrides ?? differingFromDefaults(entry.configs),
          logStarts: new Map(),
          replicas: entry.replicas ?? [],
          states: new Map(),
        });
      } else if (entry.op === 'delete-topic') {
        plan.delete(entry.name);
      } else if (entry.op === 'create-partitions') {
        const topic = plan.get(entry.name);
        if (topic) {
          entry.replicas?.forEach((r, i) => (topic.replicas[topic.partitions + i] = r));
          topic.partitions = Math.max(topic.partitions, entry.count);
        }
      } else if (entry.op === 'partition-state') {
        plan.get(entry.topic)?.states.set(entry.partition, {
          leader: entry.leader,
          leaderEpoch: entry.leaderEpoch,
          isr: entry.isr,
        });
      } else if (entry.op === 'brokers') {
        journaledBrokers = entry.count;
      } else if (entry.op === 'alter-configs') {
        const topic = plan.get(entry.name);
        if (topic) {
          topic.configs = entry.configs;
          topic.overrides = entry.overrides;
        }
      } else if (entry.op === 'log-start') {
        plan.get(entry.topic)?.logStarts.set(entry.partition, entry.offset);
      } else if (entry.op === 'producer-ids') {
        // Ids up to the reserved end may have been handed out before a crash: continue after it.
        this.nextProducerId = this.reservedProducerIds = BigInt(entry.next);
      }
    }
    const brokers = journaledBrokers ?? (plan.size > 0 ? 1 : this.brokers.length);
    if (brokers !== this.brokers.length) {
      throw new DataDirError(
        `${storage.dir} holds the data of ${brokers} broker(s): start with --brokers ${brokers}, or use another --data-dir`,
      );
    }
    // Each partition's replicas; journals from before replication: one, leading as it did then.
    const assignments = new Map<string, (readonly number[])[]>();
    let legacyIndex = 0;
    for (const [name, t] of plan) {
      const replicas = Array.from(
        { length: t.partitions },
        (_, p) => t.replicas[p] ?? [this.leaderFor(legacyIndex, p)],
      );
      assignments.set(name, replicas);
      legacyIndex++;
    }
    const live = new Set<string>();
    for (const [name, replicas] of assignments) {
      replicas.forEach((nodes, p) => nodes.forEach((r) => live.add(this.replicaFolder(name, p, r))));
    }
    // Folders of topics deleted just before a crash (journaled, not yet removed) must not come back.
    storage.removeOrphans(live);
    for (const [name, t] of plan) {
      const topic = this.addTopic(
        name,
        Buffer.from(t.id, 'hex'),
        assignments.get(name)!,
        t.configs,
        t.overrides,
        false,
        t.states,
      );
      for (const [partition, offset] of t.logStarts) {
        for (const log of topic.partitions[partition]?.allLogs ?? []) log.deleteBefore(offset);
      }
      // Every replica recovered its log with the high watermark at its end: the leader's is the lowest
      // log end in the ISR, as the followers' copies will show it.
      for (const p of topic.partitions) {
        const lowest = Math.min(...p.isr.map((r) => p.replicaLog(r)!.logEndOffset));
        p.log.highWatermark = Math.min(p.log.highWatermark, lowest);
        this.replication.appended(p);
      }
    }
    const compacted: ClusterEntry[] = [{ op: 'brokers', count: this.brokers.length }];
    for (const t of this.topics.values()) {
      compacted.push({
        op: 'create-topic',
        name: t.name,
        id: t.id.toString('hex'),
        partitions: t.partitions.length,
        configs: t.configs,
        overrides: [...t.overrides],
        replicas: t.partitions.map((p) => [...p.replicas]),
      });
      for (const p of t.partitions) {
        if (p.replicas.length > 1 || p.leaderEpoch > 0) compacted.push(this.stateEntry(t.name, p));
        if (p.log.logStartOffset > 0)
          compacted.push({
            op: 'log-start',
            topic: t.name,
            partition: p.index,
            offset: p.log.logStartOffset,
          });
      }
    }
    if (this.reservedProducerIds > 0n)
      compacted.push({ op: 'producer-ids', next: String(this.reservedProducerIds) });
    storage.cluster.rewrite(compacted);
  }

  /** A new idempotent-producer id, never reused, across restarts too (reserved in blocks of 1000). */
  allocateProducerId(): bigint {
    if (this.nextProducerId >= this.reservedProducerIds) {
      this.reservedProducerIds = this.nextProducerId + 1000n;
      this.storage?.cluster.append({ op: 'producer-ids', next: String(this.reservedProducerIds) });
    }
    return this.nextProducerId++;
  }

  /** Folder of one replica's log, relative to the data directory. */
  private replicaFolder(topic: string, partition: number, nodeId: number): string {
    return this.foldersPerBroker
      ? DataDir.replicaFolder(topic, partition, nodeId)
      : DataDir.folder(topic, partition);
  }

  /**
   * A partition with a log on each replica's broker. `fresh`: it did not exist before (a folder of
   * that name is a deleted topic's leftover). `state`: its leader, epoch and ISR from the journal.
   */
  private newPartition(
    topic: Topic,
    index: number,
    replicas: readonly number[],
    fresh: boolean,
    state?: PartitionState,
  ): Partition {
    const logs = new Map<number, PartitionLog>();
    for (const nodeId of replicas) {
      const store = this.storage?.partition(
        this.replicaFolder(topic.name, index, nodeId),
        () => Number(topic.configs['segment.bytes']),
        fresh,
      );
      logs.set(nodeId, new PartitionLog(store));
    }
    const partition = new Partition(
      index,
      replicas,
      logs,
      {
        minInsyncReplicas: () => Number(topic.configs['min.insync.replicas']),
        alive: this.replication.alive,
        running: this.replication.running,
        replicaLagTimeMaxMs: this.options.replicaLagTimeMaxMs ?? 30_000,
        freezeHighWatermarkUnderMinIsr: this.options.freezeHighWatermarkUnderMinIsr ?? true,
        now: this.now,
        onStateChange: (p) => this.storage?.cluster.append(this.stateEntry(topic.name, p)),
      },
      state,
    );
    return partition;
  }

  private stateEntry(topic: string, p: Partition): ClusterEntry {
    const { leader, leaderEpoch, isr } = p.state;
    return { op: 'partition-state', topic, partition: p.index, leader, leaderEpoch, isr: [...isr] };
  }

  private addTopic(
    name: string,
    id: Buffer,
    replicas: readonly (readonly number[])[],
    configs: TopicConfigs,
    overrides: readonly string[],
    fresh = true,
    states?: ReadonlyMap<number, PartitionState>,
  ): Topic {
    const topic: Topic = { name, id, configs, overrides: new Set(overrides), partitions: [] };
    replicas.forEach((r, index) =>
      topic.partitions.push(this.newPartition(topic, index, r, fresh, states?.get(index))),
    );
    this.topics.set(name, topic);
    return topic;
  }

  /**
   * Replica sets for new partitions: the first replica (the preferred leader) spread round-robin over
   * the live brokers as before, the others on the brokers that follow it.
   */
  private assignReplicas(topicIndex: number, from: number, count: number, factor: number): number[][] {
    const brokers = this.liveBrokers.map((b) => b.nodeId);
    const out: number[][] = [];
    for (let p = from; p < from + count; p++) {
      const first = (topicIndex + p) % brokers.length;
      out.push(Array.from({ length: factor }, (_, i) => brokers[(first + i) % brokers.length]));
    }
    return out;
  }

  addBroker(host: string, port: number): BrokerInfo {
    const broker: BrokerInfo = {
      nodeId: this.brokers.length + 1,
      host,
      port,
      state: 'running',
      fenced: false,
    };
    this.brokers.push(broker);
    return broker;
  }

  /**
   * The broker coordinating `groupId`, or undefined when none can. Kafka's coordinator is the leader
   * of the offsets-topic partition `abs(groupId.hashCode()) % 50`, replicated on three brokers. Here
   * that partition's replicas are the brokers following the one the hash picks, and its leader stays
   * put while it is alive; when its broker stops (or is fenced) the next live replica takes over, as
   * on Kafka, with the group's committed offsets (kept by the process). Like a partition's leader, it
   * does not move back when the broker returns.
   */
  groupCoordinator(groupId: string): BrokerInfo | undefined {
    let hash = 0;
    for (let i = 0; i < groupId.length; i++) hash = (Math.imul(hash, 31) + groupId.charCodeAt(i)) | 0;
    const offsetsPartition = (hash & 0x7fffffff) % OFFSETS_TOPIC_PARTITIONS;
    const current = this.brokers.find((b) => b.nodeId === this.offsetsLeaders.get(offsetsPartition));
    if (current && !current.fenced) return current;
    const count = this.brokers.length;
    const first = offsetsPartition % count;
    for (let i = 0; i < Math.min(3, count); i++) {
      const broker = this.brokers[(first + i) % count];
      if (broker.fenced) continue;
      this.offsetsLeaders.set(offsetsPartition, broker.nodeId);
      return broker;
    }
    return undefined;
  }

  /** Leaders are spread round-robin so a multi-broker cluster routes like a real one. */
  private leaderFor(topicIndex: number, partition: number): number {
    return this.brokers[(topicIndex + partition) % this.brokers.length].nodeId;
  }

  topicById(id: Buffer): Topic | undefined {
    for (const t of this.topics.values()) if (t.id.equals(id)) return t;
    return undefined;
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.topics.get(topic)?.partitions[index];
  }

  /**
   * Checks a new topic as Kafka's controller does, in its order (name, a name collision, existence,
   * configs, replication factor, partition count, replicas against brokers), then creates it unless
   * `validateOnly`. -1 partitions or replication factor take the broker defaults (1 each).
   */
  createTopic(
    name: string,
    partitions: number,
    configs: Record<string, string | null> = {},
    options: { readonly validateOnly?: boolean; readonly replicationFactor?: number } = {},
  ): Topic {
    const nameProblem = topicNameProblem(name);
    if (nameProblem) throw new TopicError(nameProblem, 17);
    const collides = [...this.topics.keys()].find(
      (other) => other !== name && unifyCollisionChars(other) === unifyCollisionChars(name),
    );
    if (collides) {
      throw new TopicError(
        `topic ${name} collides with topic ${collides}: Kafka names metrics with '.' and '_' alike`,
        17,
      );
    }
    if (this.topics.has(name)) throw new TopicError(`topic ${name} already exists`, 36);
    const nulls = Object.keys(configs).filter((k) => configs[k] === null);
    if (nulls.length > 0) throw new TopicError(`topic configs need a value: ${nulls.join(', ')}`, 40);
    const resolved = resolveTopicConfigs(configs);
    if (resolved.problems.length > 0) throw new TopicError(resolved.problems.join('; '), 40);
    const requestedFactor = options.replicationFactor ?? -1;
    if (requestedFactor < -1 || requestedFactor === 0) {
      throw new TopicError(`replication factor ${requestedFactor}: use 1 or more, or -1 for the default`, 38);
    }
    if (!Number.isInteger(partitions) || partitions < -1 || partitions === 0) {
      throw new TopicError(`invalid partition count ${partitions}: use 1 or more, or -1 for the default`, 37);
    }
    const replicationFactor = requestedFactor === -1 ? this.defaultReplicationFactor : requestedFactor;
    const available = this.liveBrokers.length;
    if (replicationFactor > available) {
      throw new TopicError(
        `replication factor ${replicationFactor} is larger than the ${available} available broker(s)`,
        38,
      );
    }
    const count = partitions === -1 ? this.defaultPartitions : partitions;
    if (count > 10_000) {
      throw new TopicError(`invalid partition count ${count} for topic ${name}: at most 10000`, 37);
    }
    const id = randomBytes(16);
    if (options.validateOnly) {
      return { name, id, configs: resolved.configs, overrides: new Set(resolved.overrides), partitions: [] };
    }
    const replicas = this.assignReplicas(this.topics.size, 0, count, replicationFactor);
    this.storage?.cluster.append({
      op: 'create-topic',
      name,
      id: id.toString('hex'),
      partitions: count,
      configs: resolved.configs,
      overrides: resolved.overrides,
      replicas,
    });
    return this.addTopic(name, id, replicas, resolved.configs, resolved.overrides);
  }

  /** Replication factor of an existing topic (its first partition's). */
  static replicationFactor(topic: Topic): number {
    return topic.partitions[0]?.replicas.length ?? 1;
  }

  deleteTopic(name: string): void {
    const topic = this.topics.get(name);
    if (!topic) throw new TopicError(`unknown topic ${name}`, 3);
    this.storage?.cluster.append({ op: 'delete-topic', name });
    this.topics.delete(name);
    for (const p of topic.partitions) p.abandonWaiters(); // acks=-1 produces answer now, not at their timeout
    this.notifyData(); // waiting fetches answer UNKNOWN_TOPIC_OR_PARTITION now, not at MaxWaitMs
    this.storage?.removeTopic(
      topic.partitions.flatMap((p) => p.replicas.map((r) => this.replicaFolder(name, p.index, r))),
      topic.partitions.flatMap((p) => p.allLogs.flatMap((log) => (log.store ? [log.store] : []))),
    );
  }

  /** DeleteRecords: makes records before `offset` unreadable, durably. */
  deleteRecords(topic: string, partition: number, offset: number): void {
    const p = this.partition(topic, partition);
    if (!p) throw new TopicError(`unknown topic-partition ${topic}-${partition}`, 3);
    p.log.deleteBefore(offset);
    this.journalLogStart(topic, partition, p.log.logStartOffset);
    this.replication.appended(p); // followers drop the same records
  }

  /** Journals a partition's new log start, so records dropped stay dropped after a restart. */
  private journalLogStart(topic: string, partition: number, offset: number): void {
    this.storage?.cluster.append({ op: 'log-start', topic, partition, offset });
  }

  /** Grows a topic to `count` partitions. */
  createPartitions(name: string, count: number, validateOnly = false): void {
    const topic = this.topics.get(name);
    if (!topic) throw new TopicError(`unknown topic ${name}`, 3);
    if (!Number.isInteger(count) || count <= topic.partitions.length || count > 10_000) {
      throw new TopicError(
        `topic ${name} has ${topic.partitions.length} partitions; a new count must be larger (got ${count})`,
        37,
      );
    }
    const factor = Cluster.replicationFactor(topic);
    if (factor > this.liveBrokers.length) {
      throw new TopicError(
        `topic ${name} has replication factor ${factor}; only ${this.liveBrokers.length} broker(s) are available`,
        38,
      );
    }
    if (validateOnly) return;
    const from = topic.partitions.length;
    const topicIndex = [...this.topics.keys()].indexOf(name);
    const replicas = this.assignReplicas(topicIndex, from, count - from, factor);
    this.storage?.cluster.append({ op: 'create-partitions', name, count, replicas });
    replicas.forEach((r, i) => topic.partitions.push(this.newPartition(topic, from + i, r, true)));
  }

  /**
   * Replaces the configs set on a topic with `configs`, durably; every other config (and any given as
   * null) takes its default, as after AlterConfigs. IncrementalAlterConfigs works out that set first.
   */
  alterTopicConfigs(name: string, configs: Record<string, string | null>, validateOnly = false): void {
    const topic = this.topics.get(name);
    if (!topic) throw new TopicError(`unknown topic ${name}`, 3);
    const resolved = resolveTopicConfigs(configs);
    if (resolved.problems.length > 0) throw new TopicError(resolved.problems.join('; '), 40);
    if (validateOnly) return;
    this.storage?.cluster.append({
      op: 'alter-configs',
      name,
      configs: resolved.configs,
      overrides: resolved.overrides,
    });
    // Changed in place: partition stores read segment.bytes through this same object.
    for (const key of Object.keys(topic.configs)) delete topic.configs[key];
    Object.assign(topic.configs, resolved.configs);
    topic.overrides.clear();
    for (const key of resolved.overrides) topic.overrides.add(key);
  }

  /** Registers a one-shot callback run on the next append to any partition. */
  onData(callback: () => void): () => void {
    this.dataWaiters.add(callback);
    return () => this.dataWaiters.delete(callback);
  }

  /** Wakes every waiting fetch; called after each append. */
  notifyData(): void {
    const waiters = [...this.dataWaiters];
    this.dataWaiters.clear();
    for (const w of waiters) w();
  }

  /** Applies retention.ms / retention.bytes to every partition. */
  enforceRetention(): void {
    const now = this.now();
    for (const topic of this.topics.values()) {
      const ms = Number(topic.configs['retention.ms']);
      const bytes = Number(topic.configs['retention.bytes']);
      for (const p of topic.partitions) {
        const before = p.log.logStartOffset;
        p.log.enforceRetention(now, ms, bytes);
        if (p.log.logStartOffset !== before) {
          this.journalLogStart(topic.name, p.index, p.log.logStartOffset);
          this.replication.appended(p);
        }
      }
    }
  }
}
