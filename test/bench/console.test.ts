/**
 * The console bench runs end to end (a tiny volume, SSE clients rather than chromium: `npm test` needs
 * only Node), so a change to the console, its sources or the bench cannot leave `npm run bench` broken
 * until someone runs it. It asserts that every figure was measured and the console really streamed
 * while it was, never how fast.
 */
import { runConsoleBench } from '../../bench/console.bench';

test('GIVEN a tiny workload WHEN the console bench runs with SSE clients THEN both throughputs and their ratio are measured while the clients receive live events', async () => {
  const progress: string[] = [];
  const result = await runConsoleBench((line) => progress.push(line), {
    rounds: 1,
    requests: 20,
    client: 'sse',
    sseClients: 2,
  });

  expect(result.client).toMatch(/^2 SSE clients on \/api\/live with every view/);
  expect(result.figures.map((f) => f.name)).toEqual([
    expect.stringMatching(/^produce, console closed \(/),
    'produce, console closed',
    'produce, console open and streaming',
    'produce, console open and streaming',
    expect.stringMatching(/^produce ratio open \/ closed/),
  ]);
  for (const f of result.figures) {
    expect({ name: f.name, measured: Number.isFinite(f.value) && f.value > 0 }).toEqual({
      name: f.name,
      measured: true,
    });
  }
  // Each client had its first snapshot of every view (cluster, groups, the tape, the group), then the
  // tape again once the round's records were in.
  expect(result.events).toBeGreaterThanOrEqual(2 * 5);
  expect(progress).toEqual([
    expect.stringMatching(/^ {2}round 1\/1: console closed \d+ MB\/s, open \d+ MB\/s$/),
  ]);
});
