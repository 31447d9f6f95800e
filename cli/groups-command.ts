/**
 * `kw groups list|describe`: consumer groups on any Kafka cluster (the embedded broker by default),
 * with each group's members, their partitions, committed offsets, end offsets and lag.
 */
import { AssignerProtocol, Kafka, logLevel, type Admin } from 'kafkajs';
import { parseArgs } from 'node:util';
import type { Command, CommandIO } from './main';

const HELP = `Usage: kw groups list [--bootstrap HOST:PORT]
       kw groups describe GROUP [--bootstrap HOST:PORT]

list      every consumer group with its state and protocol
describe  a group's members and, per partition, the member reading it, the committed offset,
          the end offset and the lag (records not yet committed)

Options:
  --bootstrap H:P   a broker to start from  [default: 127.0.0.1:9092]

Examples:
  kw groups list
  kw groups describe kw-dev-enrich --bootstrap 127.0.0.1:19092`;

/** Renders rows as a left-aligned text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

async function withAdmin<T>(
  bootstrap: string,
  io: CommandIO,
  work: (admin: Admin) => Promise<T>,
): Promise<T | undefined> {
  const admin = new Kafka({
    clientId: 'kw-groups',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 1 },
    connectionTimeout: 3000,
  }).admin();
  try {
    await admin.connect();
  } catch {
    io.err(
      `kw groups: cannot reach a Kafka broker at ${bootstrap}. Start one with 'kw broker' (or 'npm start'), or pass --bootstrap HOST:PORT.`,
    );
    return undefined;
  }
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

async function list(admin: Admin, io: CommandIO): Promise<number> {
  const { groups } = await admin.listGroups();
  if (groups.length === 0) {
    io.out('no consumer groups');
    return 0;
  }
  const described = await admin.describeGroups(groups.map((g) => g.groupId));
  const rows = described.groups
    .map((g) => [g.groupId, g.state, g.protocolType || '-', String(g.members.length)])
    .sort((a, b) => a[0].localeCompare(b[0]));
  io.out(table(['GROUP', 'STATE', 'PROTOCOL TYPE', 'MEMBERS'], rows));
  return 0;
}

async function describe(admin: Admin, groupId: string, io: CommandIO): Promise<number> {
  const [group] = (await admin.describeGroups([groupId])).groups;
  const committed = await admin.fetchOffsets({ groupId });
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
  io.out(
    rows.length > 0
      ? table(['TOPIC', 'PARTITION', 'MEMBER', 'COMMITTED', 'END', 'LAG'], rows)
      : 'no committed offsets',
  );
  return 0;
}

export const groupsCommand: Command = {
  summary: 'list consumer groups, or describe one with its lag per partition',
  help: HELP,
  async run(args, io) {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: { bootstrap: { type: 'string', default: '127.0.0.1:9092' } },
      });
    } catch (error) {
      io.err(`kw groups: ${(error as Error).message}\nRun 'kw groups --help' for usage.`);
      return 2;
    }
    const [action, groupId, ...extra] = parsed.positionals;
    const bootstrap = parsed.values.bootstrap;
    if (action === 'list' && groupId === undefined)
      return (await withAdmin(bootstrap, io, (a) => list(a, io))) ?? 1;
    if (action === 'describe' && groupId !== undefined && extra.length === 0) {
      return (await withAdmin(bootstrap, io, (a) => describe(a, groupId, io))) ?? 1;
    }
    io.err(
      `kw groups: expected 'list' or 'describe GROUP', got '${parsed.positionals.join(' ')}'\nRun 'kw groups --help' for usage.`,
    );
    return 2;
  },
};
