/**
 * The state one broker process serves: its brokers (one per listening port), topics with their
 * partitions and logs, and which broker leads each partition. Handlers read and change it; it knows
 * nothing of the wire protocol.
 */
import { randomBytes } from 'node:crypto';
import { PartitionLog } from '../log/partition-log';
import { DataDir, type ClusterEntry } from '../storage/data-dir';
import { differingFromDefaults, resolveTopicConfigs, type TopicConfigs } from './topic-config';

export interface BrokerInfo {
  readonly nodeId: number;
  /** Address clients are told to connect to (Metadata, FindCoordinator). */
  host: string;
  port: number;
}

export interface Partition {
  readonly index: number;
  readonly leader: number;
  readonly log: PartitionLog;
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
}

export class Cluster {
  readonly clusterId = randomBytes(16).toString('base64url').slice(0, 22);
  readonly brokers: BrokerInfo[] = [];
  readonly topics = new Map<string, Topic>();
  readonly autoCreateTopics: boolean;
  readonly defaultPartitions: number;
  readonly now: () => number;
  /** Callbacks waiting for data on any partition (long-polling fetches). */
  private readonly dataWaiters = new Set<() => void>();

  readonly storage?: DataDir;
  /** Next idempotent-producer id, and the end of the block reserved in the journal. */
  private nextProducerId = 0n;
  private reservedProducerIds = 0n;

  constructor(options: ClusterOptions = {}) {
    this.autoCreateTopics = options.autoCreateTopics ?? true;
    this.defaultPartitions = options.defaultPartitions ?? 1;
    this.now = options.now ?? Date.now;
    this.storage = options.storage;
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
      }
    >();
    for (const entry of storage.cluster.load()) {
      if (entry.op === 'create-topic') {
        plan.set(entry.name, {
          id: entry.id,
          partitions: entry.partitions,
          configs: entry.configs,
          // Journals written before overrides were recorded: the configs that differ from defaults.
          overrides: entry.overrides ?? differingFromDefaults(entry.configs),
          logStarts: new Map(),
        });
      } else if (entry.op === 'delete-topic') {
        plan.delete(entry.name);
      } else if (entry.op === 'create-partitions') {
        const topic = plan.get(entry.name);
        if (topic) topic.partitions = Math.max(topic.partitions, entry.count);
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
    const live = new Set<string>();
    for (const [name, t] of plan) {
      for (let p = 0; p < t.partitions; p++) live.add(DataDir.folder(name, p));
    }
    // Folders of topics deleted just before a crash (journaled, not yet removed) must not come back.
    storage.removeOrphans(live);
    for (const [name, t] of plan) {
      const topic = this.addTopic(
        name,
        Buffer.from(t.id, 'hex'),
        t.partitions,
        t.configs,
        t.overrides,
        false,
      );
      for (const [partition, offset] of t.logStarts) topic.partitions[partition]?.log.deleteBefore(offset);
    }
    const compacted: ClusterEntry[] = [];
    for (const t of this.topics.values()) {
      compacted.push({
        op: 'create-topic',
        name: t.name,
        id: t.id.toString('hex'),
        partitions: t.partitions.length,
        configs: t.configs,
        overrides: [...t.overrides],
      });
      for (const p of t.partitions) {
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

  /** `fresh`: a partition that did not exist before (its folder, if any, is a deleted topic's leftover). */
  private newPartition(topic: Topic, index: number, topicIndex: number, fresh: boolean): Partition {
    const store = this.storage?.partition(
      topic.name,
      index,
      () => Number(topic.configs['segment.bytes']),
      fresh,
    );
    return { index, leader: this.leaderFor(topicIndex, index), log: new PartitionLog(store) };
  }

  private addTopic(
    name: string,
    id: Buffer,
    partitions: number,
    configs: TopicConfigs,
    overrides: readonly string[],
    fresh = true,
  ): Topic {
    const topicIndex = this.topics.size;
    const topic: Topic = { name, id, configs, overrides: new Set(overrides), partitions: [] };
    for (let index = 0; index < partitions; index++)
      topic.partitions.push(this.newPartition(topic, index, topicIndex, fresh));
    this.topics.set(name, topic);
    return topic;
  }

  private growTopic(topic: Topic, count: number): void {
    const topicIndex = [...this.topics.keys()].indexOf(topic.name);
    for (let index = topic.partitions.length; index < count; index++)
      topic.partitions.push(this.newPartition(topic, index, topicIndex, true));
  }

  addBroker(host: string, port: number): BrokerInfo {
    const broker = { nodeId: this.brokers.length + 1, host, port };
    this.brokers.push(broker);
    return broker;
  }

  /**
   * The broker coordinating `groupId`. Kafka's coordinator is the leader of the offsets-topic
   * partition `abs(groupId.hashCode()) % partitions`; with one such partition per broker, that spreads
   * groups over brokers by the same hash, so clients on a multi-broker cluster must find the
   * coordinator as they do on Kafka.
   */
  groupCoordinator(groupId: string): BrokerInfo {
    let hash = 0;
    for (let i = 0; i < groupId.length; i++) hash = (Math.imul(hash, 31) + groupId.charCodeAt(i)) | 0;
    return this.brokers[(hash & 0x7fffffff) % this.brokers.length];
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
    const replicationFactor = options.replicationFactor ?? -1;
    if (replicationFactor < -1 || replicationFactor === 0) {
      throw new TopicError(
        `replication factor ${replicationFactor}: use 1 or more, or -1 for the default`,
        38,
      );
    }
    if (!Number.isInteger(partitions) || partitions < -1 || partitions === 0) {
      throw new TopicError(`invalid partition count ${partitions}: use 1 or more, or -1 for the default`, 37);
    }
    if (replicationFactor > this.brokers.length) {
      throw new TopicError(
        `replication factor ${replicationFactor} is larger than the ${this.brokers.length} available broker(s)`,
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
    this.storage?.cluster.append({
      op: 'create-topic',
      name,
      id: id.toString('hex'),
      partitions: count,
      configs: resolved.configs,
      overrides: resolved.overrides,
    });
    return this.addTopic(name, id, count, resolved.configs, resolved.overrides);
  }

  deleteTopic(name: string): void {
    const topic = this.topics.get(name);
    if (!topic) throw new TopicError(`unknown topic ${name}`, 3);
    this.storage?.cluster.append({ op: 'delete-topic', name });
    this.topics.delete(name);
    this.notifyData(); // waiting fetches answer UNKNOWN_TOPIC_OR_PARTITION now, not at MaxWaitMs
    this.storage?.removeTopic(
      name,
      topic.partitions.length,
      topic.partitions.flatMap((p) => (p.log.store ? [p.log.store] : [])),
    );
  }

  /** DeleteRecords: makes records before `offset` unreadable, durably. */
  deleteRecords(topic: string, partition: number, offset: number): void {
    const p = this.partition(topic, partition);
    if (!p) throw new TopicError(`unknown topic-partition ${topic}-${partition}`, 3);
    p.log.deleteBefore(offset);
    this.journalLogStart(topic, partition, p.log.logStartOffset);
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
    if (validateOnly) return;
    this.storage?.cluster.append({ op: 'create-partitions', name, count });
    this.growTopic(topic, count);
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
        if (p.log.logStartOffset !== before) this.journalLogStart(topic.name, p.index, p.log.logStartOffset);
      }
    }
  }
}
