/**
 * The pipeline through a broker failure, in process: the synthesized app (the same cdk.out `kw up`
 * runs) on three embedded brokers, its topics at the template's replication factor 3 and
 * min.insync.replicas 2. Orders are posted to the ingest URL at a steady rate, as `kw load` does, each
 * once (a refused order is not sent again); meanwhile the broker that leads most partitions of
 * `orders` (of those, one coordinating the mappings' groups, so both moves happen) is stopped (a
 * controlled shutdown, as MSK patches a broker), kept down for a few seconds and started again.
 * Then every accepted order (202) must be in the ledger exactly once, the per-customer totals must add
 * up, nothing may be stuck, and each mapping's lag must come back to 0.
 *
 * No timing is asserted: the times to recover are printed, with every other figure of the run.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT, synthesizeIfStale } from '../../cli/synth';
import { shortName } from '../../local/runtime/provisioning/functions';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime/runtime';
import type { ProfileKeys } from '../../local/runtime/iam/url-signing';
import { postToUrl } from '../support/function-url';
import { scanAll } from '../support/local-dynamodb';
import { until } from '../support/until';

const ASSEMBLY = path.join(PROJECT_ROOT, 'cdk.out');
/** Orders posted per second (below what the ledger keeps up with on a busy two-core machine), and at most this many unanswered at once. */
const RATE = 20;
const MAX_IN_FLIGHT = 16;
/** Seconds of orders before the stop, while the broker is down, and after it is back. */
const BEFORE_S = 5;
const DOWN_S = 5;
const AFTER_S = 3;
const CUSTOMERS = 12;

interface Order {
  readonly orderId: string;
  readonly customerId: string;
  readonly currency: 'EUR';
  readonly items: { sku: string; quantity: number; unitPrice: number }[];
}

/** One POST and what came of it. */
interface Sent {
  readonly order: Order;
  readonly sentAt: number;
  answeredAt?: number;
  status?: number;
  /** The partition ingest wrote an accepted order to. */
  partition?: number;
  /** Why it was refused: the answer's error, or the request's. */
  reason?: string;
}

/** Order `n`: one of CUSTOMERS customers, whole-euro prices so totals are exact in cents. */
const orderNumber = (n: number): Order => ({
  orderId: `drill-${n}`,
  customerId: `drill-customer-${n % CUSTOMERS}`,
  currency: 'EUR',
  items: [
    { sku: 'tea', quantity: 1 + (n % 3), unitPrice: 2 },
    { sku: 'mug', quantity: 1, unitPrice: 1 + (n % 7) },
  ],
});
const centsOf = (o: Order) => o.items.reduce((sum, i) => sum + i.quantity * i.unitPrice * 100, 0);

/** Posts orders at RATE per second until stopped, each once, keeping what each POST came to. */
function orderLoad(url: string, keys: ProfileKeys | undefined) {
  const sent: Sent[] = [];
  let inFlight = 0;
  let stopped = false;
  const post = async (s: Sent) => {
    inFlight++;
    try {
      const res = await postToUrl(url, s.order, keys);
      const body = res.body as { error?: string; partition?: number };
      s.status = res.status;
      if (res.status === 202) s.partition = body.partition;
      else s.reason = `${res.status} ${body.error ?? res.text}`.trim();
    } catch (error) {
      s.status = 0;
      s.reason = `no answer: ${(error as Error).message}`;
    } finally {
      s.answeredAt = Date.now();
      inFlight--;
    }
  };
  const pending: Promise<void>[] = [];
  const done = (async () => {
    const start = Date.now();
    for (let n = 0; !stopped; n++) {
      // Steady pacing from the start, not from the last send: a slow answer does not slow the rate.
      const wait = start + (n * 1000) / RATE - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      while (inFlight >= MAX_IN_FLIGHT && !stopped) await new Promise((resolve) => setTimeout(resolve, 5));
      if (stopped) break;
      const s: Sent = { order: orderNumber(n), sentAt: Date.now() };
      sent.push(s);
      pending.push(post(s));
    }
    await Promise.all(pending);
  })();
  return {
    sent,
    /** Stops sending and resolves once every POST has its answer. */
    async stop() {
      stopped = true;
      await done;
    },
  };
}

/** The sums of the ledger's outcome metrics (Powertools EMF lines) in its log. */
function ledgerOutcomes(logFile: string): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{') || !line.includes('"_aws"')) continue;
    const emf = JSON.parse(line) as Record<string, unknown>;
    for (const name of ['LedgerApplied', 'LedgerReplaysSkipped', 'LedgerDuplicateOrders']) {
      if (typeof emf[name] === 'number') sums[name] = (sums[name] ?? 0) + (emf[name] as number);
    }
  }
  return sums;
}

/** Counts of each value, as `value ×n` joined. */
function tally(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, n]) => `${v} ×${n}`).join('; ') || 'none';
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe('the pipeline through a broker failure (three embedded brokers)', () => {
  jest.setTimeout(240_000);
  let runtime: LocalRuntime;
  const log: string[] = [];

  beforeAll(async () => {
    // As kw up does: synthesize only when cdk.out is out of date, one synthesis at a time.
    await synthesizeIfStale(ASSEMBLY, {});
    runtime = await startLocalRuntime({
      assembly: ASSEMBLY,
      brokers: 3,
      brokerPort: 0,
      httpPort: 0,
      dynamodbPort: 0,
      log: (line) => log.push(`${new Date().toISOString().slice(11, 23)} ${line}`),
    });
  }, 180_000);
  afterAll(() => runtime?.close());

  it('GIVEN orders flowing WHEN the broker leading most of orders is stopped and started again THEN every accepted order is in the ledger once, the totals add up and every mapping catches up', async () => {
    const broker = runtime.broker!;
    const control = broker.control;
    // The topics as the template states them: three replicas, two in sync for acks=all.
    for (const name of ['orders', 'orders.enriched', 'orders.dlq']) {
      const topic = broker.cluster.topics.get(name)!;
      expect(topic.configs['min.insync.replicas']).toBe('2');
      for (const p of topic.partitions) expect([...p.replicas].sort()).toEqual([1, 2, 3]);
    }
    const table = runtime.assembly.tables[0].name;
    const load = orderLoad(runtime.urls[0].url, runtime.iam?.callerKeys);
    const wait = (s: number) => new Promise((resolve) => setTimeout(resolve, s * 1000));

    await wait(BEFORE_S);
    const orders = broker.stats().topics.find((t) => t.name === 'orders')!.partitions;
    const led = (node: number) => orders.filter((p) => p.leader === node).map((p) => p.partition);
    const groups = runtime.mappings.map((m) => m.spec.consumerGroupId);
    const coordinators = () =>
      groups.map((g) => `${g} on ${broker.cluster.groupCoordinator(g)?.nodeId ?? 'none'}`).join(', ');
    const coordinated = (node: number) =>
      groups.filter((g) => broker.cluster.groupCoordinator(g)?.nodeId === node).length;
    // Most partitions of orders led; among equals, the one coordinating most of the mappings' groups.
    const weight = (node: number) => led(node).length * 10 + coordinated(node);
    const victim = [1, 2, 3].reduce((best, node) => (weight(node) > weight(best) ? node : best));
    const itsPartitions = led(victim);
    const coordinatorsBefore = coordinators();
    const environments = () =>
      [...runtime.functions.values()]
        .filter((f) => f.pool.stats.invocations > 0)
        .map((f) => `${shortName(f.spec)} ${f.pool.stats.environments}`)
        .join(', ');
    const environmentsBefore = environments();
    const stoppedAt = Date.now();
    let whileDown: ReturnType<typeof control.status>;
    let coordinatorsWhileDown: string;
    let startedAt: number;
    let sendingEnded: number;
    // When every replica is back in sync, watched while the orders go on.
    let inSyncAt: number | undefined;
    let watch: NodeJS.Timeout | undefined;
    try {
      await control.stop(victim);
      whileDown = control.status();
      coordinatorsWhileDown = coordinators();
      await wait(DOWN_S);
      startedAt = Date.now();
      await control.start(victim);
      watch = setInterval(() => {
        if (inSyncAt === undefined && control.status().underReplicated === 0) inSyncAt = Date.now();
      }, 20).unref();
      await wait(AFTER_S);
    } finally {
      await load.stop();
      sendingEnded = Date.now();
    }

    // Every mapping catches up: lag 0 and nothing left on a partition.
    await until(
      () => runtime.snapshot().mappings.every((m) => m.lag === 0),
      () =>
        `every mapping's lag to reach 0: ${JSON.stringify(runtime.snapshot().mappings)}\n${log.join('\n')}`,
      { timeoutMs: 120_000, intervalMs: 50 },
    );
    const lagZeroAt = Date.now();
    await until(
      () => inSyncAt !== undefined,
      () => `every replica back in sync: ${JSON.stringify(control.status())}`,
      { timeoutMs: 60_000 },
    ).finally(() => clearInterval(watch));

    const { sent } = load;
    const accepted = sent.filter((s) => s.status === 202);
    const refused = sent.filter((s) => s.status !== 202);
    const doc = DynamoDBDocumentClient.from(runtime.dynamodb.client);
    const items = await scanAll(doc, table);
    const stored = new Map(
      items.filter((i) => i.sk === 'ORDER').map((i) => [i.orderId as string, i] as const),
    );
    const refusedButStored = refused.filter((s) => stored.has(s.order.orderId));
    const sentIds = new Set(sent.map((s) => s.order.orderId));
    const totals = items.filter((i) => String(i.sk).startsWith('TOTALS#'));
    const counted = totals.reduce((n, t) => n + Number(t.orderCount), 0);
    /** Ms from the stop to the first answer 202 to an order sent after it, on `partitions` (all when absent). */
    const recovery = (partitions?: readonly number[]) => {
      const first = accepted
        .filter((s) => s.sentAt >= stoppedAt && (!partitions || partitions.includes(s.partition!)))
        .sort((a, b) => a.answeredAt! - b.answeredAt!)[0];
      return first ? `${first.answeredAt! - stoppedAt} ms` : 'none';
    };
    const otherPartitions = orders.map((p) => p.partition).filter((p) => !itsPartitions.includes(p));
    /** Median and largest time to an answer of the orders sent from `from` to `to`. */
    const latency = (from: number, to: number) => {
      const ms = sent
        .filter((s) => s.sentAt >= from && s.sentAt < to)
        .map((s) => s.answeredAt! - s.sentAt)
        .sort((a, b) => a - b);
      return ms.length === 0
        ? 'none'
        : `p50 ${ms[Math.floor(ms.length / 2)]} ms, max ${ms[ms.length - 1]} ms`;
    };
    const snapshot = runtime.snapshot();
    const outcomes = ledgerOutcomes(path.join(runtime.outputDir, 'logs', 'ledger.log'));
    const moves = log.filter((l) => / is now node | is node \d+ .* again/.test(l));

    console.log(
      [
        `pipeline drill on 3 embedded brokers (orders at RF 3, min.insync.replicas 2; ${RATE} orders/s, ` +
          `${BEFORE_S} s before, ${DOWN_S} s down, ${AFTER_S} s after):`,
        `  stopped broker ${victim}, leader of orders partitions ${itsPartitions.join(', ')}; while down: ` +
          `${whileDown.underReplicated} partitions under-replicated, ${whileDown.underMinIsr} under min ISR, ` +
          `${whileDown.offline} offline; coordinators ${coordinatorsBefore} before, ${coordinatorsWhileDown} while down`,
        `  orders sent ${sent.length}, accepted ${accepted.length}, refused ${refused.length} (${tally(refused.map((s) => s.reason!))})`,
        `  in the ledger ${stored.size} (accepted ${accepted.filter((s) => stored.has(s.order.orderId)).length}, ` +
          `refused but stored ${refusedButStored.length}), duplicates ${counted - stored.size} ` +
          `(totals count ${counted} orders; the ledger skipped ${outcomes.LedgerDuplicateOrders ?? 0} repeated ` +
          `orders and ${outcomes.LedgerReplaysSkipped ?? 0} replays)`,
        `  stop to the first order accepted again: ${recovery()}; on a partition it led: ` +
          `${recovery(itsPartitions)}; on the others: ${recovery(otherPartitions)} (answers took ` +
          `${latency(stoppedAt - 2000, stoppedAt)} in the 2 s before the stop, ` +
          `${latency(stoppedAt, stoppedAt + 2000)} in the 2 s after)`,
        `  lag 0 on every mapping ${seconds(lagZeroAt - sendingEnded)} after the last order, ` +
          `${seconds(lagZeroAt - stoppedAt)} after the stop; every replica in sync ` +
          `${inSyncAt! - startedAt} ms after the restart began`,
        `  function environments started: ${environmentsBefore} before the stop; ${environments()} at the end`,
        `  mappings: ${snapshot.mappings.map((m) => `${m.name} lag ${m.lag}`).join(', ')}; dead letters ${snapshot.deadLetters}`,
        `  leaders and coordinators the pollers followed: ${moves.length}`,
        ...moves.map((l) => `    ${l}`),
      ].join('\n'),
    );

    // Every accepted order once, with its total; nothing in the table that was not sent.
    for (const s of accepted) expect(stored.get(s.order.orderId)?.totalCents).toBe(centsOf(s.order));
    expect([...stored.keys()].filter((id) => !sentIds.has(id))).toEqual([]);
    // Per customer: the count and sum of the orders the table holds (each counted once).
    const expected = new Map<string, { orderCount: number; totalCents: number }>();
    for (const s of sent) {
      if (!stored.has(s.order.orderId)) continue;
      const c = expected.get(s.order.customerId) ?? { orderCount: 0, totalCents: 0 };
      expected.set(s.order.customerId, {
        orderCount: c.orderCount + 1,
        totalCents: c.totalCents + centsOf(s.order),
      });
    }
    expect(
      Object.fromEntries(
        totals.map((t) => [t.customerId, { orderCount: t.orderCount, totalCents: t.totalCents }]),
      ),
    ).toEqual(Object.fromEntries(expected));
    // Nothing stuck: no record left behind on a mapping, none sent to a dead-letter topic.
    expect(snapshot.mappings.map((m) => m.lag)).toEqual([0, 0]);
    expect(snapshot.deadLetters).toBe(0);
    expect(accepted.length).toBeGreaterThan(0);
  });
});
