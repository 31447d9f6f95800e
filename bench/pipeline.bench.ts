/**
 * The local runtime end to end: time from `kw up` to ready, sustained orders/s through the whole
 * pipeline (HTTP → ingest → orders → enrich → orders.enriched → ledger → DynamoDB), ingest → ledger
 * latency, and what each event source mapping adds beyond its batching window.
 *
 * Baselines measured in the same run, on the same machine: the load generator against an HTTP server
 * that answers at once (the most `kw load` can send here), and single-item DynamoDB writes to the
 * embedded endpoint, 16 at a time. Beside them: the table's requests per order (counted by the local
 * DynamoDB), and the CPU each process used per order (from /proc), which is what bounds throughput
 * when the whole pipeline shares two cores.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism } from 'node:os';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { percentile } from '../cli/load-command';
import { PROJECT_ROOT, synthesizeIfStale } from '../cli/synth';
import type { InvokeNotice } from '../local/runtime/esm/mapping-poller';
import { shortName } from '../local/runtime/provisioning/functions';
import { startLocalRuntime } from '../local/runtime/runtime';
import { functionUrlSigner } from '../local/runtime/iam/url-signing';
import { LOCAL_REGION } from '../local/runtime/template/intrinsics';
import { median, type Figure } from './broker.bench';
import { CpuMeter } from './process-cpu';

const KW = path.join(PROJECT_ROOT, 'cli', 'kw.js');
const ASSEMBLY = path.join(PROJECT_ROOT, 'cdk.out');

/** How much work the bench does; the defaults are the published run, a test runs it tiny. */
export interface PipelineBenchOptions {
  /** `kw up` starts with cdk.out current, of which the median is taken. @default 3 */
  readonly starts?: number;
  /** Whether to time a start that synthesizes first. @default true */
  readonly synthStart?: boolean;
  /** Orders of the sustained run. @default 10,000 */
  readonly orders?: number;
  /** Orders that warm every execution environment first. @default 500 */
  readonly warmup?: number;
  /** Orders per second of the latency run. @default 100 */
  readonly latencyRate?: number;
  /** Seconds of the latency run. @default 8 */
  readonly latencySeconds?: number;
  /** Writes of the DynamoDB baseline. @default 3,000 */
  readonly tableWrites?: number;
}

/** DynamoDB operations that write. */
const WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];

/** Runs `kw` with arguments; resolves to its output and the ms until `marker` appeared. */
function runKw(args: string[], marker: RegExp, stopAfter = true): Promise<{ ms: number; output: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [KW, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' },
    });
    let output = '';
    let ms = -1;
    const onData = (d: Buffer) => {
      output += d.toString();
      if (ms < 0 && marker.test(output)) {
        ms = performance.now() - started;
        if (stopAfter) child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) =>
      ms >= 0
        ? resolve({ ms, output })
        : reject(new Error(`kw ${args.join(' ')} exited ${code}:\n${output}`)),
    );
  });
}

/** `kw load` as its own process (as a user runs it); returns its orders/s and latency line. */
async function load(
  url: string,
  count: number,
  rate: number,
  credentials?: string,
): Promise<{ perSecond: number; output: string }> {
  const { output } = await runKw(
    [
      'load',
      ...['--url', url, '--count', String(count), '--rate', String(rate), '--concurrency', '64'],
      // Signed as the run's caller: IAM is enforced, as on AWS, and the ingest URL is AWS_IAM.
      ...(credentials ? ['--credentials', credentials] : []),
    ],
    /latency p50/,
    false,
  );
  const perSecond = Number(/\((\d+)\/s\)/.exec(output)?.[1] ?? 0);
  return { perSecond, output };
}

export async function runPipelineBench(
  log: (line: string) => void,
  options: PipelineBenchOptions = {},
): Promise<Figure[]> {
  const startCount = options.starts ?? 3;
  const sustainedOrders = options.orders ?? 10_000;
  const warmup = options.warmup ?? 500;
  const latencyRate = options.latencyRate ?? 100;
  const latencySeconds = options.latencySeconds ?? 8;
  const figures: Figure[] = [];
  await synthesizeIfStale(ASSEMBLY, {}, (stale) => log(`  synthesizing cdk.out (${stale}) ...`));

  // Start to ready: the CLI as a new process, with cdk.out up to date (the usual `npm start`).
  const starts: number[] = [];
  for (let i = 0; i < startCount; i++) {
    const { ms } = await runKw(
      ['up', '--port', '0', '--broker-port', '0', '--dynamodb-port', '0'],
      /Ctrl-C stops everything/,
    );
    starts.push(ms);
  }
  figures.push({
    name: '`npm start` to ready, cdk.out up to date (goal ≤ 2 s)',
    value: median(starts) / 1000,
    unit: 's',
  });
  if (options.synthStart ?? true) {
    // As on a fresh clone (no bundle kept from an earlier synthesis, so esbuild builds each one), then
    // as after an edit to the app (bundles whose inputs did not change are reused).
    rmSync(path.join(ASSEMBLY, '.kw-bundles'), { recursive: true, force: true });
    for (const bundles of ['no bundles kept', 'bundles kept']) {
      const { ms } = await runKw(
        ['up', '--synth', '--port', '0', '--broker-port', '0', '--dynamodb-port', '0'],
        /Ctrl-C stops everything/,
      );
      figures.push({
        name: `\`npm start\` to ready, synthesizing first, ${bundles} (goal ≤ 10 s)`,
        value: ms / 1000,
        unit: 's',
      });
    }
  }
  log('  start-up measured');

  // Baseline 1: the load generator against a server that answers 202 at once.
  const echo = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/`;
  const ceiling = (await load(echoUrl, Math.max(sustainedOrders, 1000), 0)).perSecond;
  echo.close();

  const runtime = await startLocalRuntime({
    assembly: ASSEMBLY,
    brokerPort: 0,
    httpPort: 0,
    dynamodbPort: 0,
  });
  try {
    // Baseline 2: single-item writes to the embedded DynamoDB, 16 at a time.
    const table = runtime.assembly.tables[0].name;
    const writes = options.tableWrites ?? 3000;
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < writes) {
          const n = next++;
          await runtime.dynamodb.client.send(
            new PutItemCommand({
              TableName: table,
              Item: { pk: { S: `bench#${n}` }, sk: { S: 'x' }, n: { N: String(n) } },
            }),
          );
        }
      }),
    );
    const dynamoPerSecond = writes / ((performance.now() - t0) / 1000);

    const ingestUrl = runtime.urls[0].url;
    const ledger = runtime.functions.get(
      runtime.mappings.find((m) => m.spec.topic === 'orders.enriched')!.spec.functionId,
    )!;
    const ledgerDone = new Map<string, number>();
    ledger.pool.on(
      'invoked',
      (outcome: { ok: boolean }, event: { records: Record<string, { value: string }[]> }) => {
        if (!outcome.ok) return;
        const now = performance.now();
        for (const r of Object.values(event.records).flat()) {
          const orderId = (JSON.parse(Buffer.from(r.value, 'base64').toString()) as { orderId: string })
            .orderId;
          if (!ledgerDone.has(orderId)) ledgerDone.set(orderId, now);
        }
      },
    );

    // Warm every environment, then the sustained run: send as fast as possible, time until the ledger
    // has every order.
    const credentials = runtime.iam?.files.credentialsFile;
    await load(ingestUrl, warmup, 0, credentials);
    await waitFor(() => ledgerDone.size >= warmup, 60_000);
    const before = ledgerDone.size;
    const requestsBefore = await runtime.dynamodb.requestCounts();
    // Function processes under the names the other figures use (`ingest`), not their physical names.
    const cpu = CpuMeter.start(
      new Map([...runtime.functions].map(([, fn]) => [fn.spec.name, shortName(fn.spec)])),
    );
    const sustainedStart = performance.now();
    const sent = await load(ingestUrl, sustainedOrders, 0, credentials);
    await waitFor(() => ledgerDone.size >= before + sustainedOrders, 180_000);
    const sustained = sustainedOrders / ((Math.max(...ledgerDone.values()) - sustainedStart) / 1000);
    const cpuByRole = cpu?.stop();
    const requestsAfter = await runtime.dynamodb.requestCounts();
    const requests = (ops: readonly string[] | undefined) =>
      Object.entries(requestsAfter)
        .filter(([op]) => !ops || ops.includes(op))
        .reduce((sum, [op, n]) => sum + n - (requestsBefore[op] ?? 0), 0) / sustainedOrders;
    const writesPerOrder = requests(WRITES);
    figures.push({
      name: `orders/s through the whole pipeline, ${sustainedOrders} orders (goal ≥ 1,000)`,
      value: sustained,
      unit: '/s',
    });
    figures.push({
      name: '  of which ingest accepted (HTTP 202) per second',
      value: sent.perSecond,
      unit: '/s',
    });
    figures.push({
      name: '  baseline: load generator vs an instant HTTP server',
      value: ceiling,
      unit: '/s',
    });
    figures.push({
      name: '  baseline: single DynamoDB writes, 16 at a time',
      value: dynamoPerSecond,
      unit: '/s',
    });
    figures.push({
      name: '  ratio: pipeline / load-generator ceiling',
      value: sustained / ceiling,
      unit: '',
    });
    figures.push({ name: '  DynamoDB requests per order, all kinds', value: requests(undefined), unit: '' });
    figures.push({ name: '  DynamoDB writes per order', value: writesPerOrder, unit: '' });
    figures.push({
      name: '  ratio: orders/s × writes per order / DynamoDB baseline (goal ≥ 0.8)',
      value: (sustained * writesPerOrder) / dynamoPerSecond,
      unit: '',
    });
    if (cpuByRole) {
      const total = cpuByRole.reduce((sum, [, ms]) => sum + ms, 0);
      figures.push({ name: '  CPU per order, all processes', value: total / sustainedOrders, unit: 'ms' });
      for (const [role, ms] of cpuByRole) {
        figures.push({ name: `    ${role}`, value: ms / sustainedOrders, unit: 'ms' });
      }
      // With every process busy on every core, this is as fast as the pipeline can go here.
      figures.push({
        name: `  ceiling from CPU per order on ${availableParallelism()} cores`,
        value: (availableParallelism() * 1000 * sustainedOrders) / total,
        unit: '/s',
      });
    }
    log('  sustained throughput measured');

    // Latency at a steady rate, ingest POST → ledger invocation done; hop overhead from the pollers.
    const notices = new Map<string, number[]>();
    for (const m of runtime.mappings) {
      const overheads: number[] = [];
      notices.set(m.spec.topic, overheads);
      m.poller.on('invoke', (n: InvokeNotice) =>
        overheads.push(n.invokedAt - n.firstTimestamp - m.spec.batchWindowMs),
      );
    }
    // What each invocation takes at this rate: on AWS, what the functions are billed for.
    const durations = new Map<string, { ms: number[]; records: number }>();
    for (const [, fn] of runtime.functions) {
      const name = shortName(fn.spec);
      if (!['ingest', 'enrich', 'ledger'].includes(name)) continue;
      const seen = { ms: [] as number[], records: 0 };
      durations.set(name, seen);
      fn.pool.on('invoked', (outcome: { ok: boolean; durationMs: number }, event: unknown) => {
        if (!outcome.ok) return;
        seen.ms.push(outcome.durationMs);
        const records = (event as { records?: Record<string, unknown[]> }).records;
        seen.records += records ? Object.values(records).flat().length : 1;
      });
    }
    const posted = new Map<string, number>();
    const sign = runtime.iam && functionUrlSigner(runtime.iam.callerKeys, LOCAL_REGION);
    const total = latencyRate * latencySeconds;
    await Promise.all(
      Array.from({ length: total }, async (_, i) => {
        await new Promise((r) => setTimeout(r, (i / latencyRate) * 1000));
        const orderId = `latency-${i}`;
        posted.set(orderId, performance.now());
        const body = JSON.stringify({
          orderId,
          customerId: `c-${i % 50}`,
          items: [{ sku: 'tea', quantity: 1, unitPrice: 2 }],
        });
        const headers = sign ? await sign('POST', new URL(ingestUrl), {}, body) : {};
        await fetch(ingestUrl, { method: 'POST', headers, body }).then((r) => r.text());
      }),
    );
    await waitFor(() => [...posted.keys()].every((id) => ledgerDone.has(id)), 60_000);
    const latencies = [...posted].map(([id, at]) => ledgerDone.get(id)! - at).sort((a, b) => a - b);
    const windows = runtime.mappings.reduce((sum, m) => sum + m.spec.batchWindowMs, 0);
    figures.push({
      name: `ingest → ledger latency p50 at ${latencyRate}/s (two hops, ${windows} ms of windows)`,
      value: percentile(latencies, 50),
      unit: 'ms',
    });
    figures.push({
      name: '  p50 minus the two batching windows (goal ≤ 100 ms)',
      value: percentile(latencies, 50) - windows,
      unit: 'ms',
    });
    figures.push({ name: 'ingest → ledger latency p99', value: percentile(latencies, 99), unit: 'ms' });
    for (const [name, seen] of durations) {
      figures.push({
        name: `${name}: invocation duration p50 at ${latencyRate}/s (${(seen.records / Math.max(1, seen.ms.length)).toFixed(1)} records each)`,
        value: percentile(
          [...seen.ms].sort((a, b) => a - b),
          50,
        ),
        unit: 'ms',
      });
    }
    for (const [topic, overheads] of notices) {
      const sorted = overheads.sort((a, b) => a - b);
      figures.push({
        name: `mapping on ${topic}: p50 beyond its window (goal ≤ 20 ms)`,
        value: percentile(sorted, 50),
        unit: 'ms',
      });
      figures.push({
        name: `mapping on ${topic}: p99 beyond its window`,
        value: percentile(sorted, 99),
        unit: 'ms',
      });
    }
  } finally {
    await runtime.close();
  }
  return figures;
}

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('benchmark timed out waiting for the pipeline');
    await new Promise((r) => setTimeout(r, 20));
  }
}
