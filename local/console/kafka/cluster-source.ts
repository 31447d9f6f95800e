/**
 * The cluster as the console shows it: createClusterSource implements ClusterSource (../api.ts).
 *
 * Everything is read and changed over the Kafka protocol (kafka-requests.ts), so the console works
 * the same on the embedded broker and on an existing Apache Kafka cluster. What only the embedded
 * broker knows comes from `options.broker` when it runs in this process: broker states (paused
 * brokers answer nothing), log sizes, group generations, and stopping and starting brokers.
 * Records are produced with kafkajs (its default partitioner is Kafka's), never read with it.
 */
import { Kafka, logLevel, type IHeaders, type Producer } from 'kafkajs';
import { ErrorCode, errorName } from '../../kafka/errors';
import { OffsetCommitSchema } from '../../kafka/messages/08-offset-commit';
import { CreatePartitionsSchema } from '../../kafka/messages/37-create-partitions';
import { CreateTopicsSchema } from '../../kafka/messages/19-create-topics';
import { DeleteTopicsSchema } from '../../kafka/messages/20-delete-topics';
import { DescribeConfigsSchema } from '../../kafka/messages/32-describe-configs';
import type { PartitionStats, RunningBroker } from '../../broker/broker';
import {
  ConsoleRequestError,
  type BrokerActionResult,
  type BrokerView,
  type BrowseQuery,
  type ClusterSnapshot,
  type ClusterSource,
  type CopyRequest,
  type CopyResult,
  type CreateTopicRequest,
  type GroupDetail,
  type GroupSummary,
  type MessagePage,
  type PartitionTape,
  type PartitionView,
  type ProduceRequest,
  type ProduceResult,
  type ResetRequest,
  type ResetResult,
  type TopicConfig,
} from '../api';
import {
  assemble,
  decodeCursor,
  encodeCursor,
  plan,
  startPosition,
  type PartitionRange,
} from './browse-plan';
import { GroupReader, type GroupRead } from './group-reader';
import { KafkaRequests, partitionKey, type MetadataTopic } from './kafka-requests';
import { LagSampler, SAMPLE_MS } from './lag-sampler';
import { KafkaConnectionError, KafkaResponseError } from '../../runtime/kafka/wire-client';
import { matches, readWindow, toMessage, type ReadRecord } from './record-reader';

export interface ClusterSourceOptions {
  readonly bootstrapServers: readonly string[];
  /** The embedded cluster when it runs in this process: broker states, log sizes, generations, stop/start. */
  readonly broker?: RunningBroker;
  readonly log?: (message: string) => void;
}

/** DescribeConfigs' source of a value set on the topic itself. */
const TOPIC_CONFIG_SOURCE = 1;
/** Records a browse page returns by default, and at most. */
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;
/** Records a copy takes at once. */
const MAX_COPY = 1000;
/** Records a tape shows. */
const TAPE_RECENT = 20;
const TIMEOUT_MS = 30_000;

/** Starts reading the cluster (the lag sampler runs until close()); resolves once it answered Metadata. */
export async function createClusterSource(options: ClusterSourceOptions): Promise<ClusterSource> {
  const source = new KafkaClusterSource(options);
  try {
    await source.start();
  } catch (error) {
    await source.close();
    throw error;
  }
  const guard =
    <A extends unknown[], T>(call: (...args: A) => Promise<T>) =>
    (...args: A): Promise<T> =>
      call.apply(source, args).catch((error: unknown) => {
        throw unavailable(error);
      });
  return {
    bootstrapServers: source.bootstrapServers,
    controllable: source.controllable,
    cluster: guard(source.cluster),
    topicConfigs: guard(source.topicConfigs),
    createTopic: guard(source.createTopic),
    deleteTopic: guard(source.deleteTopic),
    addPartitions: guard(source.addPartitions),
    tape: guard(source.tape),
    browse: guard(source.browse),
    produce: guard(source.produce),
    copy: guard(source.copy),
    groups: guard(source.groups),
    group: guard(source.group),
    resetOffsets: guard(source.resetOffsets),
    brokerAction: guard(source.brokerAction),
    close: () => source.close(),
  };
}

/** A broker that is down or moving is the cluster being unavailable (503), not a console failure. */
function unavailable(error: unknown): unknown {
  if (error instanceof KafkaConnectionError)
    return new ConsoleRequestError(503, `the cluster does not answer: ${error.message}`);
  if (error instanceof KafkaResponseError) return new ConsoleRequestError(503, error.message);
  return error;
}

/** A topic's partitions with their leaders, from one Metadata answer. */
interface TopicLayout {
  readonly name: string;
  readonly partitions: ReadonlyMap<number, number>;
}

class KafkaClusterSource implements ClusterSource {
  readonly bootstrapServers: string;
  readonly controllable: boolean;
  private readonly requests: KafkaRequests;
  private readonly reader: GroupReader;
  private readonly sampler: LagSampler;
  private readonly log: (message: string) => void;
  /** Every broker Metadata ever listed: one missing from it now is down. */
  private readonly knownBrokers = new Map<number, { host: string; port: number }>();
  /** The last offsets read of each partition, shown while its leader cannot be asked. */
  private readonly lastOffsets = new Map<string, { logStartOffset: number; highWatermark: number }>();
  private producer: Promise<Producer> | undefined;

  constructor(private readonly options: ClusterSourceOptions) {
    this.bootstrapServers = options.bootstrapServers.join(',');
    this.controllable = options.broker !== undefined;
    this.log = options.log ?? (() => undefined);
    this.requests = new KafkaRequests(options.bootstrapServers, () => this.unreachable());
    const broker = options.broker;
    this.reader = new GroupReader({
      requests: this.requests,
      generation: broker ? (id) => broker.groups.generation(id) ?? null : undefined,
      fallbackHighWatermark: (t, p) => this.fallbackOffsets(t, p)?.highWatermark,
    });
    this.sampler = new LagSampler(this.requests, this.reader, this.log);
  }

  async start(): Promise<void> {
    await this.requests.metadata([]);
    this.sampler.start();
  }

  // ---- cluster and topics

  async cluster(): Promise<ClusterSnapshot> {
    const md = await this.requests.metadata(null);
    const at = Date.now();
    const broker = this.options.broker;
    const stats = broker ? statsByPartition(broker.stats()) : undefined;
    const topics = md.Topics.filter((t) => t.Name !== null && t.Partitions.length > 0);
    const led = topics.flatMap((t) =>
      t.Partitions.map((p) => ({ topic: t.Name!, partition: p.PartitionIndex, leader: p.LeaderId })),
    );
    const offsets = await this.offsets(led);
    for (const b of md.Brokers) this.knownBrokers.set(b.NodeId, { host: b.Host, port: b.Port });
    const listed = new Set(md.Brokers.map((b) => b.NodeId));
    const statuses = new Map((broker?.control.status().brokers ?? []).map((s) => [s.nodeId, s]));
    for (const s of statuses.values())
      if (!this.knownBrokers.has(s.nodeId)) this.knownBrokers.set(s.nodeId, s);

    const topicViews = topics
      .map((t) => {
        const partitions: PartitionView[] = t.Partitions.map((p) => {
          const key = partitionKey(t.Name!, p.PartitionIndex);
          const o = offsets.get(key) ?? { logStartOffset: 0, highWatermark: 0 };
          return {
            partition: p.PartitionIndex,
            leader: p.LeaderId,
            leaderEpoch: p.LeaderEpoch,
            replicas: p.ReplicaNodes,
            isr: p.IsrNodes,
            offlineReplicas: p.OfflineReplicas,
            logStartOffset: o.logStartOffset,
            highWatermark: o.highWatermark,
            sizeInBytes: stats?.get(key)?.sizeInBytes ?? null,
          };
        }).sort((a, b) => a.partition - b.partition);
        const sizes = partitions.map((p) => p.sizeInBytes);
        return {
          name: t.Name!,
          internal: t.IsInternal,
          partitions,
          records: partitions.reduce((sum, p) => sum + p.highWatermark - p.logStartOffset, 0),
          sizeInBytes: sizes.every((s) => s !== null) ? sizes.reduce((a, b) => a + b, 0) : null,
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));

    const all = topicViews.flatMap((t) => t.partitions);
    const brokers: BrokerView[] = [...this.knownBrokers]
      .map(([nodeId, where]) => {
        const status = statuses.get(nodeId);
        const state: BrokerView['state'] = status
          ? status.state === 'running'
            ? 'up'
            : status.state === 'paused'
              ? 'paused'
              : 'down'
          : listed.has(nodeId)
            ? 'up'
            : 'down';
        return {
          nodeId,
          host: where.host,
          port: where.port,
          state,
          leaderOf: all.filter((p) => p.leader === nodeId).length,
          replicaOf: all.filter((p) => p.replicas.includes(nodeId)).length,
        };
      })
      .sort((a, b) => a.nodeId - b.nodeId);
    return {
      at,
      clusterId: md.ClusterId ?? '',
      controllable: this.controllable,
      brokers,
      topics: topicViews,
    };
  }

  async topicConfigs(topic: string): Promise<TopicConfig[]> {
    const res = await this.requests.any(DescribeConfigsSchema, 3, {
      Resources: [{ ResourceType: 2, ResourceName: topic, ConfigurationKeys: null }],
      IncludeSynonyms: false,
      IncludeDocumentation: false,
    });
    const r = res.Results[0];
    if (r.ErrorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
      throw new ConsoleRequestError(404, `no topic ${topic}`);
    if (r.ErrorCode !== ErrorCode.NONE) throw kafkaError(r.ErrorCode, `configs of ${topic}`, r.ErrorMessage);
    return r.Configs.map((c) => ({
      name: c.Name,
      value: c.Value,
      isDefault: c.ConfigSource !== TOPIC_CONFIG_SOURCE,
      readOnly: c.ReadOnly,
      sensitive: c.IsSensitive,
    })).sort((a, b) => a.name.localeCompare(b.name));
  }

  async createTopic(request: CreateTopicRequest): Promise<void> {
    const { name, partitions, replicationFactor, configs } = request ?? ({} as CreateTopicRequest);
    if (typeof name !== 'string' || name === '')
      throw new ConsoleRequestError(400, 'name: give the topic a name');
    if (!Number.isInteger(partitions) || partitions < 1)
      throw new ConsoleRequestError(
        400,
        `partitions must be a whole number of at least 1, got ${String(partitions)}`,
      );
    if (replicationFactor !== undefined && (!Number.isInteger(replicationFactor) || replicationFactor < 1))
      throw new ConsoleRequestError(
        400,
        `replicationFactor must be a whole number of at least 1, got ${String(replicationFactor)}`,
      );
    const res = await this.requests.any(CreateTopicsSchema, 4, {
      Topics: [
        {
          Name: name,
          NumPartitions: partitions,
          ReplicationFactor: replicationFactor ?? -1,
          Assignments: [],
          Configs: Object.entries(configs ?? {}).map(([Name, Value]) => ({ Name, Value: String(Value) })),
        },
      ],
      timeoutMs: TIMEOUT_MS,
      validateOnly: false,
    });
    const t = res.Topics[0];
    if (t.ErrorCode === ErrorCode.TOPIC_ALREADY_EXISTS)
      throw new ConsoleRequestError(409, `topic ${name} already exists`);
    if (t.ErrorCode !== ErrorCode.NONE) throw kafkaError(t.ErrorCode, `create topic ${name}`, t.ErrorMessage);
  }

  async deleteTopic(topic: string): Promise<void> {
    const res = await this.requests.any(DeleteTopicsSchema, 3, {
      TopicNames: [topic],
      TimeoutMs: TIMEOUT_MS,
    });
    const r = res.Responses[0];
    if (r.ErrorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
      throw new ConsoleRequestError(404, `no topic ${topic}`);
    if (r.ErrorCode !== ErrorCode.NONE)
      throw kafkaError(r.ErrorCode, `delete topic ${topic}`, r.ErrorMessage);
  }

  /** Adds `count` partitions to the topic (CreatePartitions takes the new total). */
  async addPartitions(topic: string, count: number): Promise<void> {
    // The new total, as CreatePartitions and `kafka-topics --alter --partitions N` take it.
    if (!Number.isInteger(count) || count < 1)
      throw new ConsoleRequestError(
        400,
        `count must be the new number of partitions (a whole number), got ${String(count)}`,
      );
    const layout = await this.layout(topic);
    if (count <= layout.partitions.size)
      throw new ConsoleRequestError(
        400,
        `${topic} has ${layout.partitions.size} partitions: the new number must be more (Kafka never removes partitions)`,
      );
    const res = await this.requests.any(CreatePartitionsSchema, 1, {
      Topics: [{ Name: topic, Count: count, Assignments: null }],
      TimeoutMs: TIMEOUT_MS,
      ValidateOnly: false,
    });
    const r = res.Results[0];
    if (r.ErrorCode !== ErrorCode.NONE)
      throw kafkaError(r.ErrorCode, `add partitions to ${topic}`, r.ErrorMessage);
  }

  // ---- records

  async tape(topic: string, partition: number): Promise<PartitionTape> {
    const layout = await this.layout(topic);
    const leader = partitionLeader(layout, partition);
    const page = await this.browse(topic, { partition, from: 'end', limit: TAPE_RECENT });
    const range = page.partitions[0];
    const groups: { groupId: string; committed: number }[] = [];
    for (const g of await this.recentGroups()) {
      const o = g.offsets.find((x) => x.topic === topic && x.partition === partition);
      if (o?.committed !== null && o?.committed !== undefined)
        groups.push({ groupId: g.groupId, committed: o.committed });
    }
    return {
      topic,
      partition,
      leader,
      logStartOffset: range.logStartOffset,
      highWatermark: range.highWatermark,
      groups,
      recent: page.records,
    };
  }

  async browse(topic: string, query: BrowseQuery): Promise<MessagePage> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
      throw new ConsoleRequestError(400, `limit must be 1-${MAX_LIMIT}, got ${String(query.limit)}`);
    const from = query.from ?? 'end';
    if (!['end', 'beginning', 'offset', 'timestamp'].includes(from))
      throw new ConsoleRequestError(
        400,
        `from must be end, beginning, offset or timestamp, got ${String(from)}`,
      );
    if (!query.cursor && from === 'offset' && !isOffset(query.offset))
      throw new ConsoleRequestError(
        400,
        `from=offset needs an offset (a whole number of at least 0), got ${String(query.offset)}`,
      );
    if (!query.cursor && from === 'timestamp' && !isOffset(query.timestamp))
      throw new ConsoleRequestError(
        400,
        `from=timestamp needs a timestamp (ms since the epoch), got ${String(query.timestamp)}`,
      );
    const position = query.cursor ? decodeCursor(query.cursor) : undefined;

    const layout = await this.layout(topic);
    let chosen = [...layout.partitions.keys()].sort((a, b) => a - b);
    if (query.partition !== undefined) {
      partitionLeader(layout, query.partition);
      chosen = [query.partition];
    }
    const led = chosen.map((partition) => ({ topic, partition, leader: layout.partitions.get(partition)! }));
    const offsets = await this.offsets(led);
    const ranges: PartitionRange[] = chosen.map((partition) => ({
      partition,
      ...offsets.get(partitionKey(topic, partition))!,
    }));
    // A partition without a leader cannot be read; one asked for by itself is an error, else it is skipped.
    const readable = ranges.filter((r) => (layout.partitions.get(r.partition) ?? -1) >= 0);
    if (query.partition !== undefined && readable.length === 0)
      throw new ConsoleRequestError(503, `${topic}-${query.partition} has no leader: its brokers are down`);

    let start = position;
    if (!start) {
      const byTime =
        from === 'timestamp'
          ? await this.requests.listOffsets(led, query.timestamp!)
          : new Map<string, number>();
      start = startPosition(from, readable, {
        offset: query.offset,
        offsets: new Map(chosen.map((p) => [p, byTime.get(partitionKey(topic, p)) ?? -1])),
      });
    }
    const needle = query.search ? query.search.toLowerCase() : undefined;
    const windows = plan(start, readable, limit, needle !== undefined);
    const reads = await Promise.all(
      windows.map((w) =>
        readWindow(this.requests, topic, layout.partitions.get(w.partition)!, w, (r) =>
          needle ? matches(r, needle) : true,
        ),
      ),
    );
    const found: ReadRecord[] = reads.flatMap((r) => r.records);
    const { records, next } = assemble(start, readable, windows, found, limit);
    return {
      topic,
      records: records.map(toMessage),
      scanned: reads.reduce((sum, r) => sum + r.scanned, 0),
      cursor: next ? encodeCursor(next) : null,
      partitions: ranges.map(({ partition, logStartOffset, highWatermark }) => ({
        partition,
        logStartOffset,
        highWatermark,
      })),
    };
  }

  async produce(topic: string, request: ProduceRequest): Promise<ProduceResult> {
    const { key, value, headers, partition } = request ?? ({} as ProduceRequest);
    if (value !== null && typeof value !== 'string')
      throw new ConsoleRequestError(400, 'value must be a string or null');
    if (key !== undefined && key !== null && typeof key !== 'string')
      throw new ConsoleRequestError(400, 'key must be a string or null');
    if (
      headers !== undefined &&
      (!Array.isArray(headers) ||
        headers.some((h) => typeof h?.key !== 'string' || typeof h?.value !== 'string'))
    )
      throw new ConsoleRequestError(400, 'headers must be a list of {key, value} strings');
    const layout = await this.layout(topic);
    if (partition !== undefined) partitionLeader(layout, partition, true);
    return this.send(topic, {
      key: key ?? null,
      value,
      headers: (headers ?? []).map((h) => ({ key: h.key, value: Buffer.from(h.value) })),
      partition,
    });
  }

  async copy(topic: string, request: CopyRequest): Promise<CopyResult> {
    const { to, records } = request ?? ({} as CopyRequest);
    if (typeof to !== 'string' || to === '')
      throw new ConsoleRequestError(400, 'to: name the topic to copy to');
    if (!Array.isArray(records) || records.length === 0 || records.length > MAX_COPY)
      throw new ConsoleRequestError(400, `records: give 1-${MAX_COPY} {partition, offset}`);
    const layout = await this.layout(topic);
    await this.layout(to);
    const copied: CopyResult['copied'][number][] = [];
    for (const { partition, offset } of records) {
      const leader = partitionLeader(layout, partition);
      if (!isOffset(offset))
        throw new ConsoleRequestError(400, `offset must be a whole number, got ${String(offset)}`);
      const got = await this.requests.fetch({ topic, partition, leader }, offset).catch((error: unknown) => {
        if (error instanceof KafkaResponseError && error.code === ErrorCode.OFFSET_OUT_OF_RANGE) return [];
        throw error;
      });
      const r = got.find((x) => x.offset === offset);
      if (!r) throw new ConsoleRequestError(404, `no record at ${topic}-${partition}@${offset}`);
      const result = await this.send(to, { key: r.key, value: r.value, headers: r.headers });
      copied.push({ ...result, from: { partition, offset } });
    }
    return { copied };
  }

  // ---- groups

  async groups(): Promise<GroupSummary[]> {
    return (await this.allGroups()).map(summary);
  }

  async group(groupId: string): Promise<GroupDetail> {
    const [g] = await this.reader.read([groupId]);
    if (!g) throw new ConsoleRequestError(503, `group ${groupId}: its coordinator does not answer`);
    const history = this.sampler.history;
    if (g.state === 'Dead' && g.offsets.length === 0 && history.samples(groupId).length === 0)
      throw new ConsoleRequestError(404, `no group ${groupId}`);
    return {
      ...summary(g),
      protocol: g.protocol,
      generation: g.generation,
      memberList: g.members,
      offsets: g.offsets,
      lagHistory: history.samples(groupId),
      rebalances: history.rebalances(groupId),
      canReset: g.members.length === 0,
    };
  }

  async resetOffsets(groupId: string, request: ResetRequest): Promise<ResetResult> {
    const { topic, to, offset, timestamp, partition } = request ?? ({} as ResetRequest);
    if (typeof topic !== 'string' || topic === '')
      throw new ConsoleRequestError(400, 'topic: name the topic whose offsets to reset');
    if (!['earliest', 'latest', 'offset', 'timestamp'].includes(to))
      throw new ConsoleRequestError(
        400,
        `to must be earliest, latest, offset or timestamp, got ${String(to)}`,
      );
    if (to === 'offset' && !isOffset(offset))
      throw new ConsoleRequestError(400, `to=offset needs an offset, got ${String(offset)}`);
    if (to === 'timestamp' && !isOffset(timestamp))
      throw new ConsoleRequestError(
        400,
        `to=timestamp needs a timestamp (ms since the epoch), got ${String(timestamp)}`,
      );
    const [g] = await this.reader.read([groupId]);
    if (!g) throw new ConsoleRequestError(503, `group ${groupId}: its coordinator does not answer`);
    if (g.members.length > 0)
      throw new ConsoleRequestError(
        409,
        `group ${groupId} has ${g.members.length} members: stop its consumers first`,
      );
    const layout = await this.layout(topic);
    if (partition !== undefined) partitionLeader(layout, partition, true);
    const chosen =
      partition !== undefined ? [partition] : [...layout.partitions.keys()].sort((a, b) => a - b);
    const led = chosen.map((p) => ({ topic, partition: p, leader: layout.partitions.get(p)! }));
    const ranges = await this.offsets(led);
    const byTime = to === 'timestamp' ? await this.requests.listOffsets(led, timestamp!) : undefined;
    const targets = chosen.map((p) => {
      const key = partitionKey(topic, p);
      const r = ranges.get(key)!;
      const clamp = (o: number) => Math.min(Math.max(o, r.logStartOffset), r.highWatermark);
      if (to === 'earliest') return r.logStartOffset;
      if (to === 'latest') return r.highWatermark;
      if (to === 'offset') return clamp(offset!);
      const found = byTime?.get(key) ?? -1;
      return found < 0 ? r.highWatermark : clamp(found);
    });
    const coordinator = await this.reader.coordinator(groupId);
    const before = await this.reader.committed(groupId, coordinator);
    const res = await this.requests.send(coordinator, OffsetCommitSchema, 7, {
      GroupId: groupId,
      GenerationIdOrMemberEpoch: -1,
      MemberId: '',
      GroupInstanceId: null,
      Topics: [
        {
          Name: topic,
          Partitions: chosen.map((p, i) => ({
            PartitionIndex: p,
            CommittedOffset: BigInt(targets[i]),
            CommittedLeaderEpoch: -1,
            CommittedMetadata: null,
          })),
        },
      ],
    });
    for (const p of res.Topics[0]?.Partitions ?? []) {
      if (p.ErrorCode === ErrorCode.UNKNOWN_MEMBER_ID || p.ErrorCode === ErrorCode.ILLEGAL_GENERATION)
        throw new ConsoleRequestError(409, `group ${groupId} has members again: stop its consumers first`);
      if (p.ErrorCode !== ErrorCode.NONE)
        throw kafkaError(p.ErrorCode, `reset ${groupId} on ${topic}-${p.PartitionIndex}`);
    }
    await this.sampler.sample();
    return {
      offsets: chosen.map((p, i) => ({
        topic,
        partition: p,
        before: before.get(partitionKey(topic, p)) ?? null,
        after: targets[i],
      })),
    };
  }

  // ---- brokers

  async brokerAction(nodeId: number, action: 'stop' | 'start'): Promise<BrokerActionResult> {
    const broker = this.options.broker;
    if (!broker)
      throw new ConsoleRequestError(
        404,
        'brokers can be stopped and started only on the embedded cluster the console runs with',
      );
    if (action !== 'stop' && action !== 'start')
      throw new ConsoleRequestError(400, `action must be stop or start, got ${String(action)}`);
    if (!broker.control.status().brokers.some((b) => b.nodeId === nodeId))
      throw new ConsoleRequestError(404, `no broker ${nodeId}`);
    const before = await this.leaders();
    await (action === 'stop' ? broker.control.stop(nodeId) : broker.control.start(nodeId));
    const after = await this.leaders();
    const leaderChanges: BrokerActionResult['leaderChanges'][number][] = [];
    for (const [key, was] of before) {
      const now = after.get(key);
      if (now === undefined || now.leader === was.leader) continue;
      leaderChanges.push({
        topic: was.topic,
        partition: was.partition,
        before: was.leader,
        after: now.leader,
      });
    }
    return { nodeId, action, leaderChanges };
  }

  async close(): Promise<void> {
    await this.sampler.stop();
    const producer = this.producer;
    this.producer = undefined;
    if (producer) await producer.then((p) => p.disconnect()).catch(() => undefined);
    this.requests.close();
  }

  // ---- helpers

  /** Brokers not to ask while another can answer: the embedded cluster's paused and stopped ones. */
  private unreachable(): ReadonlySet<number> {
    const status = this.options.broker?.control.status();
    return new Set((status?.brokers ?? []).filter((b) => b.state !== 'running').map((b) => b.nodeId));
  }

  /** A topic's partitions and leaders; an unknown topic is a 404. */
  private async layout(topic: string): Promise<TopicLayout> {
    const md = await this.requests.metadata([topic]);
    const t: MetadataTopic | undefined = md.Topics.find((x) => x.Name === topic);
    if (!t || t.ErrorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || t.Partitions.length === 0)
      throw new ConsoleRequestError(404, `no topic ${topic}`);
    if (t.ErrorCode === ErrorCode.INVALID_TOPIC_EXCEPTION)
      throw new ConsoleRequestError(400, `invalid topic name ${topic}`);
    return { name: topic, partitions: new Map(t.Partitions.map((p) => [p.PartitionIndex, p.LeaderId])) };
  }

  /** Log start and high watermark of each partition: asked of its leader, else known before, else 0. */
  private async offsets(
    led: readonly { topic: string; partition: number; leader: number }[],
  ): Promise<Map<string, { logStartOffset: number; highWatermark: number }>> {
    const avoid = this.unreachable();
    const reachable = led.filter((p) => p.leader >= 0 && !avoid.has(p.leader));
    const [starts, ends] = await Promise.all([
      this.requests.listOffsets(reachable, -2),
      this.requests.listOffsets(reachable, -1),
    ]);
    const out = new Map<string, { logStartOffset: number; highWatermark: number }>();
    for (const p of led) {
      const key = partitionKey(p.topic, p.partition);
      const start = starts.get(key);
      const end = ends.get(key);
      let o =
        start !== undefined && end !== undefined ? { logStartOffset: start, highWatermark: end } : undefined;
      o ??= this.fallbackOffsets(p.topic, p.partition);
      o ??= { logStartOffset: 0, highWatermark: 0 };
      this.lastOffsets.set(key, o);
      out.set(key, o);
    }
    return out;
  }

  private fallbackOffsets(
    topic: string,
    partition: number,
  ): { logStartOffset: number; highWatermark: number } | undefined {
    const stats = this.options.broker?.stats().topics.find((t) => t.name === topic)?.partitions[partition];
    if (stats) return { logStartOffset: stats.logStartOffset, highWatermark: stats.highWatermark };
    return this.lastOffsets.get(partitionKey(topic, partition));
  }

  private async leaders(): Promise<Map<string, { topic: string; partition: number; leader: number }>> {
    const md = await this.requests.metadata(null);
    const out = new Map<string, { topic: string; partition: number; leader: number }>();
    for (const t of md.Topics) {
      if (t.Name === null) continue;
      for (const p of t.Partitions)
        out.set(partitionKey(t.Name, p.PartitionIndex), {
          topic: t.Name,
          partition: p.PartitionIndex,
          leader: p.LeaderId,
        });
    }
    return out;
  }

  /**
   * Every group, as the sampler read it within the last round, or read now when it has nothing that
   * recent. For the tapes: a live topic view asks for each partition's tape once a second, and a
   * round of group reads per tape would multiply what the brokers answer by the partition count.
   */
  private async recentGroups(): Promise<readonly GroupRead[]> {
    const latest = this.sampler.latest;
    if (latest && Date.now() - latest.at <= SAMPLE_MS * 1.5) return latest.groups;
    return this.allGroups();
  }

  /** Every group the brokers list, read now. */
  private async allGroups(): Promise<GroupRead[]> {
    const md = await this.requests.metadata([]);
    return this.reader.read(await this.reader.list(md.Brokers.map((b) => b.NodeId)));
  }

  private async send(
    topic: string,
    message: {
      key: string | Buffer | null;
      value: string | Buffer | null;
      headers: readonly { key: string; value: Buffer | null }[];
      partition?: number;
    },
  ): Promise<ProduceResult> {
    const producer = await this.connectProducer();
    const headers: IHeaders = {};
    for (const h of message.headers) {
      const value = h.value as Buffer;
      const was = headers[h.key];
      headers[h.key] = was === undefined ? value : ([] as Buffer[]).concat(was as Buffer | Buffer[], value);
    }
    const [meta] = await producer.send({
      topic,
      acks: -1,
      timeout: TIMEOUT_MS,
      messages: [{ key: message.key, value: message.value, headers, partition: message.partition }],
    });
    return { topic, partition: meta.partition, offset: Number(meta.baseOffset ?? meta.offset) };
  }

  private connectProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const kafka = new Kafka({
        clientId: 'kw-console',
        brokers: [...this.options.bootstrapServers],
        logLevel: logLevel.NOTHING,
      });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      return producer;
    })();
    this.producer.catch(() => (this.producer = undefined));
    return this.producer;
  }
}

function summary(g: GroupRead): GroupSummary {
  return {
    groupId: g.groupId,
    state: g.state,
    protocolType: g.protocolType,
    members: g.members.length,
    topics: g.topics,
    lag: g.lag,
  };
}

/** The partition's leader; a partition the topic does not have is a 400. */
function partitionLeader(layout: TopicLayout, partition: number, leaderless = false): number {
  const leader = Number.isInteger(partition) ? layout.partitions.get(partition) : undefined;
  if (leader === undefined)
    throw new ConsoleRequestError(
      400,
      `topic ${layout.name} has partitions 0-${layout.partitions.size - 1}, not ${String(partition)}`,
    );
  if (leader < 0 && !leaderless)
    throw new ConsoleRequestError(503, `${layout.name}-${partition} has no leader: its brokers are down`);
  return leader;
}

function statsByPartition(stats: ReturnType<RunningBroker['stats']>): Map<string, PartitionStats> {
  const out = new Map<string, PartitionStats>();
  for (const t of stats.topics) for (const p of t.partitions) out.set(partitionKey(t.name, p.partition), p);
  return out;
}

function isOffset(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** A Kafka error as the console reports it: the error's name in the message, 400 for bad input. */
function kafkaError(code: number, what: string, message?: string | null): ConsoleRequestError {
  const name = errorName(code);
  const detail = message ? `${name}: ${message}` : name;
  const badInput = new Set<number>([
    ErrorCode.INVALID_TOPIC_EXCEPTION,
    ErrorCode.INVALID_PARTITIONS,
    ErrorCode.INVALID_REPLICATION_FACTOR,
    ErrorCode.INVALID_REPLICA_ASSIGNMENT,
    ErrorCode.INVALID_CONFIG,
    ErrorCode.INVALID_REQUEST,
    ErrorCode.POLICY_VIOLATION,
  ]);
  if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    return new ConsoleRequestError(404, `${what}: ${detail}`);
  if (badInput.has(code)) return new ConsoleRequestError(400, `${what}: ${detail}`);
  if (code === ErrorCode.TOPIC_ALREADY_EXISTS) return new ConsoleRequestError(409, `${what}: ${detail}`);
  return new ConsoleRequestError(503, `${what}: ${detail}`);
}
