/**
 * kcat (librdkafka 2.0.2, from Debian) against the embedded broker started as `kw broker`: metadata,
 * and produce/consume with every codec librdkafka has. Needs `scripts/install-test-deps.sh`.
 */
import { execFile, spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../../local/broker/broker';
import { startDroppingProxy } from '../support/response-dropping-proxy';
import { cliBrokerForTests, runKw } from '../support/kw-process';
import { until } from '../support/until';

const broker = cliBrokerForTests(['--brokers', '1']);

async function kcat(args: string[], input?: string): Promise<string> {
  const child = execFile('kcat', ['-b', broker.bootstrap, ...args], { timeout: 20_000 });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  if (input !== undefined) child.stdin!.end(input);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`kcat ${args.join(' ')} exited ${code}: ${err}`);
  return out;
}

test('kcat -L lists the broker and topics', async () => {
  await kcat(['-P', '-t', 'listed', '-K:'], 'a:1\n');
  const out = await kcat(['-L']);
  expect(out).toContain(`broker 1 at ${broker.bootstrap}`);
  expect(out).toMatch(/topic "listed" with 1 partitions/);
});

test.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])(
  'kcat produces and consumes with %s compression',
  async (codec) => {
    const topic = `kcat-${codec}`;
    const lines = Array.from({ length: 10 }, (_, i) => `key-${i % 3}:value-${codec}-${i}`);
    await kcat(['-P', '-t', topic, '-K:', '-z', codec, '-H', `codec=${codec}`], `${lines.join('\n')}\n`);
    const out = await kcat(['-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p|%o|%k|%s|%h\\n']);
    const records = out
      .trim()
      .split('\n')
      .map((l) => l.split('|'));
    expect(records).toEqual(
      lines.map((l, i) => ['0', String(i), l.split(':')[0], l.split(':')[1], `codec=${codec}`]),
    );
  },
);

test.each(['gzip', 'snappy', 'lz4'])('kcat reads what `kw produce --compression %s` wrote', async (codec) => {
  const topic = `kw-${codec}`;
  const kw = async (args: string[], input = '') => {
    const run = await runKw([...args, '--bootstrap', broker.bootstrap], input);
    if (run.code !== 0) throw new Error(`kw ${args.join(' ')}: ${run.code}: ${run.err}`);
    return run.out;
  };
  await kw(['topics', 'create', topic]);
  await kw(['produce', topic, '--key-separator', ':', '--compression', codec], 'k1:one\nk2:two\n');
  const out = await kcat(['-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k=%s\\n']);
  expect(out.trim().split('\n')).toEqual(['k1=one', 'k2=two']);
  await kcat(['-P', '-t', topic, '-K:', '-z', 'zstd'], 'k3:three\n');
  expect(await kw(['consume', topic, '--partition', '0', '--offset', '2', '--max-messages', '1'])).toBe(
    'three\n',
  );
});

test('kw consume says it cannot read a zstd batch from kcat, instead of printing nothing', async () => {
  const topic = 'kw-zstd';
  // Compressible enough that librdkafka keeps the zstd batch (it sends small ones uncompressed).
  await kcat(
    ['-P', '-t', topic, '-K:', '-z', 'zstd'],
    `${Array.from({ length: 20 }, () => `k:${'abc'.repeat(200)}`).join('\n')}\n`,
  );
  const result = await runKw([
    'consume',
    topic,
    '--from-beginning',
    '--max-messages',
    '1',
    '--bootstrap',
    broker.bootstrap,
  ]);
  expect(result.code).toBe(1);
  expect(result.err).toMatch(/compressed with zstd, which kw cannot read: use kcat -C -t kw-zstd/);
});

test('kcat -Q finds offsets by timestamp', async () => {
  const topic = 'kcat-time';
  await kcat(['-P', '-t', topic, '-K:'], 'a:1\nb:2\n');
  const out = await kcat(['-Q', '-t', `${topic}:0:0`]);
  expect(out).toMatch(/kcat-time \[0\] offset 0/);
});

test('kcat with enable.idempotence=true writes each record once although responses are lost', async () => {
  // Two brokers, each behind a proxy that loses responses: kcat gives up when every broker connection
  // is down at once, so the second broker keeps one up while the leader's connection is cut.
  const targets = [0, 0];
  const proxies = await Promise.all([0, 1].map((i) => startDroppingProxy(() => targets[i], 3)));
  const flaky = await startBroker({
    port: 0,
    brokers: 2,
    advertisedListeners: proxies.map((p) => `127.0.0.1:${p.port}`),
  });
  targets[0] = flaky.ports[0];
  targets[1] = flaky.ports[1];
  const bootstrap = proxies.map((p) => `127.0.0.1:${p.port}`).join(',');
  const settings = [
    'enable.idempotence=true',
    'linger.ms=5',
    'batch.num.messages=10',
    // reconnect at once: librdkafka backs off exponentially after each cut connection
    'reconnect.backoff.ms=10',
    'reconnect.backoff.max.ms=50',
  ].flatMap((s) => ['-X', s]);
  try {
    const lines = Array.from({ length: 300 }, (_, i) => `value-${i}`).join('\n');
    const producer = execFile('kcat', ['-b', bootstrap, '-P', '-t', 'kcat-idempotent', ...settings], {
      timeout: 60_000,
    });
    producer.stdin!.end(`${lines}\n`);
    expect(await new Promise((resolve) => producer.on('close', resolve))).toBe(0);
    const log = flaky.cluster.partition('kcat-idempotent', 0)!.log;
    expect(log.highWatermark).toBe(300);
    const out = await new Promise<string>((resolve) => {
      let text = '';
      const c = execFile(
        'kcat',
        ['-b', bootstrap, '-C', '-t', 'kcat-idempotent', '-o', 'beginning', '-e', '-q'],
        { timeout: 30_000 },
      );
      c.stdout!.on('data', (d) => (text += d));
      c.on('close', () => resolve(text));
    });
    expect(new Set(out.trim().split('\n')).size).toBe(300);
    expect(proxies[0].dropped() + proxies[1].dropped()).toBeGreaterThan(0);
  } finally {
    await Promise.all(proxies.map((p) => p.close()));
    await flaky.close();
  }
});

/** Calls `onLine` with each complete, non-empty line of `stream`; a chunk may end mid-line. */
function eachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let partial = '';
  stream.on('data', (d) => {
    const complete = (partial + String(d)).split('\n');
    partial = complete.pop()!;
    complete.filter((l) => l !== '').forEach(onLine);
  });
}

test('two kcat balanced consumers (-G) share a topic and commit their offsets', async () => {
  const topic = 'kcat-group';
  const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
  const members = [0, 1].map(() => {
    const child = spawn('kcat', [
      '-u', // unbuffered: lines arrive as records do, not when kcat exits
      '-b',
      broker.bootstrap,
      '-G',
      'kcat-group',
      '-o',
      'beginning',
      '-f',
      '%p %o %s\\n',
      '-X',
      'auto.commit.interval.ms=100',
      topic,
    ]);
    const member = { child, lines: [] as string[], assigned: '' };
    eachLine(child.stdout, (line) => member.lines.push(line));
    // Each rebalance prints "revoked: …" and then "assigned: …": the latest line says what it holds.
    // Several may arrive in one chunk on a busy machine, so they are read line by line, in order.
    eachLine(child.stderr, (line) => {
      const match = /(assigned|revoked): (.*)/.exec(line);
      if (match) member.assigned = match[1] === 'assigned' ? match[2] : '';
    });
    return member;
  });
  try {
    // both members hold partitions before anything is produced
    await until(
      () => members.every((m) => m.assigned.split(',').length === 2),
      () =>
        `both members to hold 2 partitions (they hold: ${members.map((m) => m.assigned || 'none').join(' | ')})`,
      {
        timeoutMs: 40_000,
      },
    );
    await kcat(
      ['-P', '-t', topic, '-K:'],
      `${Array.from({ length: 40 }, (_, i) => `k${i}:v${i}`).join('\n')}\n`,
    );
    // Wait for every distinct value: a rebalance in between may deliver some twice (at least once).
    const values = () => new Set(members.flatMap((m) => m.lines.map((l) => l.split(' ')[2])));
    await until(() => values().size >= 40, 'every record to be consumed', { timeoutMs: 40_000 });
    expect(values().size).toBe(40);
    expect(members.every((m) => m.lines.length > 0)).toBe(true);
    // offsets are committed for every partition (auto-commit, then once more on close)
    for (const m of members) m.child.kill('SIGTERM');
    await Promise.all(members.map((m) => new Promise((r) => m.child.once('exit', r))));
    const [committed] = await admin.fetchOffsets({ groupId: 'kcat-group', topics: [topic] });
    expect(committed.partitions.reduce((n, p) => n + Number(p.offset), 0)).toBe(40);
  } finally {
    for (const m of members) m.child.kill('SIGKILL');
    await admin.disconnect();
  }
});
