/**
 * The Kafka side of provisioning: the template's topics on the cluster (created when missing; an
 * existing cluster's topics belong to whoever runs it and are used as they are), the on-failure
 * topics mappings write to, and what an existing cluster remembers of the mappings' groups.
 */
import type { Kafka } from 'kafkajs';
import type { CloudAssemblyView, LocalTopicSpec } from '../assembly';
import type { TopicChange } from '../iam/topic-admin-grants';
import type { KafkaClusterInfo } from '../kafka-target';

type Admin = ReturnType<Kafka['admin']>;

/**
 * Who may change a topic, with IAM enforced: throws, naming the missing permissions, when whatever
 * creates `topic` on AWS (its custom resource's function) could not apply `change` to it.
 */
export type TopicAdminCheck = (topic: LocalTopicSpec, change: TopicChange) => void;

/**
 * Creates the template's topics and checks the mappings' on-failure topics; resolves to warnings for
 * the ready block. With `checkAdmin`, every topic is checked before anything is created, as the
 * stack's deployment would stop at the first topic its custom resource may not create.
 */
export async function provisionTopics(
  assembly: CloudAssemblyView,
  admin: Admin,
  cluster: KafkaClusterInfo,
  log: (message: string) => void,
  checkAdmin?: TopicAdminCheck,
): Promise<string[]> {
  const warnings = await createTopics(assembly, admin, log, {
    existing: cluster.kind === 'existing',
    brokers: cluster.brokers,
    checkAdmin,
  });
  await checkOnFailureTopics(assembly, admin);
  return warnings;
}

/**
 * A warning when the mappings' groups on an existing cluster resume from offsets an earlier run
 * committed while the tables start empty: the records before those offsets will not reach them.
 */
export async function resumedGroupsWarning(
  assembly: CloudAssemblyView,
  admin: Admin,
): Promise<string | undefined> {
  const resumed = await groupsWithOffsets(assembly, admin);
  if (resumed.length === 0) return undefined;
  return (
    `groups ${resumed.join(', ')} resume from offsets an earlier run committed on this cluster, but ` +
    `the tables start empty: records before those offsets will not be in them (keep tables ` +
    `across runs with --data-dir, or start the groups over with 'kw groups reset-offsets')`
  );
}

/**
 * A Kafka on-failure destination must be another topic that exists: otherwise every failed record
 * would be retried against it forever and block its partition.
 */
async function checkOnFailureTopics(assembly: CloudAssemblyView, admin: Admin): Promise<void> {
  const topics = new Set(await admin.listTopics());
  for (const m of assembly.mappings) {
    if (m.onFailure?.kind !== 'kafka') continue;
    if (m.onFailure.topic === m.topic) {
      throw new Error(
        `${m.name}: the on-failure topic is the topic the mapping reads (${m.topic}); AWS refuses this`,
      );
    }
    if (!topics.has(m.onFailure.topic)) {
      throw new Error(
        `${m.name}: on-failure topic ${m.onFailure.topic} does not exist: declare it among the app's topics`,
      );
    }
  }
}

/** How a topic is created here: the template's replication, lowered to what the brokers present hold. */
export interface TopicCreation {
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
  /** What was lowered, for the log: from `replication factor 3 and min.insync.replicas 2` to `1 and 1`. */
  readonly lowered?: { readonly from: string; readonly to: string };
}

/**
 * The template's replication factor and `min.insync.replicas` for a cluster of `brokers`: a factor above
 * the number of brokers is lowered to it (no cluster places two replicas on one broker), and
 * `min.insync.replicas` above the factor to the factor (acks=all writes could never succeed). -1
 * leaves the factor to the cluster's default, and its min.insync.replicas as stated.
 */
export function topicCreation(topic: LocalTopicSpec, brokers: number): TopicCreation {
  const stated = topic.replicationFactor;
  const replicationFactor = stated > brokers ? brokers : stated;
  const minIsrText = topic.configs['min.insync.replicas'];
  const minIsr = minIsrText === undefined ? undefined : Number(minIsrText);
  const cap = replicationFactor > 0 ? replicationFactor : Infinity;
  if (minIsr === undefined || !Number.isInteger(minIsr) || minIsr <= cap) {
    if (replicationFactor === stated) return { replicationFactor, configs: topic.configs };
    return {
      replicationFactor,
      configs: topic.configs,
      lowered: { from: `replication factor ${stated}`, to: String(replicationFactor) },
    };
  }
  return {
    replicationFactor,
    configs: { ...topic.configs, 'min.insync.replicas': String(replicationFactor) },
    lowered: {
      from: `replication factor ${stated} and min.insync.replicas ${minIsr}`,
      to: `${replicationFactor} and ${replicationFactor}`,
    },
  };
}

/**
 * Creates the template's topics where missing, with their partitions, configs and replication
 * ({@link topicCreation}: lowered to the brokers present, said once per kind of change). An existing
 * topic with fewer partitions than the template says is grown on the embedded broker (it is this
 * runtime's own) but only reported on an existing cluster, whose topics belong to whoever runs it.
 * Resolves to warnings for the ready block.
 */
async function createTopics(
  assembly: CloudAssemblyView,
  admin: Admin,
  log: (message: string) => void,
  cluster: { readonly existing: boolean; readonly brokers: number; readonly checkAdmin?: TopicAdminCheck },
): Promise<string[]> {
  const warnings: string[] = [];
  const existing = new Map(
    (await admin.fetchTopicMetadata()).topics.map((t) => [t.name, t.partitions.length] as const),
  );
  for (const t of assembly.topics) {
    const had = existing.get(t.name);
    cluster.checkAdmin?.(t, had === undefined ? 'create' : had < t.partitions ? 'grow' : 'keep');
  }
  const missing = assembly.topics.filter((t) => !existing.has(t.name));
  const creations = new Map(missing.map((t) => [t.name, topicCreation(t, cluster.brokers)] as const));
  // One line per kind of change, not per topic: every topic of the default app is lowered alike.
  const lowered = new Map<string, string[]>();
  for (const [name, { lowered: change }] of creations) {
    if (!change) continue;
    const line = `${change.from} in the template; created with ${change.to} (${cluster.brokers} broker${cluster.brokers === 1 ? '' : 's'} here)`;
    lowered.set(line, [...(lowered.get(line) ?? []), name]);
  }
  for (const [line, names] of lowered)
    log(`${names.length === 1 ? 'topic' : 'topics'} ${names.join(', ')}: ${line}`);
  if (missing.length > 0) {
    // Leaders are waited for below: kafkajs's own wait gives up on a moment Apache Kafka goes through.
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((t) => {
        const c = creations.get(t.name)!;
        return {
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: c.replicationFactor,
          configEntries: Object.entries(c.configs).map(([name, value]) => ({ name, value })),
        };
      }),
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
async function untilLed(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
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
async function groupsWithOffsets(assembly: CloudAssemblyView, admin: Admin): Promise<string[]> {
  const found: string[] = [];
  for (const m of assembly.mappings) {
    const offsets = await whileRetriable(`offsets of group ${m.consumerGroupId}`, () =>
      admin.fetchOffsets({ groupId: m.consumerGroupId, topics: [m.topic] }),
    );
    if (offsets.some((t) => t.partitions.some((p) => Number(p.offset) >= 0))) found.push(m.consumerGroupId);
  }
  return found;
}
