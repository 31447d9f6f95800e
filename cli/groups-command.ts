/**
 * `kw groups list|describe|reset-offsets|delete`: consumer groups on any Kafka cluster (the embedded
 * broker by default), with each group's members, their partitions, committed offsets, end offsets and
 * lag. Offsets are reset with one OffsetCommit (group-offsets.ts) where kw's own client can connect.
 */
import { AssignerProtocol, type Admin } from 'kafkajs';
import {
  checkConnectionFlags,
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  isRefusal,
  noteOmissions,
  offsetOutsideRange,
  ownClientTarget,
  withAdmin,
  type ConnectionFlags,
} from './kafka-connection';
import { KafkaConnectionError } from '../local/runtime/kafka/wire-client';
import { commitGroupOffsets, GroupCommitError, whileCoordinatorNotReady } from './group-offsets';
import { noExtraArguments, parseCommandArgs, reportUsage, usageError, wholeNumberFlag } from './arguments';
import type { Command, CommandIO } from './command';
import { table } from './table';
import { kafkaErrorType } from './topic-metadata';

const HELP = `Usage: kw groups list
       kw groups describe GROUP
       kw groups reset-offsets GROUP --topic T (--to-earliest | --to-latest | --to-offset N) [--partition N]
       kw groups delete GROUP

list           every consumer group with its state and protocol
describe       a group's members and, per partition, the member reading it, the committed offset,
               the end offset and the lag (records not yet committed)
reset-offsets  moves a group's committed offsets (the group must have no running members)
delete         deletes a group and its committed offsets (it must have no running members)

${CONNECTION_HELP}

Examples:
  kw groups list
  kw groups describe kw-dev-enrich
  kw groups reset-offsets workers --topic orders --to-earliest
  kw groups reset-offsets workers --topic orders --partition 0 --to-offset 42
  kw groups delete workers`;

/**
 * Kafka's answers while a group's coordinator is being made, loaded or moved, by kafkajs' names for
 * them (Kafka's COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE and NOT_COORDINATOR).
 */
const COORDINATOR_NOT_READY: ReadonlySet<string> = new Set([
  'GROUP_LOAD_IN_PROGRESS',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
]);

/** The group's error in a failed kafkajs deleteGroups, which keeps it under `groups` rather than as its own type. */
function deleteGroupsErrorType(error: unknown): string | undefined {
  return (error as { groups?: { error?: { type?: string } }[] }).groups?.[0]?.error?.type;
}

/**
 * Runs a kafkajs call that goes to a group's coordinator, again while the coordinator is not ready (as
 * kw's own OffsetCommit does). A new cluster makes __consumer_offsets on the first FindCoordinator and
 * names its leader before that leader has loaded it (NOT_COORDINATOR); kafkajs gives up at once, where
 * Kafka's own kafka-consumer-groups looks again and retries.
 */
function atCoordinator<T>(call: () => Promise<T>): Promise<T> {
  return whileCoordinatorNotReady(call, (error) => {
    const type = kafkaErrorType(error) ?? deleteGroupsErrorType(error);
    return type !== undefined && COORDINATOR_NOT_READY.has(type);
  });
}

async function list(admin: Admin, flags: ConnectionFlags, io: CommandIO): Promise<number> {
  const { groups } = await admin.listGroups();
  noteOmissions(flags, 'groups', io);
  if (groups.length === 0) {
    io.out('no consumer groups');
    return 0;
  }
  const described = await atCoordinator(() => admin.describeGroups(groups.map((g) => g.groupId)));
  const rows = described.groups
    .map((g) => [g.groupId, g.state, g.protocolType || '-', String(g.members.length)])
    .sort((a, b) => a[0].localeCompare(b[0]));
  io.out(table(['GROUP', 'STATE', 'PROTOCOL TYPE', 'MEMBERS'], rows));
  return 0;
}

async function describe(admin: Admin, groupId: string, io: CommandIO): Promise<number> {
  const [group] = (await atCoordinator(() => admin.describeGroups([groupId]))).groups;
  const committed = await atCoordinator(() => admin.fetchOffsets({ groupId }));
  if (group.state === 'Dead' && committed.every((t) => t.partitions.every((p) => p.offset === '-1'))) {
    io.err(`kw groups: no group named '${groupId}' (see 'kw groups list')`);
    return 1;
  }
  const owner = new Map<string, string>();
  for (const m of group.members) {
    if (m.memberAssignment.length === 0) continue;
    const assignment = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
    for (const [topic, partitions] of Object.entries(assignment?.assignment ?? {})) {
      for (const p of partitions) owner.set(`${topic}:${p}`, `${m.clientId} (${m.clientHost})`);
    }
  }
  const rows: string[][] = [];
  let totalLag = 0;
  for (const t of committed) {
    const offsets = new Map((await admin.fetchTopicOffsets(t.topic)).map((o) => [o.partition, o]));
    for (const p of [...t.partitions].sort((a, b) => a.partition - b.partition)) {
      const end = Number(offsets.get(p.partition)?.high ?? 0);
      const start = Number(offsets.get(p.partition)?.low ?? 0);
      const offset = Number(p.offset);
      // With nothing committed the group would start at the log start (earliest), not at offset 0.
      const lag = offset >= 0 ? end - offset : end - start;
      totalLag += lag;
      rows.push([
        t.topic,
        String(p.partition),
        owner.get(`${t.topic}:${p.partition}`) ?? '-',
        offset >= 0 ? String(offset) : '-',
        String(end),
        String(lag),
      ]);
    }
  }
  io.out(
    `group ${groupId}: ${group.state}, ${group.members.length} member(s), protocol ${group.protocol || '-'}, total lag ${totalLag}`,
  );
  if (rows.length > 0) io.out(table(['TOPIC', 'PARTITION', 'MEMBER', 'COMMITTED', 'END', 'LAG'], rows));
  else if (group.members.length > 0) {
    // Running but nothing committed yet: show who holds which partitions.
    const byMember = new Map<string, string[]>();
    for (const [key, member] of owner) byMember.set(member, [...(byMember.get(member) ?? []), key]);
    io.out(
      table(
        ['MEMBER', 'PARTITIONS'],
        group.members.map((m) => {
          const name = `${m.clientId} (${m.clientHost})`;
          return [name, (byMember.get(name) ?? []).sort().join(' ') || '-'];
        }),
      ),
    );
    io.out('no committed offsets yet');
  } else io.out('no committed offsets');
  return 0;
}

/** Moves the group's offsets on one topic (all partitions, or one) to earliest, latest or N. */
async function resetOffsets(
  admin: Admin,
  flags: ConnectionFlags,
  groupId: string,
  options: { topic: string; partition?: number; to: 'earliest' | 'latest' | number },
  io: CommandIO,
): Promise<number> {
  const [group] = (await atCoordinator(() => admin.describeGroups([groupId]))).groups;
  if (group.members.length > 0) {
    io.err(
      `kw groups: group '${groupId}' has ${group.members.length} running member(s); stop them first (offsets of a live group would be overwritten by its next commit)`,
    );
    return 1;
  }
  const ends = await admin.fetchTopicOffsets(options.topic).catch(() => undefined);
  if (!ends) {
    io.err(`kw groups: no topic named '${options.topic}' (see 'kw topics list')`);
    return 1;
  }
  const partitions = ends.filter((p) => options.partition === undefined || p.partition === options.partition);
  if (partitions.length === 0) {
    io.err(
      `kw groups: topic '${options.topic}' has no partition ${options.partition} (partitions 0-${ends.length - 1})`,
    );
    return 1;
  }
  const rows: string[][] = [];
  const offsets: { partition: number; offset: string }[] = [];
  for (const p of partitions) {
    const target = options.to === 'earliest' ? p.low : options.to === 'latest' ? p.high : String(options.to);
    const outside = offsetOutsideRange(p.partition, target, p);
    if (outside) {
      io.err(`kw groups: ${outside}`);
      return 1;
    }
    rows.push([options.topic, String(p.partition), target]);
    offsets.push({ partition: p.partition, offset: target });
  }
  const own = ownClientTarget(flags);
  if (!own) {
    await atCoordinator(() => admin.setOffsets({ groupId, topic: options.topic, partitions: offsets }));
  } else {
    try {
      await commitGroupOffsets(own, groupId, options.topic, offsets);
    } catch (error) {
      // A refusal goes on to withAdmin, which names the actions MSK checks; anything else is said here.
      if (isRefusal(error) || !(error instanceof GroupCommitError || error instanceof KafkaConnectionError))
        throw error;
      io.err(`kw groups: ${error.message}`);
      return 1;
    }
  }
  if (group.state === 'Dead') {
    // Kafka creates the group; a misspelt name would otherwise "work" silently.
    io.err(`kw groups: note: there was no group named '${groupId}'; it now exists with these offsets`);
  }
  io.out(table(['TOPIC', 'PARTITION', 'NEW OFFSET'], rows));
  return 0;
}

async function deleteGroup(admin: Admin, groupId: string, io: CommandIO): Promise<number> {
  try {
    await atCoordinator(() => admin.deleteGroups([groupId]));
  } catch (error) {
    if (isRefusal(error)) throw error; // not authorized: withAdmin names the actions MSK checks
    const cause = deleteGroupsErrorType(error);
    io.err(
      cause === 'GROUP_ID_NOT_FOUND'
        ? `kw groups: no group named '${groupId}' (see 'kw groups list')`
        : cause === 'NON_EMPTY_GROUP'
          ? `kw groups: group '${groupId}' has running members; stop them first`
          : `kw groups: cannot delete '${groupId}': ${cause ?? (error as Error).message}`,
    );
    return 1;
  }
  io.out(`deleted group ${groupId}`);
  return 0;
}

export const groupsCommand: Command = {
  help: HELP,
  async run(args, io) {
    const usage = usageError('groups', io);
    const parsed = parseCommandArgs(
      {
        args,
        allowPositionals: true,
        options: {
          ...CONNECTION_OPTIONS,
          topic: { type: 'string' },
          partition: { type: 'string' },
          'to-earliest': { type: 'boolean', default: false },
          'to-latest': { type: 'boolean', default: false },
          'to-offset': { type: 'string' },
        },
      },
      usage,
    );
    if (parsed === 2) return 2;
    const [action, groupId, ...extra] = parsed.positionals;
    const flags: ConnectionFlags = parsed.values;
    const v = parsed.values;
    try {
      noExtraArguments(extra);
      checkConnectionFlags(flags);
      switch (action) {
        case 'list':
          if (groupId !== undefined) return usage(`'list' takes no group, got '${groupId}'`);
          return (await withAdmin({ operation: 'groups list' }, flags, io, (a) => list(a, flags, io))) ?? 1;
        case 'describe':
          if (groupId === undefined) return usage("'describe' needs a GROUP");
          return (
            (await withAdmin({ operation: 'groups describe', group: groupId }, flags, io, (a) =>
              describe(a, groupId, io),
            )) ?? 1
          );
        case 'delete':
          if (groupId === undefined) return usage("'delete' needs a GROUP");
          return (
            (await withAdmin({ operation: 'groups delete', group: groupId }, flags, io, (a) =>
              deleteGroup(a, groupId, io),
            )) ?? 1
          );
        case 'reset-offsets': {
          if (groupId === undefined) return usage("'reset-offsets' needs a GROUP");
          if (!v.topic) return usage("'reset-offsets' needs --topic T");
          const targets = [v['to-earliest'], v['to-latest'], v['to-offset'] !== undefined].filter(
            Boolean,
          ).length;
          if (targets !== 1) return usage('give exactly one of --to-earliest, --to-latest, --to-offset N');
          const offset = wholeNumberFlag('--to-offset', v['to-offset'], 0, 'an offset (an integer ≥ 0)');
          const partition = wholeNumberFlag('--partition', v.partition, 0);
          const to = offset ?? (v['to-earliest'] ? 'earliest' : 'latest');
          return (
            (await withAdmin(
              { operation: 'groups reset-offsets', topic: v.topic, group: groupId },
              flags,
              io,
              (a) => resetOffsets(a, flags, groupId, { topic: v.topic!, partition, to }, io),
            )) ?? 1
          );
        }
        default:
          return usage(
            `expected list, describe GROUP, reset-offsets GROUP or delete GROUP, got '${parsed.positionals.join(' ')}'`,
          );
      }
    } catch (error) {
      return reportUsage(error, usage);
    }
  },
};
