/**
 * The wrapper every entry point goes through (functions/commons/powertools.ts): Powertools' logger
 * context on every log line, metrics flushed after each invocation, one ColdStart metric per container.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { instrumented } from '../../functions/commons/powertools';
import { createIngestHandler } from '../../functions/ingest/ingest';
import { functionUrlEvent } from '../support/events';
import { RecordingProducer } from '../support/recording-producer';

/** A context as the local runtime's host builds it: memory as a string, no tenant id. */
function hostContext(awsRequestId: string): Context {
  return {
    functionName: 'kw-dev-ingest',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:kw-dev-ingest',
    memoryLimitInMB: '512',
    awsRequestId,
    logGroupName: '/aws/lambda/kw-dev-ingest',
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

type Line = Record<string, unknown>;

/** Every JSON line Powertools writes to stdout and stderr while the test runs. */
let lines: Line[];
const saved = { ...process.env };

beforeEach(() => {
  // As in a Lambda on-demand environment, where Powertools counts the first invocation as the cold start;
  // metrics are on here (test/setup-env.ts turns them off for the other suites).
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  lines = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      for (const text of String(chunk).split('\n')) if (text.startsWith('{')) lines.push(JSON.parse(text));
      return true;
    });
  }
});

afterEach(() => {
  jest.restoreAllMocks();
  process.env = { ...saved };
});

/** A logger and metrics as commons/powertools.ts creates them, fresh for each test (a new container). */
function tools() {
  return {
    logger: new Logger({ serviceName: 'ingest' }),
    metrics: new Metrics({ namespace: 'ServerlessKafkaWorkshop', serviceName: 'ingest' }),
  };
}

const emf = (name: string) => lines.filter((line) => line._aws !== undefined && name in line);

describe('instrumented', () => {
  test('GIVEN a wrapped handler WHEN it logs THEN each line carries the request id, cold start and function name', async () => {
    // GIVEN
    const { logger } = tools();
    const handler = instrumented(async (event: { n: number }) => logger.info('working', { n: event.n }), {
      logger,
    });
    // WHEN
    await handler({ n: 1 }, hostContext('req-1'));
    await handler({ n: 2 }, hostContext('req-2'));
    // THEN
    expect(lines.filter((line) => line.message === 'working')).toEqual([
      expect.objectContaining({
        n: 1,
        function_request_id: 'req-1',
        cold_start: true,
        function_name: 'kw-dev-ingest',
        function_arn: 'arn:aws:lambda:local:000000000000:function:kw-dev-ingest',
        service: 'ingest',
      }),
      expect.objectContaining({ n: 2, function_request_id: 'req-2', cold_start: false }),
    ]);
  });

  test('GIVEN a handler with metrics THEN they are flushed after each invocation and ColdStart is counted once', async () => {
    const { logger, metrics } = tools();
    const handler = instrumented(
      async () => {
        metrics.addMetric('OrdersIngested', MetricUnit.Count, 1);
      },
      { logger, metrics },
    );
    await handler({}, hostContext('req-1'));
    await handler({}, hostContext('req-2'));
    await handler({}, hostContext('req-3'));

    const coldStarts = emf('ColdStart');
    expect(coldStarts).toHaveLength(1);
    expect(coldStarts[0]).toMatchObject({ ColdStart: 1, service: 'ingest', function_name: 'kw-dev-ingest' });
    const ingested = emf('OrdersIngested');
    expect(ingested.map((line) => line.OrdersIngested)).toEqual([1, 1, 1]);
    // The business metrics keep the dimensions they had before the wrapper: the service alone.
    expect(ingested[0]._aws).toMatchObject({
      CloudWatchMetrics: [{ Namespace: 'ServerlessKafkaWorkshop', Dimensions: [['service']] }],
    });
  });

  test('GIVEN a handler that throws THEN its metrics are flushed and the error reaches Lambda', async () => {
    const { logger, metrics } = tools();
    const handler = instrumented(
      async () => {
        metrics.addMetric('IngestFailures', MetricUnit.Count, 1);
        throw new Error('broker unreachable');
      },
      { logger, metrics },
    );
    await expect(handler({}, hostContext('req-1'))).rejects.toThrow('broker unreachable');
    expect(emf('IngestFailures')).toHaveLength(1);
  });

  test('GIVEN no metrics THEN nothing is flushed and no ColdStart metric is emitted', async () => {
    const { logger } = tools();
    await instrumented(async () => 'done', { logger })({}, hostContext('req-1'));
    expect(lines.filter((line) => line._aws !== undefined)).toEqual([]);
  });

  test('GIVEN the ingest handler wrapped as its entry point THEN it answers as before and its metric is flushed', async () => {
    const { logger, metrics } = tools();
    const producer = new RecordingProducer();
    const handler = instrumented(
      createIngestHandler({ producer: async () => producer, topic: 'orders', logger, metrics }),
      { logger, metrics },
    );
    const body = JSON.stringify({ customerId: 'c-1', items: [{ sku: 'A', quantity: 1, unitPrice: 2 }] });

    const res = await handler(functionUrlEvent({ body }), hostContext('req-9'));

    expect(res.statusCode).toBe(202);
    expect(lines.find((line) => line.message === 'order ingested')).toMatchObject({
      function_request_id: 'req-9',
      orderId: JSON.parse(res.body!).orderId,
    });
    expect(emf('OrdersIngested').map((line) => line.OrdersIngested)).toEqual([1]);
  });
});
