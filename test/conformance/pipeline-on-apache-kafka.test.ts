/**
 * The pipeline on Apache Kafka itself: `kw up --bootstrap` runs the synthesized app (functions,
 * mapping pollers, DynamoDB) against Apache Kafka 3.9 in KRaft mode, started from the jars
 * scripts/install-test-deps.sh installs, instead of the embedded broker. kw up runs as a process, as a
 * user runs it; the ledger table is read with the AWS SDK at the endpoint it prints; Kafka's own tools
 * (kafka-consumer-groups, the console producer and consumer) act on the cluster where a user would.
 *
 * - Three nodes with MSK's defaults for three brokers (replication 3, min.insync.replicas 2, no
 *   auto-created topics): kw up creates the topics; an order reaches the table; the ledger's group,
 *   reset to the earliest offsets with kafka-consumer-groups, replays every record and leaves the table
 *   identical; each node stopped and started again in turn while orders flow loses none and counts
 *   none twice, with partition leaders and group coordinators moving under the pollers.
 * - One node, provisioned mappings (-c esmMode=provisioned): a record enrich cannot read reaches
 *   orders.dlq, shaped as AWS documents it, and later records of its partition flow.
 *
 * Part of `npm run test:conformance` (it needs Java); each test prints the figures it measured.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { runKafkaTool, startApacheKafka, type ApacheKafkaCluster } from '../support/apache-kafka';
import { startKwUp, type KwUp } from '../support/kw-process';
import { until } from '../support/until';

const GROUPS = ['kw-dev-enrich', 'kw-dev-ledger'];
const TOPICS = ['orders', 'orders.enriched', 'orders.dlq'];

interface Order {
  readonly orderId: string;
  readonly customerId: string;
  readonly currency: 'EUR';
  readonly items: { sku: string; quantity: number; unitPrice: number }[];
}

/** Order `n` of a run: its customer is one of four, its total n + 1 euros. */
const orderNumber = (prefix: string, n: number): Order => ({
  orderId: `${prefix}-${n}`,
  customerId: `${prefix}-customer-${n % 4}`,
  currency: 'EUR',
  items: [{ sku: 'tea', quantity: n + 1, unitPrice: 1 }],
});
const centsOf = (o: Order) => o.items.reduce((sum, i) => sum + i.quantity * i.unitPrice * 100, 0);

async function post(url: string, order: Order): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(order),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** What the ledger must hold for `orders`: each order once, and per customer the count and total. */
function expectLedger(items: Record<string, unknown>[], orders: readonly Order[]): void {
  const byId = new Map(orders.map((o) => [o.orderId, o]));
  const prefix = orders[0].orderId.replace(/-\d+$/, '-');
  const stored = items.filter((i) => typeof i.orderId === 'string' && i.orderId.startsWith(prefix));
  expect(stored.map((i) => i.orderId).sort()).toEqual([...byId.keys()].sort());
  for (const item of stored) expect(item.totalCents).toBe(centsOf(byId.get(item.orderId as string)!));
  const customers = new Map<string, { orderCount: number; totalCents: number }>();
  for (const o of orders) {
    const c = customers.get(o.customerId) ?? { orderCount: 0, totalCents: 0 };
    customers.set(o.customerId, { orderCount: c.orderCount + 1, totalCents: c.totalCents + centsOf(o) });
  }
  for (const [customerId, expected] of customers) {
    const totals = items.find((i) => i.type === 'customer-totals' && i.customerId === customerId);
    expect({ customerId, ...totals }).toMatchObject({ customerId, ...expected });
  }
}

/** Items in a stable order, to compare two scans of the same table. */
const sorted = (items: Record<string, unknown>[]) =>
  [...items].sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));

/** The sums of the ledger's outcome metrics (Powertools EMF lines) written to its log after `from` bytes. */
function ledgerOutcomes(logFile: string, from: number): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const line of readFileSync(logFile).subarray(from).toString('utf8').split('\n')) {
    if (!line.startsWith('{') || !line.includes('"_aws"')) continue;
    const emf = JSON.parse(line) as Record<string, unknown>;
    for (const name of ['LedgerApplied', 'LedgerReplaysSkipped', 'LedgerDuplicateOrders']) {
      if (typeof emf[name] === 'number') sums[name] = (sums[name] ?? 0) + (emf[name] as number);
    }
  }
  return sums;
}

/** Resolves true once every partition of `topics` has a leader and all its replicas in sync. */
async function inSync(admin: Admin, topics: string[]): Promise<true | undefined> {
  try {
    const { topics: found } = await admin.fetchTopicMetadata({ topics });
    const ok = found.every((t) =>
      t.partitions.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length),
    );
    return ok || undefined;
  } catch {
    return undefined; // a broker restarting: ask again
  }
}

/**
 * Posts orders one after another until stopped, each until it is accepted (a client retrying with the
 * same orderId, which the pipeline must count once).
 */
function orderStream(url: string, prefix: string) {
  const accepted: Order[] = [];
  let attempts = 0;
  let stopped = false;
  const done = (async () => {
    for (let n = 0; !stopped; n++) {
      const order = orderNumber(prefix, n);
      for (;;) {
        attempts++;
        const status = await post(url, order).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 202) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      accepted.push(order);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    accepted,
    attempts: () => attempts,
    /** Resolves once `count` more orders than now have been accepted. */
    more: (count: number, what: string) => {
      const target = accepted.length + count;
      return until(() => accepted.length >= target, what, { timeoutMs: 120_000 });
    },
    async stop() {
      stopped = true;
      await done;
    },
  };
}

describe('the pipeline on Apache Kafka (kw up --bootstrap)', () => {
  jest.setTimeout(600_000);

  describe('three nodes', () => {
    let kafka: ApacheKafkaCluster;
    let admin: Admin;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'kw-up-apache-'));
    const up = (args: string[] = []) =>
      startKwUp(['--bootstrap', kafka.bootstrapServers, '--data-dir', dataDir, ...args]);

    beforeAll(async () => {
      kafka = await startApacheKafka({
        nodes: 3,
        config: {
          'default.replication.factor': 3,
          'min.insync.replicas': 2,
          'auto.create.topics.enable': false,
        },
      });
      admin = new Kafka({ brokers: kafka.bootstrapServers.split(','), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
    }, 180_000);
    afterAll(async () => {
      await admin?.disconnect();
      await kafka?.stop();
    });

    it('GIVEN a fresh cluster THEN kw up creates the topics and an order reaches the table; the ledger group reset to earliest replays every record and leaves the table identical', async () => {
      const orders = Array.from({ length: 12 }, (_, n) => orderNumber('replay', n));
      let before: Record<string, unknown>[];
      const first = await up();
      try {
        expect(first.output()).not.toMatch(/starting the broker/);
        expect(first.output()).toMatch(
          new RegExp(`Kafka bootstrap\\s+${kafka.bootstrapServers}\\s+\\(existing cluster \\S+, 3 brokers`),
        );
        // The template's partitions, configs and replication factor (3, as MSK Serverless gives).
        const { topics } = await admin.fetchTopicMetadata({ topics: TOPICS });
        expect(
          Object.fromEntries(
            topics.map((t) => [t.name, t.partitions.map((p) => p.replicas.length).join(',')]),
          ),
        ).toEqual({ orders: '3,3,3', 'orders.enriched': '3,3,3', 'orders.dlq': '3' });
        const configs = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders.dlq', configNames: ['retention.ms'] }],
        });
        expect(configs.resources[0].configEntries[0]).toMatchObject({ configValue: '1209600000' });
        // min.insync.replicas as the template states it, set on the topic (not the brokers' default).
        const minIsr = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [
            { type: ConfigResourceTypes.TOPIC, name: 'orders', configNames: ['min.insync.replicas'] },
          ],
        });
        expect(minIsr.resources[0].configEntries[0]).toMatchObject({ configValue: '2', isDefault: false });

        for (const o of orders) expect((await post(first.ingestUrl, o)).status).toBe(202);
        // A client retry of an order already accepted: counted once downstream.
        expect((await post(first.ingestUrl, orders[3])).status).toBe(202);
        await until(() => first.caughtUp(GROUPS), 'both mappings to catch up', { timeoutMs: 120_000 });
        before = sorted(await first.scanTable());
        expectLedger(before, orders);
      } finally {
        expect(await first.stop()).toBe(0);
      }

      // Kafka's own tool moves the ledger's group back to the start of orders.enriched.
      const reset = await runKafkaTool('kafka-consumer-groups.sh', [
        '--bootstrap-server',
        kafka.bootstrapServers,
        '--group',
        'kw-dev-ledger',
        '--topic',
        'orders.enriched',
        '--reset-offsets',
        '--to-earliest',
        '--execute',
      ]);
      expect(reset.code).toBe(0);
      const committed = await admin.fetchOffsets({ groupId: 'kw-dev-ledger', topics: ['orders.enriched'] });
      expect(committed[0].partitions.map((p) => p.offset)).toEqual(['0', '0', '0']);
      const enriched = (await admin.fetchTopicOffsets('orders.enriched')).reduce(
        (n, p) => n + Number(p.high),
        0,
      );

      const ledgerLog = path.join(dataDir, 'output', 'logs', 'ledger.log');
      const logFrom = statSync(ledgerLog).size;
      const second = await up();
      try {
        await until(() => second.caughtUp(['kw-dev-ledger']), 'the ledger to replay orders.enriched', {
          timeoutMs: 120_000,
        });
        const after = sorted(await second.scanTable());
        expect(after).toEqual(before);
        // Every enriched record went through the ledger again and changed nothing.
        const outcomes = ledgerOutcomes(ledgerLog, logFrom);
        expect(outcomes).toMatchObject({ LedgerReplaysSkipped: 12, LedgerDuplicateOrders: 1 });
        expect(outcomes.LedgerApplied ?? 0).toBe(0);
        console.log(
          `replay on Apache Kafka: ${orders.length} orders (+1 client retry) → ${before.length} table items; ` +
            `ledger reset to earliest re-read ${enriched} enriched records: ${JSON.stringify(outcomes)}; table identical`,
        );
      } finally {
        expect(await second.stop()).toBe(0);
      }
    });

    it('GIVEN orders flowing WHEN each node is stopped (the last one killed) and started again in turn THEN no order is lost or counted twice', async () => {
      const u: KwUp = await up();
      const stream = orderStream(u.ingestUrl, 'restart');
      const downtime: string[] = [];
      try {
        await stream.more(10, 'orders before the first stop');
        for (const node of kafka.nodes.map((n) => n.nodeId)) {
          await until(() => inSync(admin, [...TOPICS, '__consumer_offsets']), 'every replica in sync', {
            timeoutMs: 120_000,
          });
          const acceptedBefore = stream.accepted.length;
          // The last node gets no time for a controlled shutdown (SIGKILL at once): its partitions
          // move only once the controller misses its heartbeats.
          const crash = node === kafka.nodes.length;
          await kafka.stopNode(node, crash ? 0 : undefined);
          // The pipeline keeps taking orders with one node of three down.
          await stream.more(15, `orders while node ${node} is down`);
          await kafka.startNode(node);
          downtime.push(
            `node ${node} ${crash ? 'killed' : 'stopped'}: ${stream.accepted.length - acceptedBefore} orders until it was back`,
          );
        }
        await stream.more(10, 'orders after the last restart');
      } finally {
        await stream.stop();
      }
      try {
        await until(() => u.caughtUp(GROUPS), 'both mappings to catch up', { timeoutMs: 180_000 });
        expectLedger(await u.scanTable(), stream.accepted);
        // The pollers followed the moves rather than waiting for the nodes to come back.
        const log = u.output();
        expect(log).toMatch(/orders(\.enriched)?-\d: leader is now node \d/);
        expect(log).toMatch(/group kw-dev-(enrich|ledger): coordinator is now node \d/);
        console.log(
          `restarts on Apache Kafka: ${stream.accepted.length} orders accepted in ${stream.attempts()} posts ` +
            `(${downtime.join('; ')}); every order once in the ledger, totals exact; ` +
            `${(log.match(/leader is now node/g) ?? []).length} leader moves and ` +
            `${(log.match(/coordinator is now node/g) ?? []).length} coordinator moves followed by the pollers`,
        );
      } finally {
        expect(await u.stop()).toBe(0);
      }
    });
  });

  describe('one node, provisioned mappings', () => {
    let kafka: ApacheKafkaCluster;
    beforeAll(async () => {
      kafka = await startApacheKafka({ config: { 'auto.create.topics.enable': false } });
    }, 180_000);
    afterAll(() => kafka?.stop());

    it('GIVEN a record enrich cannot read THEN it reaches orders.dlq as AWS shapes it and later records of its partition flow', async () => {
      const u = await startKwUp(['--bootstrap', kafka.bootstrapServers, '-c', 'esmMode=provisioned']);
      try {
        expect(u.output()).toMatch(
          /mapping\s+\S+ ← orders \(group kw-dev-enrich, .*provisioned, 2 retries\)/,
        );
        // Written by Kafka's console producer, keyed like an order of customer c-poison.
        const produced = await runKafkaTool(
          'kafka-console-producer.sh',
          [
            '--bootstrap-server',
            kafka.bootstrapServers,
            '--topic',
            'orders',
            '--property',
            'parse.key=true',
            '--property',
            'key.separator=|',
          ],
          { input: 'c-poison|this is not an order\n' },
        );
        expect(produced.code).toBe(0);
        const consumed = await runKafkaTool('kafka-console-consumer.sh', [
          '--bootstrap-server',
          kafka.bootstrapServers,
          '--topic',
          'orders.dlq',
          '--from-beginning',
          '--max-messages',
          '1',
          '--timeout-ms',
          '120000',
          '--property',
          'print.key=true',
          '--property',
          'key.separator=|',
        ]);
        expect(consumed.code).toBe(0);
        const line = consumed.out.trim();
        const doc = JSON.parse(line.slice(line.indexOf('|') + 1)) as {
          requestContext: { condition: string; approximateInvokeCount: number };
          KafkaBatchInfo: { batchSize: number; recordInfo: { offset: string } };
          payload: { records: Record<string, { key: string; value: string; partition: number }[]> };
        };
        expect(line.slice(0, line.indexOf('|'))).toBe('c-poison');
        expect(doc.requestContext).toMatchObject({
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: 3,
        });
        const [[key, [dead]]] = Object.entries(doc.payload.records);
        expect(Buffer.from(dead.value, 'base64').toString()).toBe('this is not an order');
        expect(Buffer.from(dead.key, 'base64').toString()).toBe('c-poison');

        // A later order of the same customer: same key, same partition, after the poison record.
        const later: Order = { ...orderNumber('later', 1), customerId: 'c-poison' };
        const accepted = await post(u.ingestUrl, later);
        expect(accepted.status).toBe(202);
        expect(`orders-${String(accepted.body.partition)}`).toBe(key);
        expect(Number(accepted.body.offset)).toBeGreaterThan(Number(doc.KafkaBatchInfo.recordInfo.offset));
        // Committed once the ledger returned, so both of its writes (order, then totals) are done.
        await until(() => u.caughtUp(GROUPS), 'both mappings to catch up');
        expectLedger(await u.scanTable(), [later]);
        console.log(
          `provisioned on Apache Kafka: poison record at ${key}@${doc.KafkaBatchInfo.recordInfo.offset} → orders.dlq ` +
            `after ${doc.requestContext.approximateInvokeCount} invocations; the next order of that partition ` +
            `(offset ${String(accepted.body.offset)}) reached the ledger`,
        );
      } finally {
        expect(await u.stop()).toBe(0);
      }
    });
  });
});
