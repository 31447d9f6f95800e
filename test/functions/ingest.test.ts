import { createIngestHandler } from '../../functions/ingest/ingest';
import { functionUrlEvent } from '../support/events';
import { quietPowertools } from '../support/powertools';
import { RecordingProducer } from '../support/recording-producer';

const validOrder = {
  customerId: 'cust-42',
  items: [
    { sku: 'BOOK-1', quantity: 2, unitPrice: 12.5 },
    { sku: 'PEN-7', quantity: 3, unitPrice: 1.2 },
  ],
};

function setup() {
  const producer = new RecordingProducer();
  const handler = createIngestHandler({
    producer: async () => producer,
    topic: 'orders',
    newOrderId: () => 'generated-id',
    now: () => new Date('2026-11-24T10:00:00.000Z'),
    ...quietPowertools(),
  });
  return { producer, handler };
}

describe('ingest', () => {
  test('a valid order is produced keyed by customer and answered with 202 and its position', async () => {
    // GIVEN
    const { producer, handler } = setup();
    // WHEN
    const res = await handler(functionUrlEvent({ body: JSON.stringify(validOrder) }));
    // THEN
    expect(res.statusCode).toBe(202);
    const sent = producer.on('orders');
    expect(sent).toHaveLength(1);
    expect(JSON.parse(res.body!)).toEqual({
      orderId: 'generated-id',
      topic: 'orders',
      partition: sent[0].partition,
      offset: 0,
    });
    expect(sent[0].key).toBe('cust-42');
    expect(sent[0].headers).toEqual({ 'order-id': 'generated-id', 'content-type': 'application/json' });
    expect(JSON.parse(sent[0].value)).toEqual({
      ...validOrder,
      orderId: 'generated-id',
      currency: 'USD',
      receivedAt: '2026-11-24T10:00:00.000Z',
    });
  });

  test('a client-supplied orderId is kept, so retries of the same order carry the same id', async () => {
    const { producer, handler } = setup();
    const body = JSON.stringify({ ...validOrder, orderId: 'client-7', currency: 'EUR' });
    const first = JSON.parse((await handler(functionUrlEvent({ body }))).body!);
    const second = JSON.parse((await handler(functionUrlEvent({ body }))).body!);
    expect(first.orderId).toBe('client-7');
    expect(second.orderId).toBe('client-7');
    expect(second.offset).toBe(first.offset + 1);
    expect(producer.on('orders').map((r) => JSON.parse(r.value).currency)).toEqual(['EUR', 'EUR']);
  });

  test('a base64-encoded body (as Function URLs send binary content types) is decoded', async () => {
    const { producer, handler } = setup();
    const res = await handler(functionUrlEvent({ body: JSON.stringify(validOrder), base64: true }));
    expect(res.statusCode).toBe(202);
    expect(producer.sent).toHaveLength(1);
  });

  test('orders of one customer go to one partition', async () => {
    const { producer, handler } = setup();
    for (let i = 0; i < 5; i++) await handler(functionUrlEvent({ body: JSON.stringify(validOrder) }));
    expect(producer.sent.map((r) => r.key)).toEqual(Array(5).fill('cust-42'));
    expect(new Set(producer.sent.map((r) => r.partition)).size).toBe(1);
  });

  test.each([
    ['an empty body', undefined, /body is empty/],
    ['malformed JSON', '{"customerId": ', /body is not valid JSON/],
    ['a JSON array', '[]', /invalid order/],
  ])('%s gets 400 with the reason and produces nothing', async (_name, body, error) => {
    const { producer, handler } = setup();
    const res = await handler(functionUrlEvent({ body }));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body!).error).toMatch(error);
    expect(producer.sent).toHaveLength(0);
  });

  test.each([
    ['missing customerId', { items: validOrder.items }, 'customerId'],
    ['no items', { customerId: 'c', items: [] }, 'items'],
    [
      'zero quantity',
      { customerId: 'c', items: [{ sku: 'A', quantity: 0, unitPrice: 1 }] },
      'items.0.quantity',
    ],
    [
      'fractional quantity',
      { customerId: 'c', items: [{ sku: 'A', quantity: 1.5, unitPrice: 1 }] },
      'items.0.quantity',
    ],
    [
      'negative price',
      { customerId: 'c', items: [{ sku: 'A', quantity: 1, unitPrice: -1 }] },
      'items.0.unitPrice',
    ],
    ['lower-case currency', { ...validOrder, currency: 'usd' }, 'currency'],
    ['a misspelt field', { ...validOrder, custmerId: 'x' }, '(body)'],
  ])('%s gets 400 naming the field, and nothing is produced', async (_name, order, path) => {
    const { producer, handler } = setup();
    const res = await handler(functionUrlEvent({ body: JSON.stringify(order) }));
    expect(res.statusCode).toBe(400);
    const body = JSON.parse(res.body!);
    expect(body.error).toBe('invalid order');
    expect(body.issues.map((i: { path: string }) => i.path)).toContain(path);
    expect(producer.sent).toHaveLength(0);
  });

  test('GIVEN an order with several mistakes THEN the 400 says in words what is wrong with each field', async () => {
    const { handler } = setup();
    const order = {
      customerId: 'cust 42',
      items: [{ sku: '', quantity: 1.5, unitPrice: -1 }],
      currency: 'usd',
      note: 'x',
    };
    const res = await handler(functionUrlEvent({ body: JSON.stringify(order) }));
    expect(JSON.parse(res.body!).issues).toEqual([
      { path: 'customerId', message: 'use letters, digits and . _ : @ -' },
      { path: 'items.0.sku', message: 'Too small: expected string to have >=1 characters' },
      { path: 'items.0.quantity', message: 'Invalid input: expected int, received number' },
      { path: 'items.0.unitPrice', message: 'Too small: expected number to be >=0' },
      { path: 'currency', message: 'use an ISO 4217 code such as USD' },
      { path: '(body)', message: 'Unrecognized key: "note"' },
    ]);
  });

  test('methods other than POST get 405', async () => {
    const { producer, handler } = setup();
    const res = await handler(functionUrlEvent({ method: 'GET' }));
    expect(res.statusCode).toBe(405);
    expect(res.headers).toMatchObject({ allow: 'POST' });
    expect(producer.sent).toHaveLength(0);
  });

  test('when the cluster refuses the role to write (TOPIC_AUTHORIZATION_FAILED) the 503 names WriteData and the topic ARN, not a retry', async () => {
    const producer = new RecordingProducer();
    const handler = createIngestHandler({
      producer: async () => producer,
      topic: 'orders',
      clusterArn: 'arn:aws:kafka:eu-west-1:111122223333:cluster/kw-dev/abcd-1234-5',
      newOrderId: () => 'generated-id',
      ...quietPowertools(),
    });
    // kafkajs' error for Kafka code 29, as its producer throws it
    producer.failNext = Object.assign(
      new Error('Not authorized to access topics: [Topic authorization failed]'),
      {
        type: 'TOPIC_AUTHORIZATION_FAILED',
      },
    );
    const res = await handler(functionUrlEvent({ body: JSON.stringify(validOrder) }));
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body!)).toEqual({
      error:
        'the order could not be stored: the cluster refused to let this function write to orders (TOPIC_AUTHORIZATION_FAILED); its role needs kafka-cluster:WriteData on arn:aws:kafka:eu-west-1:111122223333:topic/kw-dev/abcd-1234-5/orders',
      orderId: 'generated-id',
    });
  });

  test('when Kafka is unreachable the client gets 503 with the orderId to retry with', async () => {
    const { producer, handler } = setup();
    producer.failNext = new Error('Connection timeout');
    const res = await handler(functionUrlEvent({ body: JSON.stringify(validOrder) }));
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body!)).toEqual({
      error: expect.stringMatching(/retry with the same orderId/),
      orderId: 'generated-id',
    });
  });
});
