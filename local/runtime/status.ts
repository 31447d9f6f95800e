/**
 * The live summary's figures: records per topic, each mapping's lag, function calls and dead letters.
 * Offsets come from the embedded broker's stats, or, on an existing cluster, from ListOffsets asked
 * once a second.
 */
import type { Kafka } from 'kafkajs';
import type { RunningBroker } from '../broker/broker';
import type { CloudAssemblyView } from './assembly';
import { StopPhase, type Lifecycle } from './lifecycle';
import { shortName, type RunningFunction } from './provisioning/functions';
import type { RunningMapping } from './provisioning/mappings';

/** Figures for the live summary. */
export interface RuntimeSnapshot {
  readonly topics: { name: string; records: number }[];
  readonly mappings: {
    name: string;
    topic: string;
    group: string;
    lag: number;
    toDestination: number;
    dropped: number;
    /** AWS's LastProcessingResult: `OK`, `No records processed`, or a `PROBLEM: ...` text. */
    lastProcessingResult: string;
  }[];
  readonly functions: {
    name: string;
    invocations: number;
    errors: number;
    timeouts: number;
    crashes: number;
    /** Invocations that had to start an environment. */
    coldStarts: number;
  }[];
  /** Records on dead-letter topics and on-failure destinations. */
  readonly deadLetters: number;
}

/** Log start and end offset of one partition. */
interface PartitionOffsets {
  readonly low: number;
  readonly high: number;
}

/** Where the summary reads offsets: by topic to show, each topic's partitions by index. */
type TopicOffsets = () => ReadonlyMap<string, readonly PartitionOffsets[]>;

/** Read from the embedded broker's stats at each snapshot, so lag never trails. */
function embeddedOffsets(broker: RunningBroker): TopicOffsets {
  return () =>
    new Map(
      broker
        .stats()
        .topics.filter((t) => !t.name.startsWith('__'))
        .map((t) => [t.name, t.partitions.map((p) => ({ low: p.logStartOffset, high: p.highWatermark }))]),
    );
}

/**
 * Asked of an existing cluster once a second (ListOffsets through the admin client), for the topics
 * the app declares; a round that fails (a broker restarting) keeps the last figures.
 */
async function clusterOffsets(
  admin: ReturnType<Kafka['admin']>,
  topics: readonly string[],
  lifecycle: Lifecycle,
): Promise<TopicOffsets> {
  const known = new Map<string, PartitionOffsets[]>();
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
  lifecycle.onStop(StopPhase.stopPollers, async () => clearInterval(timer));
  return () => new Map(topics.map((topic) => [topic, known.get(topic) ?? []]));
}

const DEAD_LETTER_NAME = /(^|[.\-_])(dlq|dead-?letters?)($|[.\-_])/i;

export interface StatusSources {
  readonly assembly: CloudAssemblyView;
  /** The embedded broker, read directly; undefined on an existing cluster, which `admin` asks. */
  readonly broker: RunningBroker | undefined;
  readonly admin: ReturnType<Kafka['admin']>;
  readonly functions: ReadonlyMap<string, RunningFunction>;
  readonly mappings: readonly RunningMapping[];
}

/** Starts reading offsets and resolves to a function that takes a snapshot. */
export async function runtimeStatus(
  sources: StatusSources,
  lifecycle: Lifecycle,
): Promise<() => RuntimeSnapshot> {
  const { assembly, broker, functions, mappings } = sources;
  const onFailureTopics = new Set(
    assembly.mappings.flatMap((m) => (m.onFailure?.kind === 'kafka' ? [m.onFailure.topic] : [])),
  );
  const readOffsets = broker
    ? embeddedOffsets(broker)
    : await clusterOffsets(
        sources.admin,
        [...new Set([...assembly.topics.map((t) => t.name), ...onFailureTopics])],
        lifecycle,
      );
  return () => {
    const offsets = readOffsets();
    const topics = [...offsets]
      .map(([name, partitions]) => ({
        name,
        records: partitions.reduce((sum, p) => sum + (p.high - p.low), 0),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const fileDestinations = mappings.reduce(
      (sum, m) =>
        sum +
        (m.spec.onFailure && m.spec.onFailure.kind !== 'kafka' ? m.poller.stats.recordsToDestination : 0),
      0,
    );
    const lagOf = (m: RunningMapping) =>
      (offsets.get(m.spec.topic) ?? []).reduce((sum, p, index) => {
        const committed = m.poller.stats.committed.get(index) ?? p.low;
        return sum + Math.max(0, p.high - Math.max(committed, p.low));
      }, 0);
    return {
      topics,
      mappings: mappings.map((m) => ({
        name: `${shortName(functions.get(m.spec.functionId)!.spec)} ← ${m.spec.topic}`,
        topic: m.spec.topic,
        group: m.spec.consumerGroupId,
        lag: lagOf(m),
        toDestination: m.poller.stats.recordsToDestination,
        dropped: m.poller.stats.recordsDropped,
        lastProcessingResult: m.poller.lastProcessingResult,
      })),
      functions: [...functions.values()].map((f) => ({ name: shortName(f.spec), ...f.pool.stats })),
      deadLetters:
        topics
          .filter((t) => onFailureTopics.has(t.name) || DEAD_LETTER_NAME.test(t.name))
          .reduce((sum, t) => sum + t.records, 0) + fileDestinations,
    };
  };
}
