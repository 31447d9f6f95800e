/**
 * @platformatic/kafka (ESM-only, so it runs in a child process) against the embedded broker: it speaks
 * the newest versions (flexible encodings, Fetch by topic id, batched FindCoordinator).
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startBroker, type RunningBroker } from '../../local/broker/broker';

const run = promisify(execFile);
const CLIENT = path.join(__dirname, '..', 'interop', 'clients', 'platformatic-roundtrip.mjs');

describe('@platformatic/kafka against the embedded broker', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({ port: 0 });
  });
  afterAll(() => broker.close());

  test('creates a topic, produces keyed records with headers, and consumes them through a group', async () => {
    const count = 12;
    const { stdout } = await run(
      process.execPath,
      [CLIENT, broker.bootstrapServers, 'platformatic-topic', String(count)],
      { timeout: 30_000 },
    );
    const [sentLine, ...lines] = stdout.trim().split('\n');
    expect(JSON.parse(sentLine).sent.length).toBeGreaterThan(0);
    const received = lines.map(
      (l) =>
        JSON.parse(l) as {
          key: string;
          value: string;
          headers: Record<string, string>;
          partition: number;
          offset: string;
        },
    );
    expect(received).toHaveLength(count);
    for (const r of received) {
      const i = Number(r.value.replace('value-', ''));
      expect(r).toMatchObject({ key: `key-${i % 4}`, headers: { 'record-index': String(i) } });
    }
    // same key, same partition; offsets per partition count up from 0
    for (const p of new Set(received.map((r) => r.partition))) {
      const inPartition = received.filter((r) => r.partition === p);
      expect(inPartition.map((r) => Number(r.offset)).sort((a, b) => a - b)).toEqual(
        inPartition.map((_, i) => i),
      );
    }
    const keyPartitions = new Map(received.map((r) => [r.key, r.partition]));
    for (const r of received) expect(keyPartitions.get(r.key)).toBe(r.partition);
    // and the broker holds exactly what was produced
    const topic = broker.cluster.topics.get('platformatic-topic')!;
    expect(topic.partitions.reduce((n, p) => n + p.log.highWatermark, 0)).toBe(count);
  });
});
