/**
 * The side-by-side bench runs end to end (a tiny volume, the embedded broker alone: `npm test` needs
 * only Node), so a change to the broker, kafkajs or the bench cannot leave `npm run bench` broken
 * until someone runs it. It asserts that every figure was measured, never how fast.
 */
import { runSideBySideBench } from '../../bench/apache-kafka.bench';

test('GIVEN a tiny workload WHEN the side-by-side bench runs without Apache Kafka THEN every figure is measured on the embedded broker alone', async () => {
  const progress: string[] = [];
  const result = await runSideBySideBench((line) => progress.push(line), {
    rounds: 1,
    slowRounds: 1,
    rawRequests: 10,
    clientSends: 2,
    consumeRecords: 300,
    latencyRate: 50,
    latencySeconds: 0.2,
    apacheKafka: false,
  });

  expect(result.ran).toBe(false);
  expect(result.against).toMatch(/figures for the embedded broker only/);
  expect(result.comparisons.map((c) => c.name)).toEqual([
    expect.stringMatching(/^produce, raw sender \(/),
    'produce, raw sender',
    expect.stringMatching(/^produce, kafkajs \(/),
    'produce, kafkajs',
    expect.stringMatching(/^fetch, raw reader \(/),
    'fetch, raw reader',
    expect.stringMatching(/^group consume, kafkajs \(/),
    'group consume, kafkajs',
    expect.stringMatching(/^end-to-end latency p50/),
    'end-to-end latency p99',
    expect.stringMatching(/^start-up/),
    'resident memory when ready',
    'resident memory after the workload',
  ]);
  for (const c of result.comparisons) {
    expect({ name: c.name, finite: Number.isFinite(c.embedded), apacheKafka: c.apacheKafka }).toEqual({
      name: c.name,
      finite: true,
      apacheKafka: undefined,
    });
  }
  expect(progress.some((line) => line.includes('never arrived'))).toBe(false);
});
