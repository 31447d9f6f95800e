/**
 * The console's pipeline source on the real pipeline, in process: the synthesized app with
 * provisioned mappings (so a poison order ends on orders.dlq through enrich's on-failure destination,
 * with its condition) run by the local runtime on an embedded broker, as `kw up -c esmMode=provisioned`
 * runs it. Orders go through the real ingest URL; nothing is mocked. No timing is asserted beyond the
 * drill's own lower bound (a 300 ms delay makes invocations last at least 300 ms).
 */
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { staleReason, synthesize, withSynthLock } from '../../cli/synth';
import { ConsoleRequestError, type ClusterSource, type PipelineSnapshot } from '../../local/console/api';
import { createPipelineSource } from '../../local/console/pipeline/pipeline-source';
import type { BatchNotice } from '../../local/runtime/esm/mapping-poller';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime/runtime';
import { until } from '../support/until';

/** Its own folder: the default cdk.out is the on-demand app other tests run. */
const ASSEMBLY = path.join(tmpdir(), 'kw-console-pipeline-provisioned.cdk.out');
const CONTEXT = { esmMode: 'provisioned' };

/** The pipeline source reads and writes Kafka through the runtime; it never calls the cluster source. */
const unusedCluster = new Proxy({} as ClusterSource, {
  get: (_, name) => {
    if (name === 'then') return undefined;
    throw new Error(`the pipeline source called cluster.${String(name)}`);
  },
});

describe('the console pipeline source on the running pipeline (provisioned mappings)', () => {
  jest.setTimeout(180_000);
  let runtime: LocalRuntime;
  let source: ReturnType<typeof createPipelineSource>;
  const log: string[] = [];
  /** Every record enrich was invoked with, by offset on orders, to compare a redrive with. */
  const enrichRecords = new Map<string, string>();

  beforeAll(async () => {
    await withSynthLock(ASSEMBLY, async () => {
      if (staleReason(ASSEMBLY, CONTEXT)) await synthesize(ASSEMBLY, CONTEXT, () => undefined);
    });
    runtime = await startLocalRuntime({
      assembly: ASSEMBLY,
      brokerPort: 0,
      httpPort: 0,
      dynamodbPort: 0,
      log: (line) => log.push(line),
    });
    const enrich = runtime.mappings.find((m) => m.spec.topic === 'orders')!;
    enrich.poller.on('batch', (b: BatchNotice) => {
      for (const r of b.records) enrichRecords.set(`${r.partition}@${r.offset}`, r.value);
    });
    source = createPipelineSource({ runtime, cluster: unusedCluster, log: (line) => log.push(line) });
  }, 240_000);
  afterAll(async () => {
    await source?.close();
    await runtime?.close();
  });

  const edge = (s: PipelineSnapshot, from: string, to: string) =>
    s.edges.find((e) => e.from === from && e.to === to)!;
  const fn = (s: PipelineSnapshot, name: string) => s.functions.find((f) => f.name === name)!;
  const state = () =>
    `${JSON.stringify(source.pipeline(), null, 1).slice(0, 4000)}\n${log.slice(-30).join('\n')}`;

  it('GIVEN 5 orders sent THEN every edge along the path counts them and one order is traced through every hop', async () => {
    const before = source.pipeline();
    const { sent } = await source.sendOrders({ count: 5 });
    expect(sent.map((s) => s.status)).toEqual([202, 202, 202, 202, 202]);
    const table = runtime.assembly.tables[0].name;
    const path = [
      ['url:ingest', 'function:ingest'],
      ['function:ingest', 'topic:orders'],
      ['topic:orders', 'function:enrich'],
      ['function:enrich', 'topic:orders.enriched'],
      ['topic:orders.enriched', 'function:ledger'],
      ['function:ledger', `table:${table}`],
    ];
    await until(
      () =>
        path.every(
          ([from, to]) => edge(source.pipeline(), from, to).count >= edge(before, from, to).count + 5,
        ),
      () => `every edge to count 5 more: ${state()}`,
    );
    const after = source.pipeline();
    console.log(
      `edges after 5 orders: ${path.map(([from, to]) => `${from}→${to} ${edge(after, from, to).count} (${edge(after, from, to).ratePerSec}/s)`).join(', ')}`,
    );
    // The graph also shows where failures go.
    expect(after.edges.find((e) => e.kind === 'on-failure')).toMatchObject({
      from: 'function:enrich',
      to: 'topic:orders.dlq',
    });
    expect(after.recentOrders).toEqual(expect.arrayContaining(sent.map((s) => s.orderId)));

    const { orderId } = sent[2];
    const trace = await until(async () => {
      const t = await source.trace(orderId);
      return t.hops.every((h) => h.at !== null) && t;
    }, `every hop of ${orderId}`).catch(async (error: Error) => {
      throw new Error(
        `${error.message}: ${JSON.stringify(await source.trace(orderId), null, 1)}\n${state()}`,
      );
    });
    console.log(
      `trace of ${orderId}: ${trace.hops.map((h) => `${h.name} +${h.ms ?? 0} ms [${h.detail}]`).join(' → ')}; total ${trace.totalMs} ms`,
    );
    expect(trace.hops.map((h) => h.name)).toEqual([
      'on orders',
      'ingest answered',
      'enrich invoked',
      'on orders.enriched',
      'ledger invoked',
      'in table',
    ]);
    expect(trace.hops[0].detail).toBe(`orders-${sent[2].partition}@${sent[2].offset}`);
    expect(trace.totalMs).not.toBeNull();

    // Cold starts: each function was warmed at start, so only environments started for concurrent
    // invocations count, and each one shows in the recent invocations too.
    const s = source.pipeline();
    const cold = s.functions.map((f) => `${f.name} ${f.coldStarts}`).join(', ');
    console.log(`cold starts: ${cold}`);
    for (const f of s.functions) {
      expect(f.coldStarts).toBe(f.recentInvocations.filter((i) => i.coldStart).length);
    }
    expect(fn(s, 'ingest').coldStarts).toBeGreaterThanOrEqual(1);
    // Log lines of each invoked function are tailed from its log file.
    expect(fn(s, 'ingest').recentLogs.length).toBeGreaterThan(0);
  });

  it('GIVEN a poison order THEN enrich fails it to the dead-letter topic with its condition, and a redrive puts the original back on orders', async () => {
    const { sent } = await source.sendOrders({ count: 1, poison: true });
    const [poison] = sent;
    await until(
      () =>
        source
          .pipeline()
          .mappings.find((m) => m.topic === 'orders')!
          .batches.find(
            (b) =>
              b.outcome === 'dead-letter' &&
              b.firstOffset <= poison.offset! &&
              b.lastOffset >= poison.offset!,
          ),
      () => `a dead-letter batch for the poison order: ${state()}`,
    );
    const mapping = source.pipeline().mappings.find((m) => m.topic === 'orders')!;
    const theirs = mapping.batches.filter(
      (b) =>
        b.partition === poison.partition && b.firstOffset <= poison.offset! && b.lastOffset >= poison.offset!,
    );
    console.log(
      `poison batches: ${theirs.map((b) => `attempt ${b.attempt} ${b.outcome}${b.condition ? ` ${b.condition}` : ''} (${b.error ?? ''})`).join('; ')}`,
    );
    expect(theirs.map((b) => b.outcome)).toEqual(['partial', 'partial', 'dead-letter']);
    expect(theirs.map((b) => b.attempt)).toEqual([1, 2, 3]);
    expect(theirs[2].condition).toBe('RetryAttemptsExhausted');
    // The mapping counts a dead letter once the destination took it, which can be after the batch
    // was reported (the snapshot above) and just after the record reached the topic.
    await until(
      () =>
        source.pipeline().dlq?.records === 1 &&
        source.pipeline().mappings.find((m) => m.topic === 'orders')!.deadLetters === 1,
      () => `one record on orders.dlq, counted by the mapping: ${state()}`,
    );
    const onFailure = source.pipeline().edges.find((e) => e.kind === 'on-failure')!;
    expect(onFailure.count).toBe(1);
    const trace = await until(
      async () => {
        const t = await source.trace(poison.orderId);
        return t.hops.some((h) => h.name === 'on orders.dlq' && h.at !== null) && t;
      },
      () => `the poison order's trace to reach orders.dlq`,
    );
    console.log(`trace of the poison order: ${trace.hops.map((h) => `${h.name} [${h.detail}]`).join(' → ')}`);
    expect(trace.hops.map((h) => h.name)).toEqual(['on orders', 'enrich invoked', 'on orders.dlq']);

    const { redriven } = await source.redrive({});
    expect(redriven).toHaveLength(1);
    expect(redriven[0].from).toEqual({ partition: 0, offset: 0 });
    expect(redriven[0].to).toMatchObject({ topic: 'orders', partition: poison.partition });
    // Enrich reads the redriven record: the same bytes as the original.
    const again = `${redriven[0].to.partition}@${redriven[0].to.offset}`;
    await until(
      () => enrichRecords.has(again),
      () => `enrich to read ${again}`,
    );
    expect(enrichRecords.get(again)).toBe(enrichRecords.get(`${poison.partition}@${poison.offset}`));
    // One dead letter asked for by position; a missing one is 404.
    await expect(source.redrive({ partition: 0, offset: 99 })).rejects.toMatchObject({ status: 404 });
  });

  it('GIVEN enrich slowed by 300 ms THEN its invocations take at least that long and its lag rises, then falls to 0 once the drill ends', async () => {
    expect(() => source.slow({ function: 'nope', delayMs: 10 })).toThrow(ConsoleRequestError);
    expect(() => source.slow({ function: 'enrich', delayMs: 40_000 })).toThrow(/0 to 30000/);
    expect(source.slow({ function: 'enrich', delayMs: 300 })).toEqual({ function: 'enrich', delayMs: 300 });
    expect(fn(source.pipeline(), 'enrich').delayMs).toBe(300);
    const lagOf = () => source.pipeline().mappings.find((m) => m.topic === 'orders')!.lag;
    let maxLag = 0;
    const watch = setInterval(() => (maxLag = Math.max(maxLag, lagOf())), 20);
    try {
      const since = Date.now();
      // Three rounds, so orders arrive while enrich is busy with the last batch.
      for (let round = 0; round < 3; round++) await source.sendOrders({ count: 5 });
      await until(
        () => fn(source.pipeline(), 'enrich').recentInvocations.filter((i) => i.at >= since).length >= 2,
        () => `enrich invocations after the slow drill: ${state()}`,
      );
      const slowed = fn(source.pipeline(), 'enrich').recentInvocations.filter((i) => i.at >= since);
      console.log(
        `enrich durations with 300 ms drill: ${slowed.map((i) => i.durationMs).join(', ')} ms; lag peaked at ${maxLag}`,
      );
      for (const i of slowed) expect(i.durationMs).toBeGreaterThanOrEqual(300);
      expect(maxLag).toBeGreaterThan(0);
      expect(source.slow({ function: 'enrich', delayMs: 0 })).toEqual({ function: 'enrich', delayMs: 0 });
      await until(
        () => lagOf() === 0,
        () => `enrich's lag back to 0: ${state()}`,
      );
    } finally {
      clearInterval(watch);
      source.slow({ function: 'enrich', delayMs: 0 });
    }
  });
});
