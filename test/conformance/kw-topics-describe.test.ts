/**
 * `kw topics describe` while a broker is down, on a three-node Apache Kafka cluster (the reference)
 * and on `kw broker --brokers 3` stopped through `kw cluster`: both show the stopped broker out of
 * every ISR and in the OFFLINE column, and a partition whose only replica was there with no leader.
 * Replica placement differs between the two, so each row is checked against its own replica list.
 * Part of `npm run test:conformance` (it needs Java).
 */
import { main } from '../../cli/main';
import { startApacheKafka } from '../support/apache-kafka';
import { capture } from '../support/command-io';
import { runKw, startKw } from '../support/kw-process';
import { until } from '../support/until';

jest.setTimeout(180_000);

const STOPPED = 2;

async function kw(args: string[]): Promise<string> {
  const io = capture();
  const code = await main(args, io);
  if (code !== 0) throw new Error(`kw ${args.join(' ')} exited ${code}: ${io.stderr}`);
  return io.stdout;
}

interface Row {
  readonly leader: string;
  readonly replicas: string[];
  readonly isr: string[];
  readonly offline: string;
}

/** The partition rows of `kw topics describe`, by column name. */
function rows(described: string): Row[] {
  const lines = described.trimEnd().split('\n');
  const header = lines[1].split(/\s{2,}/);
  expect(header).toEqual([
    'PARTITION',
    'LEADER',
    'REPLICAS',
    'IN-SYNC',
    'FIRST OFFSET',
    'NEXT OFFSET',
    'OFFLINE',
  ]);
  return lines.slice(2).map((line) => {
    const cells = line.split(/\s+/);
    return { leader: cells[1], replicas: cells[2].split(','), isr: cells[3].split(','), offline: cells[6] };
  });
}

/** Creates the topics with kw, stops broker 2 with `stop`, and checks what kw topics describe shows. */
async function drill(all: string, live: string, stop: () => Promise<void>): Promise<void> {
  await kw([
    'topics',
    'create',
    'three',
    '--partitions',
    '3',
    '--replication-factor',
    '3',
    '--bootstrap',
    all,
  ]);
  await kw(['topics', 'create', 'one', '--partitions', '3', '--replication-factor', '1', '--bootstrap', all]);
  await stop();
  // Apache Kafka fences the broker once its controlled shutdown ends; wait for Metadata to say so
  const three = await until(async () => {
    const out = await kw(['topics', 'describe', 'three', '--bootstrap', live]);
    // until then, a describe may find broker 2 still listed and leave out the offsets it would ask it for
    return (
      /^topic three: 3 partition\(s\)\n/.test(out) &&
      /OFFLINE/.test(out) &&
      rows(out).every((r) => !r.isr.includes(String(STOPPED))) &&
      out
    );
  }, 'broker 2 out of every ISR of three');
  expect(three).toMatch(/^topic three: 3 partition\(s\)\n/);
  for (const row of rows(three)) {
    expect(row.leader).not.toBe(String(STOPPED));
    expect(row.replicas).toHaveLength(3);
    expect(row.isr).toHaveLength(2);
    expect(row.offline).toBe(String(STOPPED));
  }

  const one = await kw(['topics', 'describe', 'one', '--bootstrap', live]);
  expect(one).toMatch(/^topic one: 3 partition\(s\); 1 offline \(no leader/);
  for (const row of rows(one)) {
    const onStopped = row.replicas[0] === String(STOPPED);
    expect(row).toEqual(
      onStopped
        ? { leader: 'none', replicas: ['2'], isr: ['2'], offline: '2' }
        : { leader: row.replicas[0], replicas: row.replicas, isr: row.replicas, offline: '-' },
    );
  }
  expect((await kw(['topics', 'list', '--bootstrap', live])).split('\n')).toEqual(['one', 'three', '']);
}

const without = (bootstrap: string, index: number) =>
  bootstrap
    .split(',')
    .filter((_, i) => i !== index)
    .join(',');

test('on Apache Kafka 3.9, one node stopped', async () => {
  const kafka = await startApacheKafka({ nodes: 3 });
  try {
    await drill(kafka.bootstrapServers, without(kafka.bootstrapServers, STOPPED - 1), () =>
      kafka.stopNode(STOPPED),
    );
  } finally {
    await kafka.stop();
  }
});

test('on kw broker --brokers 3, one broker stopped with kw cluster', async () => {
  const cli = await startKw(['broker', '--port', '0', '--brokers', '3'], /bootstrap servers: (\S+)/);
  try {
    const all = cli.ready[1];
    await drill(all, without(all, STOPPED - 1), async () => {
      const run = await runKw(['cluster', 'stop', String(STOPPED), '--bootstrap', all]);
      expect(run).toMatchObject({ code: 0, err: '' });
    });
  } finally {
    await cli.stop();
  }
});
