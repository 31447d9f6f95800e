/**
 * The pipeline bench runs end to end at a tiny volume, so a change to the runtime, the functions or
 * the bench cannot leave `npm run bench pipeline` broken until someone runs it. It asserts that each
 * figure was measured and that the counts behind them add up, never how fast.
 */
import { runPipelineBench } from '../../bench/pipeline.bench';

test('GIVEN a tiny workload WHEN the pipeline bench runs THEN every figure is measured, with table requests and CPU per order', async () => {
  const progress: string[] = [];
  const figures = await runPipelineBench((line) => progress.push(line), {
    starts: 1,
    synthStart: false,
    warmup: 10,
    orders: 40,
    latencyRate: 10,
    latencySeconds: 2,
    tableWrites: 100,
  });
  const value = (pattern: RegExp) => {
    const figure = figures.find((f) => pattern.test(f.name));
    if (!figure) throw new Error(`no figure matches ${pattern}: ${figures.map((f) => f.name).join(' | ')}`);
    return figure.value;
  };

  for (const f of figures.filter((f) => !/minus the two batching windows/.test(f.name))) {
    expect({ name: f.name, measured: Number.isFinite(f.value) && f.value > 0 }).toEqual({
      name: f.name,
      measured: true,
    });
  }
  expect(Number.isFinite(value(/minus the two batching windows/))).toBe(true);
  // Every new order is written once at least (its own item), and the ledger writes totals too.
  expect(value(/DynamoDB writes per order/)).toBeGreaterThanOrEqual(1);
  expect(value(/requests per order, all kinds/)).toBeGreaterThanOrEqual(value(/writes per order/));
  // Each role that handles an order used CPU for it.
  for (const role of [/function ingest$/, /function enrich$/, /function ledger$/, /runtime:/, /dynalite/]) {
    expect(value(role)).toBeGreaterThan(0);
  }
  expect(progress).toContain('  sustained throughput measured');
});
