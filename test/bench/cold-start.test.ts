/**
 * The cold-start bench runs end to end at one round, so a change to the app, the bundling or a
 * function cannot leave `npm run bench cold-start` broken until someone runs it. It asserts that every
 * function of the pipeline app was bundled, loaded and invoked once successfully and that each figure
 * was measured, never how fast.
 */
import { runColdStartBench } from '../../bench/cold-start.bench';

const FUNCTIONS = ['topic-admin', 'ingest', 'enrich', 'ledger'];

test('GIVEN one round WHEN the cold-start bench runs THEN every pipeline function is measured: size, load with and without source maps, and a first invocation that succeeded', async () => {
  const progress: string[] = [];
  const figures = await runColdStartBench((line) => progress.push(line), { rounds: 1 });

  expect(figures.map((f) => f.name).sort()).toEqual(
    FUNCTIONS.flatMap((fn) => [
      `${fn}: bundle size`,
      `${fn}: first error stack trace, --enable-source-maps`,
      `${fn}: first invocation`,
      `${fn}: load beyond bare node`,
      `${fn}: load beyond bare node, --enable-source-maps`,
    ]).sort(),
  );
  for (const f of figures) {
    // A load time beyond a bare start may come out below zero on a busy machine; it must be a number.
    const measured = f.name.includes('load')
      ? Number.isFinite(f.value)
      : Number.isFinite(f.value) && f.value > 0;
    expect({ name: f.name, measured }).toEqual({ name: f.name, measured: true });
  }
  // cdk.out is synthesized first only when it is not current.
  expect(progress.filter((line) => !/^ {2}synthesizing cdk\.out /.test(line))).toEqual([
    `  functions: ${FUNCTIONS.join(', ')}`,
    ...FUNCTIONS.map(() =>
      expect.stringMatching(
        /^ {2}[a-z-]+ on node \d+\.[\d.]+: bare start [\d.]+ ms; first invocation loaded in \d+ ms$/,
      ),
    ),
  ]);
}, 300_000);
