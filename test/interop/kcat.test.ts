/**
 * kcat (librdkafka 2.0.2, from Debian) against the embedded broker started as `kw broker`: metadata,
 * and produce/consume with every codec librdkafka has. Needs `scripts/install-test-deps.sh`.
 */
import { execFile } from 'node:child_process';
import { startCliBroker, type CliBroker } from './cli-broker';

let broker: CliBroker;

beforeAll(async () => {
  broker = await startCliBroker(['--brokers', '1']);
});
afterAll(() => broker.stop());

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

test('kcat -Q finds offsets by timestamp', async () => {
  const topic = 'kcat-time';
  await kcat(['-P', '-t', topic, '-K:'], 'a:1\nb:2\n');
  const out = await kcat(['-Q', '-t', `${topic}:0:0`]);
  expect(out).toMatch(/kcat-time \[0\] offset 0/);
});
