/** The pipeline source's pure parts: the graph from the assembly, traces, rings and rates, dead letters. */
import { readDeadLetter, eventOrderId } from '../../local/console/pipeline/dead-letters';
import { produceGrants, topology, tracePath, type GraphInput } from '../../local/console/pipeline/graph';
import { poisonOrderValue, randomOrder } from '../../local/console/pipeline/orders';
import { RateWindow, Ring } from '../../local/console/pipeline/recent';
import { TraceBook } from '../../local/console/pipeline/trace';

const TOPICS = { ORDERS_TOPIC: 'orders', ENRICHED_TOPIC: 'orders.enriched', DEAD_LETTER_TOPIC: 'orders.dlq' };
const PIPELINE: GraphInput = {
  functions: [
    { id: 's/Ingest', name: 'ingest', environment: TOPICS },
    { id: 's/Enrich', name: 'enrich', environment: TOPICS },
    { id: 's/Ledger', name: 'ledger', environment: { ...TOPICS, LEDGER_TABLE_NAME: 'ledger-table' } },
  ],
  urls: ['ingest'],
  topics: ['orders', 'orders.enriched', 'orders.dlq'],
  tables: ['ledger-table'],
  mappings: [
    { functionName: 'enrich', topic: 'orders', onFailureTopic: 'orders.dlq' },
    { functionName: 'ledger', topic: 'orders.enriched' },
  ],
  produceGrants: new Map([
    ['ingest', ['orders']],
    ['enrich', ['orders.dlq', 'orders.enriched']],
    ['ledger', ['orders.dlq']],
  ]),
};

/** A role policy as CDK writes it: the topic ARN joined from parts, the topic name last. */
const topicArn = (topic: string) => ({
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, ':kafka:…:topic/kw-dev/', { 'Fn::Select': [2, []] }, `/${topic}`],
  ],
});

describe('the pipeline graph', () => {
  it('GIVEN the pipeline THEN URL → ingest → orders → enrich → orders.enriched → ledger → table, with the on-failure edge to the dlq', () => {
    const t = topology(PIPELINE);
    expect(t.edges.map((e) => `${e.kind} ${e.from} ${e.to}`)).toEqual([
      'request url:ingest function:ingest',
      'produce function:ingest topic:orders',
      'produce function:enrich topic:orders.dlq',
      'produce function:enrich topic:orders.enriched',
      'produce function:ledger topic:orders.dlq',
      'mapping topic:orders function:enrich',
      'on-failure function:enrich topic:orders.dlq',
      'mapping topic:orders.enriched function:ledger',
      'write function:ledger table:ledger-table',
    ]);
    expect(new Set(t.edges.map((e) => e.id)).size).toBe(t.edges.length);
    expect(t.deadLetterTopics).toEqual(['orders.dlq']);
    expect(t.nodes.find((n) => n.id === 'topic:orders.dlq')?.deadLetter).toBe(true);
    expect(tracePath(t).hops).toEqual([
      'on orders',
      'ingest answered',
      'enrich invoked',
      'on orders.enriched',
      'ledger invoked',
      'in table',
    ]);
  });

  it('GIVEN no IAM grants (a self-managed cluster) THEN produce edges come from the topics a function is given but does not read', () => {
    const t = topology({ ...PIPELINE, produceGrants: new Map() });
    const produce = t.edges.filter((e) => e.kind === 'produce').map((e) => `${e.functionName}→${e.topic}`);
    // A guess: ledger is given ORDERS_TOPIC too, and nothing says it never writes there.
    expect(produce).toEqual([
      'ingest→orders',
      'ingest→orders.enriched',
      'ingest→orders.dlq',
      'enrich→orders.enriched',
      'enrich→orders.dlq',
      'ledger→orders',
      'ledger→orders.dlq',
    ]);
  });

  it('GIVEN role policies granting WriteData THEN produceGrants names each function its topics; ReadData and wildcards name none', () => {
    const grants = produceGrants([
      {
        name: 'p',
        template: {
          Resources: {
            EnrichPolicy: {
              Type: 'AWS::IAM::Policy',
              Properties: {
                Roles: [{ Ref: 'EnrichRole' }],
                PolicyDocument: {
                  Statement: [
                    {
                      Effect: 'Allow',
                      Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
                      Resource: [topicArn('orders.enriched'), topicArn('orders.dlq')],
                    },
                    { Effect: 'Allow', Action: ['kafka-cluster:ReadData'], Resource: topicArn('orders') },
                    {
                      Effect: 'Allow',
                      Action: 'kafka-cluster:WriteData',
                      Resource: 'arn:aws:kafka:r:a:topic/c/u/*',
                    },
                  ],
                },
              },
            },
            Enrich: {
              Type: 'AWS::Lambda::Function',
              Properties: { Role: { 'Fn::GetAtt': ['EnrichRole', 'Arn'] } },
            },
            Other: {
              Type: 'AWS::Lambda::Function',
              Properties: { Role: { 'Fn::GetAtt': ['OtherRole', 'Arn'] } },
            },
          },
        },
      },
    ]);
    expect([...grants]).toEqual([['p/Enrich', ['orders.enriched', 'orders.dlq']]]);
  });
});

describe('order traces', () => {
  const path = [
    'on orders',
    'ingest answered',
    'enrich invoked',
    'on orders.enriched',
    'ledger invoked',
    'in table',
  ];

  it('GIVEN hops seen THEN the trace gives each its time and the ms since the previous one; unseen hops are null', () => {
    const book = new TraceBook();
    book.note('o1', 'ingest answered', 1010, '202');
    book.note('o1', 'on orders', 1010, 'orders-0@5');
    book.note('o1', 'on orders', 1000, 'orders-0@5', { replace: true });
    book.note('o1', 'enrich invoked', 1100, 'attempt 1');
    book.note('o1', 'enrich invoked', 1300, 'attempt 2'); // the first invocation stays, its detail moves on
    const t = book.trace('o1', path, ['ingest answered']);
    expect(t.hops.map((h) => [h.name, h.at, h.ms, h.detail])).toEqual([
      ['on orders', 1000, null, 'orders-0@5'],
      ['ingest answered', 1010, 10, '202'],
      ['enrich invoked', 1100, 90, 'attempt 2'],
      ['on orders.enriched', null, null, ''],
      ['ledger invoked', null, null, ''],
      ['in table', null, null, ''],
    ]);
    expect(t.totalMs).toBe(100);
  });

  it('GIVEN an order written straight to the topic that ended on the dlq THEN its trace skips the URL and stops at the dlq', () => {
    const book = new TraceBook();
    book.note('p', 'on orders', 1000, 'orders-1@3');
    book.note('p', 'enrich invoked', 1200, 'attempt 3: dead-letter');
    book.note('p', 'on orders.dlq', 1900, 'orders.dlq-0@0');
    const t = book.trace('p', path, ['ingest answered']);
    expect(t.hops.map((h) => h.name)).toEqual(['on orders', 'enrich invoked', 'on orders.dlq']);
    expect(t.totalMs).toBe(900);
  });

  it('GIVEN more orders than the book keeps THEN the oldest are forgotten and recent() lists the newest first', () => {
    const book = new TraceBook(3);
    for (const id of ['a', 'b', 'c', 'd']) book.note(id, 'on orders', 1, '');
    expect(book.size).toBe(3);
    expect(book.has('a')).toBe(false);
    expect(book.recent(2)).toEqual(['d', 'c']);
    expect(book.trace('zz', path).hops.every((h) => h.at === null)).toBe(true);
  });
});

describe('rings and rates', () => {
  it('GIVEN more items than its capacity THEN a ring keeps the newest, oldest first', () => {
    const ring = new Ring<number>(3);
    for (let i = 1; i <= 7; i++) ring.push(i);
    expect(ring.toArray()).toEqual([5, 6, 7]);
    expect(ring.newest(2)).toEqual([6, 7]);
    expect(ring.size).toBe(3);
    expect(() => new Ring(0)).toThrow();
  });

  it('GIVEN a counter sampled each second THEN the rate is its growth over the last 10 s', () => {
    const rate = new RateWindow(10_000, 1000);
    expect(rate.ratePerSec(0, 0)).toBe(0);
    // 5 per second for 20 s, then nothing.
    for (let s = 0; s <= 20; s++) rate.sample(s * 1000, s * 5);
    expect(rate.ratePerSec(20_000, 100)).toBeCloseTo(5, 5);
    for (let s = 21; s <= 32; s++) rate.sample(s * 1000, 100);
    expect(rate.ratePerSec(32_000, 100)).toBe(0);
  });
});

describe('dead letters and drill orders', () => {
  const original = { key: Buffer.from('cust-1'), value: Buffer.from('{"orderId":"o-9","items":[]}') };

  it('GIVEN an on-failure document THEN the original record comes out of its payload byte for byte', () => {
    const doc = {
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      payload: {
        eventSource: 'SelfManagedKafka',
        records: {
          'orders-2': [
            {
              topic: 'orders',
              partition: 2,
              offset: 41,
              key: original.key.toString('base64'),
              value: original.value.toString('base64'),
              headers: [{ 'order-id': [...Buffer.from('o-9')] }],
            },
          ],
        },
      },
    };
    const letter = readDeadLetter(0, {
      offset: 7,
      timestamp: 5,
      key: original.key,
      value: Buffer.from(JSON.stringify(doc)),
      headers: [],
    })!;
    expect(letter).toMatchObject({
      partition: 0,
      offset: 7,
      orderId: 'o-9',
      why: 'RetryAttemptsExhausted',
      writtenBy: 'on-failure',
    });
    expect(letter.original).toMatchObject({ topic: 'orders', partition: 2, offset: 41 });
    expect(letter.original.key).toEqual(original.key);
    expect(letter.original.value).toEqual(original.value);
    expect(letter.original.headers).toEqual([{ key: 'order-id', value: Buffer.from('o-9') }]);
  });

  it("GIVEN a function's own dead letter THEN the original is its key, value and headers less the ones the function added", () => {
    const letter = readDeadLetter(0, {
      offset: 1,
      timestamp: 5,
      key: original.key,
      value: original.value,
      headers: [
        { key: 'order-id', value: Buffer.from('o-9') },
        { key: 'source-topic', value: Buffer.from('orders') },
        { key: 'source-partition', value: Buffer.from('2') },
        { key: 'source-offset', value: Buffer.from('41') },
        { key: 'dead-letter-reason', value: Buffer.from('no items') },
        { key: 'dead-letter-function', value: Buffer.from('kw-dev-enrich') },
      ],
    })!;
    expect(letter).toMatchObject({ orderId: 'o-9', why: 'no items', writtenBy: 'kw-dev-enrich' });
    expect(letter.original).toMatchObject({
      topic: 'orders',
      partition: 2,
      offset: 41,
      value: original.value,
    });
    expect(letter.original.headers.map((h) => h.key)).toEqual(['order-id']);
    expect(
      readDeadLetter(0, { offset: 1, timestamp: 1, key: null, value: Buffer.from('plain'), headers: [] }),
    ).toBeUndefined();
  });

  it('GIVEN a mapping event record THEN its order id comes from the header, else from the value', () => {
    expect(eventOrderId({ value: '', headers: [{ 'order-id': [...Buffer.from('o-1')] }] })).toBe('o-1');
    expect(eventOrderId({ value: Buffer.from('{"orderId":"o-2"}').toString('base64'), headers: [] })).toBe(
      'o-2',
    );
    expect(eventOrderId({ value: Buffer.from('nope').toString('base64'), headers: [] })).toBeUndefined();
  });

  it('GIVEN drill orders THEN each is a valid basket, and the poison one has none', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let i = 0; i < 50; i++) {
      const o = randomOrder(random);
      expect(o.orderId).toMatch(/^ord-[0-9a-f]{12}$/);
      expect(o.items.length).toBeGreaterThanOrEqual(1);
      expect(new Set(o.items.map((l) => l.sku)).size).toBe(o.items.length);
      for (const l of o.items) expect(l.quantity).toBeGreaterThanOrEqual(1);
    }
    expect(JSON.parse(poisonOrderValue(randomOrder(random), new Date(0))).items).toEqual([]);
  });
});
