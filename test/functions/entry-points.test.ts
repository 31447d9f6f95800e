/**
 * Real entry points (functions/<name>/index.ts) run by the local runtime's function pool, with the
 * Lambda-like context its host passes: the Powertools wrapper accepts that context, and its log lines
 * and metrics come out as they do in Lambda; the ledger's Kafka client, loaded only for a dead letter,
 * is there when one comes.
 */
import * as path from 'node:path';
import { enrichOrder } from '../../functions/enrich/enrich-order';
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import { FunctionPool } from '../../local/runtime/lambda/function-pool';
import { functionUrlEvent, mskEvent } from '../support/events';
import { startLocalDynamoDB, type LocalDynamoDB } from '../support/local-dynamodb';
import { until } from '../support/until';

const ORDER = JSON.stringify({ customerId: 'c-1', items: [{ sku: 'A', quantity: 1, unitPrice: 2 }] });

describe('ingest entry point in the local runtime', () => {
  const lines: Record<string, unknown>[] = [];
  const pool = new FunctionPool(
    {
      name: 'kw-dev-ingest',
      arn: 'arn:aws:lambda:local:000000000000:function:kw-dev-ingest',
      codeDir: path.join(__dirname, '..', '..', 'functions', 'ingest'),
      handler: 'index.handler',
      timeoutSeconds: 20,
      memoryMb: 256,
      environment: {
        PATH: process.env.PATH ?? '',
        POWERTOOLS_SERVICE_NAME: 'ingest',
        // Lambda sets this in on-demand environments; Powertools reports a cold start only then.
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        // A setting Kafka cannot be reached with: every order fails fast with 503, no broker needed.
        KAFKA_AUTH: 'unknown',
        KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:9',
      },
    },
    {
      maxConcurrency: 1,
      log: (line) => {
        if (line.startsWith('{')) lines.push(JSON.parse(line));
      },
    },
  );
  afterAll(() => pool.close());

  test('GIVEN two orders THEN each log line names its request, and ColdStart is counted once', async () => {
    // WHEN
    const outcomes = [
      await pool.invoke(functionUrlEvent({ body: ORDER })),
      await pool.invoke(functionUrlEvent({ body: ORDER })),
    ];
    // THEN the answers are the ones ingest always gave
    for (const outcome of outcomes) expect(outcome).toMatchObject({ ok: true, payload: { statusCode: 503 } });
    // The function's stdout reaches the pool on its own stream: on a busy machine a line may follow the
    // invocation's answer.
    const metric = (name: string) => lines.filter((line) => line._aws !== undefined && name in line);
    await until(
      () =>
        lines.filter((line) => line.message === 'could not produce order').length >= 2 &&
        metric('IngestFailures').length >= 2,
      "both invocations' log lines and metrics",
      { timeoutMs: 10_000 },
    );
    const failures = lines.filter((line) => line.message === 'could not produce order');
    expect(failures).toEqual([
      expect.objectContaining({ cold_start: true, function_name: 'kw-dev-ingest', service: 'ingest' }),
      expect.objectContaining({ cold_start: false, function_name: 'kw-dev-ingest' }),
    ]);
    const requestIds = failures.map((line) => line.function_request_id);
    expect(new Set(requestIds).size).toBe(2);
    for (const id of requestIds) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    // AND the metrics are flushed after each invocation, the cold start once
    expect(metric('IngestFailures').map((line) => line.IngestFailures)).toEqual([1, 1]);
    expect(metric('ColdStart')).toEqual([
      expect.objectContaining({ ColdStart: 1, service: 'ingest', function_name: 'kw-dev-ingest' }),
    ]);
  });
});

describe('ledger entry point in the local runtime', () => {
  let broker: RunningBroker;
  let dynamodb: LocalDynamoDB;
  let pool: FunctionPool;
  let tableName: string;

  beforeAll(async () => {
    broker = await startBroker({ port: 0, autoCreateTopics: false });
    broker.cluster.createTopic('orders.dlq', 1);
    dynamodb = await startLocalDynamoDB();
    tableName = await dynamodb.createLedgerTable();
    pool = new FunctionPool(
      {
        name: 'kw-dev-ledger',
        arn: 'arn:aws:lambda:local:000000000000:function:kw-dev-ledger',
        codeDir: path.join(__dirname, '..', '..', 'functions', 'ledger'),
        handler: 'index.handler',
        timeoutSeconds: 20,
        memoryMb: 256,
        environment: {
          PATH: process.env.PATH ?? '',
          POWERTOOLS_SERVICE_NAME: 'ledger',
          POWERTOOLS_LOG_LEVEL: 'ERROR',
          LEDGER_TABLE_NAME: tableName,
          DYNAMODB_ENDPOINT: dynamodb.endpoint,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          KAFKA_AUTH: 'none',
          KAFKA_BOOTSTRAP_SERVERS: broker.bootstrapServers,
          DEAD_LETTER_TOPIC: 'orders.dlq',
        },
      },
      { maxConcurrency: 1, log: () => undefined },
    );
  });
  afterAll(async () => {
    await pool.close();
    await dynamodb.close();
    await broker.close();
  });

  test('GIVEN a batch with an order and a poison record THEN the order is applied and the poison record reaches orders.dlq', async () => {
    // GIVEN
    const order = {
      orderId: 'o-1',
      customerId: 'c-1',
      items: [{ sku: 'A', quantity: 2, unitPrice: 3 }],
      currency: 'USD',
      receivedAt: '2026-11-30T00:00:00.000Z',
    };
    const event = mskEvent([
      {
        topic: 'orders.enriched',
        partition: 0,
        offset: 0,
        key: 'c-1',
        value: enrichOrder(order, { topic: 'orders', partition: 0, offset: 0 }),
      },
      { topic: 'orders.enriched', partition: 0, offset: 1, key: 'c-1', value: 'not an order' },
    ]);
    // WHEN
    const outcome = await pool.invoke(event);
    // THEN
    expect(outcome).toMatchObject({ ok: true, payload: { batchItemFailures: [] } });
    expect((await dynamodb.scanAll(tableName)).map((item) => item.pk)).toEqual(['CUSTOMER#c-1', 'ORDER#o-1']);
    expect(broker.cluster.partition('orders.dlq', 0)!.log.logEndOffset).toBe(1);
  });
});
