import type { PoisonPolicy } from '../../functions/commons/batch';
import { createEnrichHandler } from '../../functions/enrich/enrich';
import { enrichOrder } from '../../functions/enrich/enrich-order';
import { lambdaContext, mskEvent, type RecordSpec } from '../support/events';
import { quietPowertools } from '../support/powertools';
import { RecordingProducer } from '../support/recording-producer';

function order(n: number, customerId = `cust-${n % 2}`) {
  return {
    orderId: `order-${n}`,
    customerId,
    items: [{ sku: 'SKU-1', quantity: n, unitPrice: 19.99 }],
    currency: 'USD',
    receivedAt: '2026-11-24T10:00:00.000Z',
  };
}

function record(partition: number, offset: number, value: unknown, key = 'cust-0'): RecordSpec {
  return { topic: 'orders', partition, offset, key, value, headers: { 'order-id': `order-${offset}` } };
}

function setup(policy: PoisonPolicy) {
  const producer = new RecordingProducer();
  const handler = createEnrichHandler({
    producer: async () => producer,
    enrichedTopic: 'orders.enriched',
    deadLetterTopic: 'orders.dlq',
    policy,
    functionName: 'enrich-test',
    ...quietPowertools(),
  });
  return { producer, handler };
}

describe('enrichOrder', () => {
  test('totals are summed in cents, so float prices do not drift', () => {
    const result = enrichOrder(
      {
        ...order(1),
        items: [
          { sku: 'A', quantity: 3, unitPrice: 0.1 },
          { sku: 'B', quantity: 1, unitPrice: 0.2 },
        ],
      },
      { topic: 'orders', partition: 0, offset: 5 },
    );
    expect(result.totals).toEqual({ lines: 2, quantity: 4, totalCents: 50, total: 0.5 });
    expect(result.source).toEqual({ topic: 'orders', partition: 0, offset: 5 });
  });

  test.each([
    [49.99, 'small'],
    [50, 'medium'],
    [499.99, 'medium'],
    [500, 'large'],
  ])('a total of %d is %s', (price, classification) => {
    const result = enrichOrder(
      { ...order(1), items: [{ sku: 'A', quantity: 1, unitPrice: price }] },
      { topic: 'orders', partition: 0, offset: 0 },
    );
    expect(result.classification).toBe(classification);
  });
});

describe('enrich handler', () => {
  test('each order is produced to orders.enriched with its key and headers tracing the source offset', async () => {
    // GIVEN a batch spanning two partitions
    const { producer, handler } = setup('dead-letter');
    const event = mskEvent([
      record(0, 10, order(1), 'cust-1'),
      record(0, 11, order(3), 'cust-1'),
      record(1, 4, order(2), 'cust-0'),
    ]);
    // WHEN
    const response = await handler(event, lambdaContext);
    // THEN
    expect(response).toEqual({ batchItemFailures: [] });
    const out = producer.on('orders.enriched');
    const fromPartition = (p: string) =>
      out.filter((r) => r.headers['source-partition'] === p).map((r) => [r.key, r.headers['source-offset']]);
    expect(fromPartition('0')).toEqual([
      ['cust-1', '10'],
      ['cust-1', '11'],
    ]);
    expect(fromPartition('1')).toEqual([['cust-0', '4']]);
    expect(out[0].headers).toMatchObject({
      'source-topic': 'orders',
      'order-id': 'order-1',
      'content-type': 'application/json',
    });
    const first = JSON.parse(out[0].value);
    expect(first).toMatchObject({
      orderId: 'order-1',
      classification: 'small',
      source: { topic: 'orders', partition: 0, offset: 10 },
    });
    expect(first.totals.totalCents).toBe(1999);
    expect(producer.on('orders.dlq')).toHaveLength(0);
  });

  describe('on-demand mode (the function dead-letters poison itself)', () => {
    test('a poison record goes to orders.dlq byte for byte, and the rest of its partition still flows', async () => {
      const { producer, handler } = setup('dead-letter');
      const event = mskEvent([
        record(0, 1, order(1)),
        record(0, 2, '{"not":"an order"}'),
        record(0, 3, 'this is not JSON'),
        record(0, 4, order(4)),
      ]);
      const response = await handler(event, lambdaContext);
      expect(response.batchItemFailures).toEqual([]);
      expect(producer.on('orders.enriched').map((r) => r.headers['source-offset'])).toEqual(['1', '4']);
      const dlq = producer.on('orders.dlq');
      expect(dlq.map((r) => [r.value, r.key, r.headers['source-offset']])).toEqual([
        ['{"not":"an order"}', 'cust-0', '2'],
        ['this is not JSON', 'cust-0', '3'],
      ]);
      expect(dlq[0].headers['dead-letter-reason']).toMatch(/Schema validation failed: orderId: /);
      expect(dlq[0].headers).toMatchObject({
        'dead-letter-function': 'enrich-test',
        'source-topic': 'orders',
        'order-id': 'order-2',
      });
    });

    test('a record with no value is poison too', async () => {
      const { producer, handler } = setup('dead-letter');
      const event = mskEvent([record(0, 1, order(1))]);
      delete (event.records['orders-0'][0] as { value?: string }).value;
      await handler(event, lambdaContext);
      expect(producer.on('orders.dlq')).toHaveLength(1);
      expect(producer.on('orders.dlq')[0].headers['dead-letter-reason']).toBe('record has no value');
    });
  });

  describe('provisioned mode (the mapping retries and owns the on-failure topic)', () => {
    test('a poison record is reported and its partition stops there, while other partitions complete', async () => {
      const { producer, handler } = setup('report');
      const event = mskEvent([
        record(0, 1, order(1)),
        record(0, 2, 'garbage'),
        record(0, 3, order(3)),
        record(1, 7, order(2)),
      ]);
      const response = await handler(event, lambdaContext);
      expect(response).toEqual({
        batchItemFailures: [{ itemIdentifier: { partition: 'orders-0', offset: 2 } }],
      });
      // offset 3 is not processed now: the mapping redelivers from offset 2, so it is not duplicated
      const enriched = producer
        .on('orders.enriched')
        .map((r) => `${r.headers['source-partition']}@${r.headers['source-offset']}`);
      expect(enriched.sort()).toEqual(['0@1', '1@7']);
      expect(producer.on('orders.dlq')).toHaveLength(0);
    });
  });

  test('when orders.enriched cannot be written the invocation fails, so the mapping retries the batch', async () => {
    const { producer, handler } = setup('dead-letter');
    producer.failNext = new Error('KafkaJSNumberOfRetriesExceeded');
    await expect(handler(mskEvent([record(0, 1, order(1))]), lambdaContext)).rejects.toThrow(
      'KafkaJSNumberOfRetriesExceeded',
    );
  });

  test('a replayed batch produces the same records with the same source headers', async () => {
    const { producer, handler } = setup('dead-letter');
    const event = mskEvent([record(0, 1, order(1)), record(0, 2, order(2))]);
    await handler(event, lambdaContext);
    await handler(event, lambdaContext);
    const out = producer.on('orders.enriched');
    expect(out.slice(2).map((r) => [r.key, r.value, r.headers])).toEqual(
      out.slice(0, 2).map((r) => [r.key, r.value, r.headers]),
    );
  });
});
