/**
 * `kw topics create|list|describe|alter|delete`: Kafka's kafka-topics tool, renamed for humans.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, ITopicConfig } from 'kafkajs';
import {
  checkConnectionFlags,
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  isRefusal,
  noteOmissions,
  withAdmin,
  type ConnectionFlags,
} from './kafka-connection';
import {
  keyValueFlag,
  noExtraArguments,
  parseCommandArgs,
  reportUsage,
  usageError,
  wholeNumberFlag,
} from './arguments';
import type { Command, CommandIO } from './command';
import { table } from './table';
import { kafkaErrorType, topicNames, topicPartitions, unansweredBroker } from './topic-metadata';

const HELP = `Usage: kw topics create NAME [--partitions 1] [--replication-factor N] [--config key=value]...
       kw topics list
       kw topics describe NAME
       kw topics alter NAME --partitions N
       kw topics delete NAME

create    a topic with N partitions, each kept on R brokers (--replication-factor; without it the
          cluster's default.replication.factor, as kafka-topics.sh), and configs such as
          retention.ms=3600000
list      every topic
describe  partitions with their leader, replicas, in-sync replicas, first and next offset,
          and the topic's configs that differ from the defaults; while a broker is down, also
          the replicas on it (OFFLINE), and 'none' as the leader of a partition left without one;
          offsets and configs are left out while a broker they need is down or not yet fenced
alter     grows a topic to N partitions (Kafka cannot shrink a topic)
delete    a topic and every record in it

${CONNECTION_HELP}

Examples:
  kw topics create greetings --partitions 3
  kw topics create audit --config retention.ms=86400000 --config cleanup.policy=delete
  kw topics describe greetings
  kw topics alter greetings --partitions 6
  kw topics delete greetings`;

/**
 * Whether topic `name` shows up with a leader for every partition within a few seconds. On a cluster
 * of several brokers, the broker kafkajs asks for the new topic's leaders may not know of the topic
 * yet, and kafkajs gives up at once (UNKNOWN_TOPIC_OR_PARTITION) though the topic was created.
 */
async function announced(admin: Admin, flags: ConnectionFlags, name: string): Promise<boolean> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(200)) {
    const partitions = await topicPartitions(admin, flags, name).catch(() => undefined);
    if (partitions && partitions.length > 0 && partitions.every((p) => p.leader !== -1)) return true;
  }
  return false;
}

async function create(
  admin: Admin,
  flags: ConnectionFlags,
  topic: ITopicConfig,
  io: CommandIO,
): Promise<number> {
  try {
    const created = await admin.createTopics({ topics: [topic], waitForLeaders: true });
    if (!created) {
      io.err(`kw topics: topic '${topic.topic}' already exists (see 'kw topics describe ${topic.topic}')`);
      return 1;
    }
  } catch (error) {
    if (isRefusal(error)) throw error; // not authorized: withAdmin names the actions MSK checks
    const type = kafkaErrorType(error);
    if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' || !(await announced(admin, flags, topic.topic))) {
      const why =
        type === 'INVALID_TOPIC_EXCEPTION'
          ? "a topic name uses letters, digits, '.', '_' and '-', up to 249 characters"
          : type === 'INVALID_REPLICATION_FACTOR'
            ? `the replication factor${topic.replicationFactor === -1 ? '' : ` ${topic.replicationFactor}`} is more than the brokers the cluster has running`
            : type === 'INVALID_CONFIG'
              ? `the broker refused a config (${(topic.configEntries ?? []).map((c) => c.name).join(', ')}); check the names and values, e.g. retention.ms=3600000`
              : (type ?? (error as Error).message);
      io.err(`kw topics: cannot create '${topic.topic}': ${why}`);
      return 1;
    }
  }
  io.out(`created topic ${topic.topic} with ${topic.numPartitions} partition(s)`);
  return 0;
}

const noSuchTopic = (name: string) => `kw topics: no topic named '${name}' (see 'kw topics list')`;

async function exists(admin: Admin, flags: ConnectionFlags, name: string, io: CommandIO): Promise<boolean> {
  if ((await topicNames(admin, flags)).includes(name)) return true;
  io.err(noSuchTopic(name));
  return false;
}

/** What `describe` shows beside the partitions: offsets, changed configs, or why they are missing. */
interface TopicDetails {
  /** First (`low`) and next (`high`) offset by partition. */
  readonly offsets: ReadonlyMap<number, { readonly low: string; readonly high: string }>;
  /** Configs that differ from the defaults. */
  readonly changed: readonly { readonly configName: string; readonly configValue: string }[];
  /** Appended to the header line: why the offsets and configs are missing; empty when they are not. */
  readonly unavailable: string;
}

/**
 * The topic's offsets and changed configs; or neither, with why, when a broker Metadata still lists
 * (one stopped a moment ago, not yet fenced by the cluster) refuses the connection they need.
 */
async function offsetsAndConfigs(admin: Admin, name: string): Promise<TopicDetails> {
  try {
    const offsets = new Map((await admin.fetchTopicOffsets(name)).map((o) => [o.partition, o] as const));
    const changed = (
      await admin.describeConfigs({ resources: [{ type: 2, name }], includeSynonyms: false })
    ).resources[0].configEntries.filter((c) => !c.isDefault);
    return { offsets, changed, unavailable: '' };
  } catch (error) {
    const broker = unansweredBroker(error);
    if (broker === undefined) throw error;
    return {
      offsets: new Map(),
      changed: [],
      unavailable: `; offsets and configs unavailable: the broker at ${broker} did not answer (a broker that has just stopped stays in Metadata until the cluster fences it; try again in a few seconds)`,
    };
  }
}

async function describe(admin: Admin, flags: ConnectionFlags, name: string, io: CommandIO): Promise<number> {
  const partitions = await topicPartitions(admin, flags, name);
  if (!partitions) {
    io.err(noSuchTopic(name));
    return 1;
  }
  // A partition without a leader fails kafkajs' every request for the topic's offsets and configs:
  // the partitions are still shown, without them.
  const offline = partitions.filter((p) => p.leader === -1).length;
  const { offsets, changed, unavailable }: TopicDetails =
    offline > 0
      ? {
          offsets: new Map(),
          changed: [],
          unavailable: `; ${offline} offline (no leader: every in-sync replica is down), offsets and configs unavailable`,
        }
      : await offsetsAndConfigs(admin, name);
  io.out(
    `topic ${name}: ${partitions.length} partition(s)${changed.length > 0 ? `, ${changed.map((c) => `${c.configName}=${c.configValue}`).join(', ')}` : ''}${unavailable}`,
  );
  // The OFFLINE column appears while some replica's broker is down, as Kafka's OfflineReplicas.
  const withOffline = partitions.some((p) => p.offlineReplicas.length > 0);
  const rows = partitions.map((p) => [
    String(p.partitionId),
    p.leader === -1 ? 'none' : String(p.leader),
    p.replicas.join(','),
    p.isr.join(',') || '-',
    offsets.get(p.partitionId)?.low ?? '-',
    offsets.get(p.partitionId)?.high ?? '-',
    ...(withOffline ? [p.offlineReplicas.join(',') || '-'] : []),
  ]);
  const header = ['PARTITION', 'LEADER', 'REPLICAS', 'IN-SYNC', 'FIRST OFFSET', 'NEXT OFFSET'];
  io.out(table(withOffline ? [...header, 'OFFLINE'] : header, rows));
  return 0;
}

async function alter(
  admin: Admin,
  flags: ConnectionFlags,
  name: string,
  partitions: number,
  io: CommandIO,
): Promise<number> {
  const current = await topicPartitions(admin, flags, name);
  if (!current) {
    io.err(noSuchTopic(name));
    return 1;
  }
  if (partitions <= current.length) {
    io.err(
      `kw topics: '${name}' has ${current.length} partition(s); Kafka can only add partitions, so --partitions must be more than that`,
    );
    return 1;
  }
  await admin.createPartitions({ topicPartitions: [{ topic: name, count: partitions }] });
  io.out(`topic ${name} now has ${partitions} partition(s)`);
  return 0;
}

async function remove(admin: Admin, flags: ConnectionFlags, name: string, io: CommandIO): Promise<number> {
  if (!(await exists(admin, flags, name, io))) return 1;
  await admin.deleteTopics({ topics: [name] });
  io.out(`deleted topic ${name}`);
  return 0;
}

export const topicsCommand: Command = {
  help: HELP,
  async run(args, io) {
    const usage = usageError('topics', io);
    const parsed = parseCommandArgs(
      {
        args,
        allowPositionals: true,
        options: {
          ...CONNECTION_OPTIONS,
          partitions: { type: 'string' },
          'replication-factor': { type: 'string' },
          config: { type: 'string', multiple: true },
        },
      },
      usage,
    );
    if (parsed === 2) return 2;
    const [action, name, ...extra] = parsed.positionals;
    const v = parsed.values;
    const flags: ConnectionFlags = v;
    try {
      noExtraArguments(extra);
      checkConnectionFlags(flags);
      if (action !== 'list' && action !== undefined && name === undefined)
        return usage(`'${action}' needs a topic NAME`);
      switch (action) {
        case 'create': {
          const configEntries = keyValueFlag('--config', v.config).map(([key, value]) => ({
            name: key,
            value,
          }));
          const topic: ITopicConfig = {
            topic: name!,
            numPartitions: wholeNumberFlag('--partitions', v.partitions, 1) ?? 1,
            // -1: the cluster's default replication factor, as kafka-topics.sh asks without the flag.
            replicationFactor: wholeNumberFlag('--replication-factor', v['replication-factor'], 1) ?? -1,
            configEntries,
          };
          return (
            (await withAdmin({ operation: 'topics create', topic: name }, flags, io, (a) =>
              create(a, flags, topic, io),
            )) ?? 1
          );
        }
        case 'list':
          if (name !== undefined) return usage(`'list' takes no topic, got '${name}'`);
          return (
            (await withAdmin({ operation: 'topics list' }, flags, io, async (a) => {
              const topics = (await topicNames(a, flags)).filter((t) => !t.startsWith('__')).sort();
              io.out(topics.length > 0 ? topics.join('\n') : 'no topics');
              noteOmissions(flags, 'topics', io);
              return 0;
            })) ?? 1
          );
        case 'describe':
          return (
            (await withAdmin({ operation: 'topics describe', topic: name }, flags, io, (a) =>
              describe(a, flags, name!, io),
            )) ?? 1
          );
        case 'alter': {
          if (v.partitions === undefined) return usage("'alter' needs --partitions N");
          const partitions = wholeNumberFlag('--partitions', v.partitions, 1);
          return (
            (await withAdmin({ operation: 'topics alter', topic: name }, flags, io, (a) =>
              alter(a, flags, name!, partitions, io),
            )) ?? 1
          );
        }
        case 'delete':
          return (
            (await withAdmin({ operation: 'topics delete', topic: name }, flags, io, (a) =>
              remove(a, flags, name!, io),
            )) ?? 1
          );
        default:
          return usage(`expected create, list, describe, alter or delete, got '${action ?? ''}'`);
      }
    } catch (error) {
      return reportUsage(error, usage);
    }
  },
};
