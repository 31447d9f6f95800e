/**
 * Consumer groups with kafkajs members in separate processes: partitions split, move when a member
 * joins, move again after a member dies without leaving (session timeout), nothing is lost, and
 * restarted members resume from the committed offsets. `kw groups describe` shows the lag.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import { main, type CommandIO } from '../../cli/main';
import { until } from '../support/until';

const MEMBER = path.join(__dirname, '..', 'support', 'group-member.ts');

class Member {
  readonly records: { p: number; o: number; v: string }[] = [];
  assigned: number[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(bootstrap: string, topic: string, group: string) {
    this.child = spawn(process.execPath, ['-r', 'tsx/cjs', MEMBER, bootstrap, topic, group], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffer = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      buffer += d;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        const event = JSON.parse(line) as { assigned?: number[]; p: number; o: number; v: string };
        if (event.assigned) this.assigned = event.assigned;
        else this.records.push(event);
      }
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    process.once('exit', () => this.child.kill('SIGKILL'));
  }

  kill(signal: NodeJS.Signals): Promise<void> {
    this.child.kill(signal);
    return this.exited;
  }
}

/** Group membership moves on its own time: up to 40 s for a dead member's session to expire. */
const untilTrue = (condition: () => boolean, what: string) =>
  until(condition, what, { timeoutMs: 40_000, intervalMs: 50 });

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const ALL = [0, 1, 2, 3, 4, 5];

describe('consumer groups', () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  let produced = 0;
  const produce = async (count: number) => {
    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: count }, () => ({
      key: `k${produced % 17}`,
      value: `r${produced++}`,
    }));
    await producer.send({ topic: 'shared', messages });
    await producer.disconnect();
  };

  beforeAll(async () => {
    broker = await startBroker({ port: 0 });
    kafka = new Kafka({
      clientId: 'groups-test',
      brokers: [broker.bootstrapServers],
      logLevel: logLevel.NOTHING,
    });
    broker.cluster.createTopic('shared', 6);
  });
  afterAll(() => broker.close());

  test('split, rebalance on join, failover after a crash, no record lost, resume from commits', async () => {
    await produce(300);
    const a = new Member(broker.bootstrapServers, 'shared', 'workers');
    const b = new Member(broker.bootstrapServers, 'shared', 'workers');
    await untilTrue(
      () => a.assigned.length + b.assigned.length === 6 && a.assigned.length > 0 && b.assigned.length > 0,
      'two members to split 6 partitions',
    );
    expect(sorted([...a.assigned, ...b.assigned])).toEqual(ALL);

    const c = new Member(broker.bootstrapServers, 'shared', 'workers');
    await untilTrue(
      () =>
        [a, b, c].every((m) => m.assigned.length === 2) &&
        sorted([a, b, c].flatMap((m) => m.assigned)).join() === ALL.join(),
      'a third member to get its share',
    );
    await produce(300);

    // b dies without leaving: its partitions move once its session times out
    const bPartitions = b.assigned;
    await b.kill('SIGKILL');
    await untilTrue(
      () => sorted([...a.assigned, ...c.assigned]).join() === ALL.join(),
      'the dead member’s partitions to move',
    );
    expect(bPartitions.every((p) => a.assigned.includes(p) || c.assigned.includes(p))).toBe(true);
    await produce(300);

    const seen = () => new Set([a, b, c].flatMap((m) => m.records.map((r) => r.v)));
    await untilTrue(() => seen().size === produced, 'every record to be consumed');
    expect(seen().size).toBe(900);

    // kw groups describe shows both members and, once their commits land, no lag
    const admin = kafka.admin();
    await admin.connect();
    let lagOutput = '';
    const io: CommandIO = { out: (t) => (lagOutput += `${t}\n`), err: (t) => (lagOutput += t) };
    for (let i = 0; i < 50 && !lagOutput.includes('total lag 0'); i++) {
      lagOutput = '';
      await main(['groups', 'describe', 'workers', '--bootstrap', broker.bootstrapServers], io);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(lagOutput).toMatch(
      /group workers: Stable, 2 member\(s\), protocol RoundRobinAssigner, total lag 0/,
    );
    expect(lagOutput).toMatch(/shared\s+0\s+member-\d+/);

    // stop the rest cleanly, then restart: new members start from the committed offsets
    await Promise.all([a.kill('SIGTERM'), c.kill('SIGTERM')]);
    const committed = await admin.fetchOffsets({ groupId: 'workers', topics: ['shared'] });
    await admin.disconnect();
    const committedAt = new Map(committed[0].partitions.map((p) => [p.partition, Number(p.offset)]));
    expect([...committedAt.values()].reduce((n, o) => n + o, 0)).toBe(900);

    await produce(60);
    const d = new Member(broker.bootstrapServers, 'shared', 'workers');
    const e = new Member(broker.bootstrapServers, 'shared', 'workers');
    await untilTrue(
      () => d.records.length + e.records.length >= 60,
      'restarted members to read the new records',
    );
    for (const r of [...d.records, ...e.records]) expect(r.o).toBeGreaterThanOrEqual(committedAt.get(r.p)!);
    await Promise.all([d.kill('SIGTERM'), e.kill('SIGTERM')]);
  }, 120_000);
});
