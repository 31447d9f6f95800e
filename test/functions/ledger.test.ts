import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { PoisonPolicy } from '../../functions/commons/batch';
import { enrichOrder } from '../../functions/enrich/enrich-order';
import { createLedgerHandler } from '../../functions/ledger/ledger';
import { LedgerWriter, ledgerKeys } from '../../functions/ledger/ledger-writer';
import { lambdaContext, mskEvent, type RecordSpec } from '../support/events';
import { startLocalDynamoDB, type LocalDynamoDB } from '../support/local-dynamodb';
import { quietPowertools } from '../support/powertools';
import { RecordingProducer } from '../support/recording-producer';

let db: LocalDynamoDB;
beforeAll(async () => {
  db = await startLocalDynamoDB();
});
afterAll(async () => {
  await db.close();
});

/** An enriched order as enrich writes it, read from `orders` partition/offset. */
function enriched(
  orderId: string,
  customerId: string,
  sourcePartition: number,
  sourceOffset: number,
  cents = 1250,
  currency = 'USD',
) {
  return enrichOrder(
    {
      orderId,
      customerId,
      currency,
      items: [{ sku: 'SKU', quantity: 1, unitPrice: cents / 100 }],
      receivedAt: '2026-11-24T10:00:00.000Z',
    },
    { topic: 'orders', partition: sourcePartition, offset: sourceOffset },
  );
}

/** A record on `orders.enriched` carrying `value` (its own offsets differ from the source's). */
function enrichedRecord(partition: number, offset: number, value: unknown): RecordSpec {
  const key =
    typeof value === 'object' && value !== null ? (value as { customerId: string }).customerId : 'cust';
  return { topic: 'orders.enriched', partition, offset, key, value };
}

/**
 * The totals that 30 orders of six customers leave, record i being customer i % 6's order of i + 100
 * cents from source offset `firstSourceOffset + i`: five orders each, the mark at the last one's offset.
 */
function expectTotalsOfSixCustomers(
  items: readonly Record<string, unknown>[],
  customers: readonly string[],
  firstSourceOffset: number,
): void {
  for (const [n, customer] of customers.entries()) {
    const offsets = Array.from({ length: 5 }, (_, k) => n + 6 * k);
    expect(items.find((i) => i.pk === `CUSTOMER#${customer}`)).toMatchObject({
      orderCount: 5,
      totalCents: offsets.reduce((sum, k) => sum + 100 + k, 0),
      'applied:orders:0': firstSourceOffset + offsets[4],
    });
  }
}

async function setup(policy: PoisonPolicy = 'dead-letter') {
  const tableName = await db.createLedgerTable();
  const producer = new RecordingProducer();
  const handler = createLedgerHandler({
    writer: new LedgerWriter(db.client, tableName),
    producer: async () => producer,
    deadLetterTopic: 'orders.dlq',
    policy,
    functionName: 'ledger-test',
    ...quietPowertools(),
  });
  return { tableName, producer, handler };
}

describe('ledger', () => {
  test('orders and per-customer running totals are recorded', async () => {
    // GIVEN
    const { tableName, handler } = await setup();
    const event = mskEvent([
      enrichedRecord(0, 0, enriched('o-1', 'alice', 0, 10, 1250)),
      enrichedRecord(0, 1, enriched('o-2', 'alice', 0, 11, 300)),
      enrichedRecord(1, 0, enriched('o-3', 'bob', 1, 5, 99_900)),
    ]);
    // WHEN
    expect(await handler(event, lambdaContext)).toEqual({ batchItemFailures: [] });
    // THEN
    const items = await db.scanAll(tableName);
    const alice = items.find((i) => i.pk === 'CUSTOMER#alice');
    expect(alice).toMatchObject({
      sk: 'TOTALS#USD',
      orderCount: 2,
      totalCents: 1550,
      'applied:orders:0': 11,
    });
    expect(items.find((i) => i.pk === 'CUSTOMER#bob')).toMatchObject({ orderCount: 1, totalCents: 99_900 });
    expect(items.find((i) => i.pk === 'ORDER#o-3')).toMatchObject({
      customerId: 'bob',
      classification: 'large',
      total: 999,
      source: 'orders:1:5',
    });
    expect(items).toHaveLength(5);
  });

  test('a replayed batch leaves the table exactly as before', async () => {
    const { tableName, handler } = await setup();
    const event = mskEvent([
      enrichedRecord(0, 0, enriched('o-1', 'alice', 0, 10)),
      enrichedRecord(0, 1, enriched('o-2', 'alice', 0, 11)),
      enrichedRecord(2, 0, enriched('o-3', 'carol', 2, 0, 4200, 'EUR')),
    ]);
    await handler(event, lambdaContext);
    const before = await db.scanAll(tableName);

    await handler(event, lambdaContext);
    await handler(event, lambdaContext);

    expect(await db.scanAll(tableName)).toEqual(before);
  });

  test('records enrich produced twice (a retried enrich batch) count once: the source offset decides', async () => {
    const { tableName, handler } = await setup();
    const first = enriched('o-1', 'alice', 0, 10);
    const second = enriched('o-2', 'alice', 0, 11);
    // enrich's retry re-produced both records at new offsets of orders.enriched
    await handler(
      mskEvent([
        enrichedRecord(0, 0, first),
        enrichedRecord(0, 1, second),
        enrichedRecord(0, 2, first),
        enrichedRecord(0, 3, second),
      ]),
      lambdaContext,
    );
    expect((await db.scanAll(tableName)).find((i) => i.pk === 'CUSTOMER#alice')).toMatchObject({
      orderCount: 2,
      totalCents: 2500,
    });
  });

  test('a crash between the order write and the totals write is completed by the replay, not doubled', async () => {
    const { tableName, handler } = await setup();
    const order = enriched('o-1', 'alice', 0, 10);
    // the order item made it, the totals update did not
    await new LedgerWriter(db.client, tableName).apply(enriched('o-0', 'alice', 0, 9));
    await DynamoDBDocumentClient.from(db.client).send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...ledgerKeys.order('o-1'),
          type: 'order',
          orderId: 'o-1',
          customerId: 'alice',
          currency: 'USD',
          totalCents: 1250,
          total: 12.5,
          lines: 1,
          quantity: 1,
          classification: 'small',
          receivedAt: order.receivedAt,
          source: 'orders:0:10',
        },
      }),
    );
    await handler(mskEvent([enrichedRecord(0, 5, order)]), lambdaContext);
    await handler(mskEvent([enrichedRecord(0, 5, order)]), lambdaContext);
    expect((await db.scanAll(tableName)).find((i) => i.pk === 'CUSTOMER#alice')).toMatchObject({
      orderCount: 2,
      totalCents: 2500,
    });
  });

  test('an order first seen behind the mark (redriven from the dead-letter topic) is still counted once', async () => {
    const { tableName, handler } = await setup();
    await handler(mskEvent([enrichedRecord(0, 0, enriched('o-11', 'alice', 0, 11))]), lambdaContext);
    const redriven = enrichedRecord(0, 1, enriched('o-10', 'alice', 0, 10));
    await handler(mskEvent([redriven]), lambdaContext);
    await handler(mskEvent([redriven]), lambdaContext);
    const alice = (await db.scanAll(tableName)).find((i) => i.pk === 'CUSTOMER#alice');
    expect(alice).toMatchObject({ orderCount: 2, totalCents: 2500, 'applied:orders:0': 11 });
  });

  test('the same orderId from another source record (a client retrying ingest) is not counted again', async () => {
    const { tableName, handler } = await setup();
    await handler(
      mskEvent([
        enrichedRecord(0, 0, enriched('o-1', 'alice', 0, 10)),
        enrichedRecord(0, 1, enriched('o-1', 'alice', 0, 11)),
      ]),
      lambdaContext,
    );
    const items = await db.scanAll(tableName);
    expect(items.find((i) => i.pk === 'CUSTOMER#alice')).toMatchObject({ orderCount: 1, totalCents: 1250 });
    expect(items.find((i) => i.pk === 'ORDER#o-1')).toMatchObject({ source: 'orders:0:10' });
  });

  test('a record that is not an enriched order goes to orders.dlq and later records are still applied', async () => {
    const { tableName, producer, handler } = await setup('dead-letter');
    await handler(
      mskEvent([
        enrichedRecord(0, 0, { orderId: 'half' }),
        enrichedRecord(0, 1, enriched('o-2', 'alice', 0, 11)),
      ]),
      lambdaContext,
    );
    expect(producer.on('orders.dlq').map((r) => r.headers['source-offset'])).toEqual(['0']);
    expect((await db.scanAll(tableName)).find((i) => i.pk === 'ORDER#o-2')).toBeDefined();
  });

  test('with the report policy a bad record is reported to the mapping instead', async () => {
    const { producer, handler } = await setup('report');
    const response = await handler(mskEvent([enrichedRecord(3, 7, 'nope')]), lambdaContext);
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'orders.enriched-3', offset: 7 } }],
    });
    expect(producer.sent).toHaveLength(0);
  });

  test('customers of one partition are written at once, each customer in offset order, with the same table as one at a time', async () => {
    // GIVEN one partition with 6 customers' orders interleaved, written through the real writer, and
    // a record of when each write started and ended
    const tableName = await db.createLedgerTable();
    const writer = new LedgerWriter(db.client, tableName);
    const started: string[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const handler = createLedgerHandler({
      writer: {
        apply: (order) => writer.apply(order),
        applyInOrder: async (orders) => {
          started.push(...orders.map((o) => o.orderId));
          mostInFlight = Math.max(mostInFlight, ++inFlight);
          try {
            return await writer.applyInOrder(orders);
          } finally {
            inFlight--;
          }
        },
      },
      producer: async () => new RecordingProducer(),
      deadLetterTopic: 'orders.dlq',
      policy: 'dead-letter',
      functionName: 'ledger-test',
      ...quietPowertools(),
    });
    const customers = ['a', 'b', 'c', 'd', 'e', 'f'];
    const records = Array.from({ length: 30 }, (_, i) =>
      enrichedRecord(0, i, enriched(`o-${i}`, customers[i % 6], 0, 100 + i, 100 + i)),
    );
    // WHEN
    expect(await handler(mskEvent(records), lambdaContext)).toEqual({ batchItemFailures: [] });
    // THEN writes overlapped across customers, and each customer's started in offset order
    expect(mostInFlight).toBeGreaterThan(1);
    for (const [n, customer] of customers.entries()) {
      const own = started.filter((id) => Number(id.slice(2)) % 6 === n);
      expect({ customer, own }).toEqual({
        customer,
        own: Array.from({ length: 5 }, (_, k) => `o-${n + 6 * k}`),
      });
    }
    // and the table is what one-at-a-time writes leave: every order once, totals and marks per customer
    const items = await db.scanAll(tableName);
    expect(items.filter((i) => i.type === 'order')).toHaveLength(30);
    expectTotalsOfSixCustomers(items, customers, 100);
    // and a replay of the whole batch changes nothing
    await handler(mskEvent(records), lambdaContext);
    expect(await db.scanAll(tableName)).toEqual(items);
  });

  test("a customer's new orders of one batch are added to its totals in one update, and a replay adds none", async () => {
    // GIVEN the table's requests counted at the client, 30 new orders of 6 customers in one partition
    const { tableName, handler } = await setup();
    const requests: string[] = [];
    const counting =
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => {
        requests.push(String(context.commandName));
        return next(args);
      };
    db.client.middlewareStack.add(counting as never, { step: 'initialize', name: 'countRequests' });
    try {
      const customers = ['a', 'b', 'c', 'd', 'e', 'f'];
      const records = Array.from({ length: 30 }, (_, i) =>
        enrichedRecord(0, i, enriched(`n-${i}`, customers[i % 6], 0, 200 + i, 100 + i)),
      );
      // WHEN the batch is applied
      await handler(mskEvent(records), lambdaContext);
      // THEN one write per order and one totals update per customer
      const count = (name: string) => requests.filter((r) => r === name).length;
      expect({ puts: count('PutItemCommand'), updates: count('UpdateItemCommand') }).toEqual({
        puts: 30,
        updates: 6,
      });
      const items = await db.scanAll(tableName);
      expectTotalsOfSixCustomers(items, customers, 200);
      // and a replay finds every order and adds nothing
      await handler(mskEvent(records), lambdaContext);
      expect(await db.scanAll(tableName)).toEqual(items);
    } finally {
      db.client.middlewareStack.remove('countRequests');
    }
  });

  test("a replay that starts inside a customer's run (a crash after some of its writes) counts every order once", async () => {
    // GIVEN o-1 fully applied, o-2's order item written but not its totals (the crash), o-3 and o-4 new
    const { tableName, handler } = await setup();
    const writer = new LedgerWriter(db.client, tableName);
    const orders = [1, 2, 3, 4].map((n) => enriched(`r-${n}`, 'carol', 1, 40 + n, 100 * n));
    await writer.apply(orders[0]);
    await DynamoDBDocumentClient.from(db.client).send(
      new PutCommand({
        TableName: tableName,
        Item: { ...ledgerKeys.order('r-2'), type: 'order', orderId: 'r-2', source: 'orders:1:42' },
      }),
    );
    // WHEN the batch comes again, longer than before, and then once more
    const batch = orders.map((o, i) => enrichedRecord(1, i, o));
    await handler(mskEvent(batch), lambdaContext);
    const after = await db.scanAll(tableName);
    await handler(mskEvent(batch), lambdaContext);
    // THEN each order is in the totals once, the mark is the last source offset, and the replay changed nothing
    expect(after.find((i) => i.pk === 'CUSTOMER#carol')).toMatchObject({
      orderCount: 4,
      totalCents: 1000,
      'applied:orders:1': 44,
    });
    expect(await db.scanAll(tableName)).toEqual(after);
  });

  test('when the table is unreachable the invocation fails, so the batch is retried', async () => {
    const { handler } = createUnreachableLedger();
    await expect(
      handler(mskEvent([enrichedRecord(0, 0, enriched('o-1', 'alice', 0, 1))]), lambdaContext),
    ).rejects.toThrow();
  });
});

function createUnreachableLedger() {
  const client = new DynamoDBClient({
    endpoint: 'http://127.0.0.1:9',
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  return {
    handler: createLedgerHandler({
      writer: new LedgerWriter(client, 'missing'),
      producer: async () => new RecordingProducer(),
      deadLetterTopic: 'orders.dlq',
      policy: 'dead-letter',
      functionName: 'ledger-test',
      ...quietPowertools(),
    }),
  };
}
