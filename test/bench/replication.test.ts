/**
 * The replication bench runs end to end (a tiny volume, the embedded cluster alone: `npm test` needs
 * only Node), so a change to replication, the control API or the bench cannot leave `npm run bench`
 * broken until someone runs it. It asserts that every figure was measured, never how fast.
 */
import { runReplicationBench } from '../../bench/replication.bench';

test('GIVEN a tiny workload WHEN the replication bench runs without Apache Kafka THEN every figure is measured on the embedded cluster alone', async () => {
  const progress: string[] = [];
  const result = await runReplicationBench((line) => progress.push(line), {
    rounds: 1,
    produceRequests: 4,
    latencyRequests: 20,
    failovers: 2,
    apacheKafka: false,
  });

  expect(result.ran).toBe(false);
  expect(result.against).toMatch(/figures for the embedded broker only/);
  expect(result.comparisons.map((c) => c.name)).toEqual([
    expect.stringMatching(/^produce, RF 1 acks=1 \(/),
    expect.stringMatching(/^produce, RF 3 acks=all \(/),
    'produce, RF 1 acks=1',
    'produce, RF 3 acks=all',
    'produce ratio RF 3 acks=all / RF 1 acks=1',
    expect.stringMatching(/^produce latency p50, RF 1 acks=1 \(/),
    'produce latency p50, RF 3 acks=all',
    'latency p50 ratio RF 3 acks=all / RF 1 acks=1',
    expect.stringMatching(/^produce latency p99, RF 1 acks=1 \(/),
    'produce latency p99, RF 3 acks=all',
    'latency p99 ratio RF 3 acks=all / RF 1 acks=1',
    expect.stringMatching(/^failover: leader stopped to first acks=all produce on the new leader/),
    'failover: leader stopped to its stop returning',
  ]);
  for (const c of result.comparisons) {
    expect({
      name: c.name,
      measured: Number.isFinite(c.embedded) && c.embedded > 0,
      apacheKafka: c.apacheKafka,
    }).toEqual({
      name: c.name,
      measured: true,
      apacheKafka: undefined,
    });
  }
  // Two failovers: each stopped a leader and a different broker took the next produce.
  const failovers = progress.filter((line) =>
    /failover \d\/2, embedded: node (\d) stopped, node (?!\1)\d acknowledged/.test(line),
  );
  expect(failovers).toHaveLength(2);
});
