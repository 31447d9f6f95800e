/**
 * The Kafka side of the local runtime: the embedded broker it starts, or an existing cluster it is
 * pointed at (`kw up --bootstrap`), the template's topics there, and the offsets the live summary
 * shows. On an existing cluster nothing is started or stopped: topics are created when missing and
 * otherwise used as they are, since they belong to whoever runs the cluster.
 */
import { Kafka } from 'kafkajs';
import * as path from 'node:path';
import { startBroker, type RunningBroker } from '../broker/broker';
import type { CloudAssemblyView } from './assembly';
import { probeCluster, type ClusterSummary } from './kafka/bootstrap';

/** The Kafka cluster the pipeline runs on. */
export interface KafkaClusterInfo {
  /** Started by this runtime, or one that was there already (--bootstrap). */
  readonly kind: 'embedded' | 'existing';
  /** The cluster id Metadata reports (existing clusters). */
  readonly clusterId?: string;
  readonly brokers: number;
}

/** Where the runtime's Kafka is. */
export interface KafkaTarget {
  readonly info: KafkaClusterInfo;
  /** The embedded broker; undefined on an existing cluster. */
  readonly broker: RunningBroker | undefined;
  readonly bootstrap: readonly string[];
  /** One line for the start-up log: where Kafka listens, or what the cluster said about itself. */
  readonly description: string;
  /** Stops the embedded broker; leaves an existing cluster alone. */
  close(): Promise<void>;
}

export interface KafkaTargetOptions {
  readonly host: string;
  /** Embedded broker's first port. @default 9092 */
  readonly brokerPort?: number;
  /** Embedded brokers. @default 1 */
  readonly brokers?: number;
  /** An existing cluster instead (excludes brokerPort and brokers). */
  readonly bootstrapServers?: readonly string[];
  /** What probeCluster found at bootstrapServers, when the caller asked already. */
  readonly probedCluster?: ClusterSummary;
  /** The embedded broker keeps its data under `broker/` here. */
  readonly dataDir?: string;
}

/** Starts the embedded broker, or checks that the existing cluster answers (throws BootstrapError if not). */
export async function startKafkaTarget(options: KafkaTargetOptions): Promise<KafkaTarget> {
  if (options.bootstrapServers) {
    if (options.brokers !== undefined || options.brokerPort !== undefined)
      throw new Error('an existing cluster (bootstrapServers) excludes brokerPort and brokers');
    const bootstrap = options.bootstrapServers;
    const summary = options.probedCluster ?? (await probeCluster(bootstrap));
    return {
      info: { kind: 'existing', clusterId: summary.clusterId ?? undefined, brokers: summary.brokers.length },
      broker: undefined,
      bootstrap,
      description:
        `Kafka cluster ${summary.clusterId ?? '(no id)'} answers at ${summary.answeredBy}: ` +
        `${summary.brokers.length} broker(s), ${summary.brokers.map((b) => `node ${b.nodeId} at ${b.address}`).join(', ')}`,
      close: async () => undefined,
    };
  }
  const { host } = options;
  const brokerPort = options.brokerPort ?? 9092;
  const broker = await startBroker({
    port: brokerPort,
    host,
    brokers: options.brokers,
    dataDir: options.dataDir ? path.join(options.dataDir, 'broker') : undefined,
    log: () => undefined,
  }).catch((error: Error) => {
    if (!/already in use/.test(error.message)) throw error;
    throw new Error(
      `Kafka port ${brokerPort} on ${host} is already in use (a 'kw broker' or another 'kw up'?): stop it or pass --broker-port`,
    );
  });
  return {
    info: { kind: 'embedded', brokers: broker.ports.length },
    broker,
    bootstrap: broker.bootstrapServers.split(','),
    description: `broker listening on ${broker.bootstrapServers}`,
    close: () => broker.close(),
  };
}

/**
 * Creates the template's topics where missing, with their partitions and configs. The replication
 * factor is the template's (AWS::MSK::Topic states one; -1 leaves it to the cluster's default), lowered
 * to the number of brokers when there are fewer. An existing topic with fewer partitions than the
 * template says is grown on the embedded broker (it is this runtime's own) but only reported on an
 * existing cluster, whose topics belong to whoever runs it. Resolves to warnings for the ready block.
 */
export async function createTopics(
  assembly: CloudAssemblyView,
  admin: ReturnType<Kafka['admin']>,
  log: (message: string) => void,
  cluster: { readonly existing: boolean; readonly brokers: number },
): Promise<string[]> {
  const warnings: string[] = [];
  const existing = new Map(
    (await admin.fetchTopicMetadata()).topics.map((t) => [t.name, t.partitions.length] as const),
  );
  const missing = assembly.topics.filter((t) => !existing.has(t.name));
  const replicationOf = (t: (typeof assembly.topics)[number]) => {
    if (t.replicationFactor <= cluster.brokers) return t.replicationFactor;
    log(
      `topic ${t.name}: replication factor ${t.replicationFactor} in the template, ${cluster.brokers} broker(s) here: using ${cluster.brokers}`,
    );
    return cluster.brokers;
  };
  if (missing.length > 0) {
    // Leaders are waited for below: kafkajs's own wait gives up on a moment Apache Kafka goes through.
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: replicationOf(t),
        configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
      })),
    });
    await untilLed(
      admin,
      missing.map((t) => t.name),
    );
  }
  for (const t of assembly.topics) {
    const had = existing.get(t.name);
    if (had === undefined) {
      log(`topic ${t.name}: created (${t.partitions} partitions)`);
    } else if (had >= t.partitions) {
      log(`topic ${t.name}: kept (${had} partitions)`);
    } else if (cluster.existing) {
      const warning = `topic ${t.name} has ${had} partition(s) on the cluster, the template says ${t.partitions}: used as it is (grow it with 'kw topics alter ${t.name} --partitions ${t.partitions}')`;
      log(warning);
      warnings.push(warning);
    } else {
      await admin.createPartitions({ topicPartitions: [{ topic: t.name, count: t.partitions }] });
      log(`topic ${t.name}: grown from ${had} to ${t.partitions} partitions`);
    }
  }
  return warnings;
}

/**
 * Resolves once every partition of `topics` has a leader. kafkajs's own waitForLeaders gives up when a
 * broker of a multi-node cluster answers before it has heard of a new topic (UNKNOWN_TOPIC_OR_PARTITION),
 * which Apache Kafka does for a moment after CreateTopics; that answer is waited out here too.
 */
async function untilLed(
  admin: ReturnType<Kafka['admin']>,
  topics: string[],
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      const leaderless = found.filter(
        (t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0),
      );
      if (leaderless.length === 0) return;
      last = `no leader yet for ${leaderless.map((t) => t.name).join(', ')}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`topics ${topics.join(', ')} were created but ${last} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Runs an admin call again while the cluster answers with an error Kafka marks retriable, such as a
 * group coordinator still loading the offsets topic, which a new Apache Kafka cluster answers for a
 * few seconds after a group is first asked about and which kafkajs's admin passes on.
 */
async function whileRetriable<T>(what: string, call: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      // kafkajs wraps the broker's error once its own retries run out.
      const e = error as { retriable?: boolean; cause?: { retriable?: boolean } };
      const retriable = e.retriable === true || e.cause?.retriable === true;
      if (!retriable || Date.now() > deadline) throw new Error(`${what}: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** Consumer groups of the mappings that already hold committed offsets for their topic. */
export async function groupsWithOffsets(
  assembly: CloudAssemblyView,
  admin: ReturnType<Kafka['admin']>,
): Promise<string[]> {
  const found: string[] = [];
  for (const m of assembly.mappings) {
    const offsets = await whileRetriable(`offsets of group ${m.consumerGroupId}`, () =>
      admin.fetchOffsets({ groupId: m.consumerGroupId, topics: [m.topic] }),
    );
    if (offsets.some((t) => t.partitions.some((p) => Number(p.offset) >= 0))) found.push(m.consumerGroupId);
  }
  return found;
}

/** Log start and end offsets of each partition of a topic, for the live summary. */
export interface TopicOffsets {
  /** Topics to show. */
  topics(): string[];
  /** By partition index; undefined for a topic not (yet) known. */
  partitions(topic: string): readonly { readonly low: number; readonly high: number }[] | undefined;
}

/** Read straight from the embedded broker's state, so lag never trails. */
export function embeddedOffsets(broker: RunningBroker): TopicOffsets {
  return {
    topics: () => [...broker.cluster.topics.keys()].filter((name) => !name.startsWith('__')),
    partitions: (topic) =>
      broker.cluster.topics
        .get(topic)
        ?.partitions.map((p) => ({ low: p.log.logStartOffset, high: p.log.highWatermark })),
  };
}

/**
 * Asked of an existing cluster once a second (ListOffsets through the admin client), for the topics
 * the app declares; a round that fails (a broker restarting) keeps the last figures.
 */
export async function clusterOffsets(
  admin: ReturnType<Kafka['admin']>,
  topics: readonly string[],
  onClose: (run: () => Promise<unknown>) => void,
): Promise<TopicOffsets> {
  const known = new Map<string, { low: number; high: number }[]>();
  let busy = false;
  const refresh = async () => {
    if (busy) return;
    busy = true;
    try {
      for (const topic of topics) {
        const offsets = await admin.fetchTopicOffsets(topic);
        known.set(
          topic,
          offsets
            .sort((a, b) => a.partition - b.partition)
            .map((p) => ({ low: Number(p.low), high: Number(p.high) })),
        );
      }
    } catch {
      // Kept from the last round; the next one tries again.
    } finally {
      busy = false;
    }
  };
  await refresh();
  const timer = setInterval(() => void refresh(), 1000);
  onClose(async () => clearInterval(timer));
  return { topics: () => [...topics], partitions: (topic) => known.get(topic) };
}
