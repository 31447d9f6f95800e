/**
 * The IAM bench runs end to end at a tiny volume, so a change to the IAM listener, the authorizer or
 * the bench cannot leave `npm run bench iam` broken until someone runs it. It asserts that every figure
 * was measured and that the IAM figures really went through authentication and authorization, never
 * how fast.
 */
import { runIamBench } from '../../bench/iam.bench';

test('GIVEN a tiny workload WHEN the IAM bench runs THEN both listeners are measured, the IAM producer authenticated and was allowed every request, and a role without WriteData was refused', async () => {
  const progress: string[] = [];
  const result = await runIamBench((line) => progress.push(line), {
    rounds: 1,
    sends: 5,
    connects: 2,
    tokens: 3,
    authorizations: 100,
  });

  expect(result.figures.map((f) => f.name)).toEqual([
    expect.stringMatching(/^produce, plain listener \(/),
    'produce, plain listener',
    expect.stringMatching(/^produce, IAM listener \(/),
    'produce, IAM listener',
    expect.stringMatching(/^produce ratio IAM \/ plain/),
    'connect a producer, plain listener',
    expect.stringMatching(/^connect a producer, IAM listener/),
    expect.stringMatching(/^connect time ratio IAM \/ plain/),
    expect.stringMatching(/^sign an MSK IAM token/),
    expect.stringMatching(/^authorize a produce request/),
    expect.stringMatching(/^authorization’s share of an IAM produce request/),
  ]);
  for (const f of result.figures) {
    expect({ name: f.name, measured: Number.isFinite(f.value) && f.value > 0 }).toEqual({
      name: f.name,
      measured: true,
    });
  }

  // The produce run's producer and each of the two timed connections authenticated with the role's key.
  expect(result.producerAuthentications).toBeGreaterThanOrEqual(3);
  expect(result.denialsWhileMeasured).toEqual([]);
  expect(result.probeRefusal).toMatch(/Topic authorization failed/);
  expect(result.denials).toEqual([
    expect.objectContaining({
      principal: 'arn:aws:iam::000000000000:role/bench-describer',
      action: 'kafka-cluster:WriteData',
      resource:
        'arn:aws:kafka:us-east-1:000000000000:topic/bench/00000000-0000-0000-0000-000000000000-1/iam-bench',
    }),
  ]);

  expect(progress).toEqual([
    expect.stringMatching(
      /^ {2}round 1\/1: produce plain \d+ MB\/s, IAM \d+ MB\/s; connect plain [\d.]+ ms, IAM [\d.]+ ms$/,
    ),
    expect.stringMatching(
      /^ {2}signed 3 tokens \(median [\d.]+ ms\); authorized 100 produce requests in [\d.]+ ms$/,
    ),
  ]);
});
