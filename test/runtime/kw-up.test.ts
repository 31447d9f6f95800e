/**
 * `npm start` end to end, as a user runs it: `kw up` synthesizes the CDK app (or reuses cdk.out),
 * prints its endpoints, and an order posted to the printed ingest URL (signed with the printed
 * credentials' caller profile: IAM is enforced, as on AWS) flows ingest → orders → enrich
 * → orders.enriched → ledger → the DynamoDB table, read here with the AWS SDK at the printed endpoint.
 * Then a restart on the same --data-dir keeps the table, and a client retry of the same orderId is
 * counted once. The same on three embedded brokers (--brokers 3, the topics at the template's
 * replication factor 3 and min.insync.replicas 2), and on a cluster kw up did not start
 * (--bootstrap, here a `kw broker --brokers 3`; test/conformance runs it on Apache Kafka).
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { main } from '../../cli/main';
import { startBroker } from '../../local/broker/broker';
import { until } from '../support/until';
import { capture } from '../support/command-io';
import { startCliBroker, startKwUp, type KwUp } from '../support/kw-process';
import { writeAssembly } from '../support/cloud-assembly';

/** The table once it holds order `orderId`. */
function untilInLedger(u: KwUp, orderId: string): Promise<Record<string, unknown>[]> {
  return until(async () => {
    const all = await u.scanTable();
    return all.some((i) => i.orderId === orderId) ? all : undefined;
  }, `${orderId} in the ledger`);
}

/** A free loopback port (nothing listens there once this resolves). */
function freePort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

const order = (orderId: string) => ({
  orderId,
  customerId: 'customer-42',
  currency: 'EUR',
  items: [
    { sku: 'tea', quantity: 2, unitPrice: 3.5 },
    { sku: 'mug', quantity: 1, unitPrice: 12 },
  ],
});

describe('kw up (npm start)', () => {
  jest.setTimeout(180_000);

  it('GIVEN a fresh start WHEN an order is posted to the printed URL THEN it reaches the ledger table; a restart on the same data dir keeps it', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'kw-up-data-'));
    const first = await startKwUp(['--data-dir', dataDir]);
    try {
      expect(first.ingestUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(first.output()).toMatch(/Kafka bootstrap\s+127\.0\.0\.1:\d+/);
      // the embedded broker's control channel, for kw cluster
      expect(first.output()).toMatch(/\n {2}control +http:\/\/127\.0\.0\.1:\d+ +\(kw cluster status\|stop N/);
      // IAM is enforced by default: the URL wants signatures, the broker has an IAM listener, the
      // roles are no longer among what is not emulated.
      expect(first.output()).toMatch(
        /ingest URL\s+\S+\s+\(AWS_IAM: sign requests, SigV4 service lambda, with profile caller\)/,
      );
      expect(first.output()).toMatch(
        /Kafka IAM\s+127\.0\.0\.1:\d+\s+\(MSK IAM: SASL OAUTHBEARER or AWS_MSK_IAM, cluster arn:aws:kafka:/,
      );
      expect(first.credentialsFile).toBe(path.join(dataDir, 'output', 'aws', 'credentials'));
      expect(first.output()).toMatch(/Not emulated \(metrics and alarms/);
      expect(first.output()).not.toMatch(/AWS::IAM::Role ×/);
      // The template's replication (MSK Serverless: 3 and 2), as far as one broker holds it.
      expect(first.output()).toMatch(
        /topics orders[^:]*: replication factor 3 and min\.insync\.replicas 2 in the template; created with 1 and 1 \(1 broker here\)/,
      );

      const unsigned = await fetch(first.ingestUrl, {
        method: 'POST',
        body: JSON.stringify(order('order-0')),
      });
      expect(unsigned.status).toBe(403);
      const accepted = await first.post(order('order-1'));
      expect(accepted.status).toBe(202);
      expect(accepted.body).toMatchObject({ orderId: 'order-1', topic: 'orders' });

      const items = await until(async () => {
        const all = await first.scanTable();
        return all.some((i) => i.type === 'customer-totals') && all.some((i) => i.orderId === 'order-1')
          ? all
          : undefined;
      }, 'order-1 in the ledger');
      expect(items.find((i) => i.orderId === 'order-1')).toMatchObject({
        customerId: 'customer-42',
        totalCents: 1900,
      });
      expect(items.find((i) => i.type === 'customer-totals')).toMatchObject({
        orderCount: 1,
        totalCents: 1900,
      });

      // A bad order is refused with the reason, and nothing reaches the pipeline.
      const bad = await first.post('{"customerId":"c","items":[]}');
      expect(bad.status).toBe(400);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    expect(first.output()).toMatch(/SIGTERM: stopping[\s\S]*stopped/);

    const second = await startKwUp(['--data-dir', dataDir]);
    try {
      expect(second.output()).toMatch(/cdk\.out is up to date/);
      expect(second.output()).toMatch(/table kw-dev-pipeline-\S+: kept from the data dir/);
      const before = await second.scanTable();
      expect(before.find((i) => i.orderId === 'order-1')).toBeDefined();
      // The client retries order-1: accepted again, counted once downstream.
      const retry = await second.post(order('order-1'));
      expect(retry.status).toBe(202);
      await until(() => second.caughtUp(['kw-dev-enrich', 'kw-dev-ledger']), 'both mappings to catch up');
      const after = await second.scanTable();
      expect(after.filter((i) => i.orderId === 'order-1')).toHaveLength(1);
      expect(after.find((i) => i.type === 'customer-totals' && i.customerId === 'customer-42')).toMatchObject(
        {
          orderCount: 1,
          totalCents: 1900,
        },
      );
    } finally {
      expect(await second.stop('SIGINT')).toBe(0);
    }
  });

  it('GIVEN --brokers 3 THEN the topics spread over three brokers with three replicas and min.insync.replicas 2, and an order reaches the ledger', async () => {
    const u = await startKwUp(['--brokers', '3']);
    try {
      const brokers = u.bootstrap.split(',');
      expect(brokers).toHaveLength(3);
      const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: ['orders', 'orders.enriched'] });
        const leaders = new Set(topics.flatMap((t) => t.partitions.map((p) => p.leader)));
        expect([...leaders].sort()).toEqual([1, 2, 3]);
        // The template's replication, as MSK Serverless gives it: three copies, two in sync for acks=all.
        const all = await admin.fetchTopicMetadata({ topics: ['orders', 'orders.enriched', 'orders.dlq'] });
        for (const t of all.topics) {
          for (const p of t.partitions) expect([...p.replicas].sort()).toEqual([1, 2, 3]);
        }
        const configs = await admin.describeConfigs({
          includeSynonyms: false,
          resources: ['orders', 'orders.enriched', 'orders.dlq'].map((name) => ({
            type: ConfigResourceTypes.TOPIC,
            name,
            configNames: ['min.insync.replicas'],
          })),
        });
        expect(configs.resources.map((r) => [r.resourceName, r.configEntries[0]?.configValue])).toEqual([
          ['orders', '2'],
          ['orders.enriched', '2'],
          ['orders.dlq', '2'],
        ]);
        expect(u.output()).not.toMatch(/in the template; created with/);
      } finally {
        await admin.disconnect();
      }
      expect((await u.post(order('order-b3'))).status).toBe(202);
      const items = await untilInLedger(u, 'order-b3');
      expect(items.find((i) => i.orderId === 'order-b3')).toMatchObject({ totalCents: 1900 });
    } finally {
      expect(await u.stop()).toBe(0);
    }
  });

  it('GIVEN --bootstrap to a cluster it did not start THEN it creates the missing topics there, reports a smaller one, and an order reaches the ledger; the cluster outlives it, and a second run without --data-dir warns that its groups resume on an empty table', async () => {
    const cluster = await startCliBroker(['--brokers', '3']);
    try {
      const admin = new Kafka({ brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        // An existing `orders` with fewer partitions than the template's three: used as it is.
        await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 1 }] });
        // Only the first broker's address: the others come from Metadata.
        const u = await startKwUp(['--bootstrap', cluster.bootstrap]);
        try {
          expect(u.output()).not.toMatch(/starting the broker/);
          // nothing of it to stop or start: no control channel
          expect(u.output()).not.toMatch(/\n {2}control /);
          expect(u.output()).toMatch(
            new RegExp(
              `Kafka bootstrap\\s+${cluster.bootstrap}\\s+\\(existing cluster \\S+, 3 brokers: kw up neither starts nor stops it\\)`,
            ),
          );
          expect(u.output()).toMatch(
            /warning: topic orders has 1 partition\(s\) on the cluster, the template says 3: used as it is/,
          );
          const { topics } = await admin.fetchTopicMetadata({
            topics: ['orders', 'orders.enriched', 'orders.dlq'],
          });
          expect(Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]))).toEqual({
            orders: 1,
            'orders.enriched': 3,
            'orders.dlq': 1,
          });
          expect(u.output()).toMatch(
            /AWS_IAM auth is not enforced: an existing cluster's plaintext listeners have no IAM access control/,
          );
          expect(u.credentialsFile).toBeUndefined();
          expect((await u.post(order('order-ext'))).status).toBe(202);
          const items = await untilInLedger(u, 'order-ext');
          expect(items.find((i) => i.orderId === 'order-ext')).toMatchObject({ totalCents: 1900 });
          await until(
            () => u.caughtUp(['kw-dev-enrich', 'kw-dev-ledger']),
            'both mappings to commit on the cluster',
          );
        } finally {
          expect(await u.stop()).toBe(0);
        }
        // kw up stopped; the cluster and what kw up wrote there did not.
        const offsets = await admin.fetchTopicOffsets('orders.enriched');
        expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(1);
        // Started again without --data-dir: the groups resume on the cluster, the table starts empty.
        const again = await startKwUp(['--bootstrap', cluster.bootstrap]);
        try {
          expect(again.output()).toMatch(
            /warning: groups kw-dev-enrich, kw-dev-ledger resume from offsets an earlier run committed on this cluster, but the tables start empty/,
          );
        } finally {
          expect(await again.stop()).toBe(0);
        }
      } finally {
        await admin.disconnect();
      }
    } finally {
      expect(await cluster.stop()).toBe(0);
    }
  });

  describe('bad input', () => {
    const run = async (args: string[]) => {
      const io = capture();
      const code = await main(args, io);
      return { code, err: io.stderr, out: io.stdout };
    };
    /** `kw up ARGS` with the Function URL and DynamoDB on free ports. */
    const runUp = (...args: string[]) => run(['up', ...args, '--port', '0', '--dynamodb-port', '0']);

    it.each([
      [['up', '--port', 'http'], /--port must be a port from 0 to 65535, got 'http'/],
      [['up', '-c', 'esmMode'], /-c takes KEY=VALUE, got 'esmMode'/],
      [['up', '--assembly', 'x', '--synth'], /cannot be combined with --synth/],
      [['up', '--frobnicate'], /Unknown option '--frobnicate'/],
      [
        ['up', '--bootstrap', '127.0.0.1:9092', '--broker-port', '19092'],
        /--bootstrap runs on an existing cluster: --broker-port \(for the embedded broker\) cannot be combined with it/,
      ],
      [
        ['up', '--bootstrap', '127.0.0.1:9092', '--brokers', '3'],
        /--bootstrap runs on an existing cluster: --brokers \(for the embedded broker\) cannot be combined/,
      ],
      [['up', '--bootstrap', 'kafka-1'], /--bootstrap 'kafka-1' is not host:port/],
      [['up', '--bootstrap', '127.0.0.1:9092,kafka-2:x'], /--bootstrap 'kafka-2:x' is not host:port/],
      [['up', '--brokers', '0'], /--brokers must be an integer from 1 to 16, got '0'/],
      [['load', '--count', '0'], /--count has an invalid value '0'/],
      [['load', '--url', 'not a url'], /Invalid URL/],
    ])('%j is refused with a clear message', async (args, message) => {
      const { code, err } = await run(args);
      expect(code).toBe(2);
      expect(err).toMatch(message);
    });

    it('an assembly folder without a manifest is reported with what to do', async () => {
      const { code, err } = await runUp('--assembly', tmpdir(), '--broker-port', '0');
      expect(code).toBe(1);
      expect(err).toMatch(/is not a cloud assembly \(no manifest.json\)/);
    });

    it('a Kafka port already in use names the flag that moves it', async () => {
      const dir = writeAssembly({ Resources: {} });
      const taken = await startBroker({ port: 0 });
      try {
        const { code, err } = await runUp('--assembly', dir, '--broker-port', String(taken.port));
        expect(code).toBe(1);
        expect(err).toMatch(
          new RegExp(`Kafka port ${taken.port} on 127.0.0.1 is already in use.*pass --broker-port`),
        );
      } finally {
        await taken.close();
      }
    });

    it('a --bootstrap address where nothing listens fails at once, naming it and what to check', async () => {
      const port = await freePort();
      const { code, err, out } = await run(['up', '--bootstrap', `127.0.0.1:${port}`]);
      expect(code).toBe(1);
      expect(err).toMatch(
        new RegExp(
          `cannot reach Kafka at 127.0.0.1:${port} \\(connect ECONNREFUSED [^)]*\\)\\. Check that the cluster is running`,
        ),
      );
      // Before synthesizing, which takes seconds when cdk.out is not up to date.
      expect(out).not.toMatch(/\[1\/2\]/);
    });

    it('a cluster whose brokers advertise an address that cannot be reached is refused at start, saying so', async () => {
      const dir = writeAssembly({ Resources: {} });
      const nowhere = await freePort();
      const broker = await startBroker({ port: 0, advertisedListeners: [`127.0.0.1:${nowhere}`] });
      try {
        const { code, err } = await runUp('--assembly', dir, '--bootstrap', broker.bootstrapServers);
        expect(code).toBe(1);
        expect(err).toMatch(
          new RegExp(
            `${broker.bootstrapServers} answered, but clients are sent to addresses this machine cannot reach: broker 1 at 127.0.0.1:${nowhere} .*advertised.listeners`,
          ),
        );
      } finally {
        await broker.close();
      }
    });

    it('kw load against a port where nothing listens says to start the pipeline', async () => {
      const port = await freePort();
      const { code, err } = await run(['load', '--url', `http://127.0.0.1:${port}/`, '--count', '1']);
      expect(code).toBe(1);
      expect(err).toMatch(
        /cannot reach http:\/\/127.0.0.1:\d+\/ \(ECONNREFUSED\)\. Start the pipeline with 'npm start' first/,
      );
    });
  });
});
