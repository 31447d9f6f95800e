/**
 * Realistic Lambda events, shaped as AWS delivers them (see the MSKEvent and APIGatewayProxyEventV2
 * types in @types/aws-lambda): base64 keys and values, headers as arrays of bytes.
 */
import type { APIGatewayProxyEventV2, MSKEvent, MSKRecord } from 'aws-lambda';

export interface RecordSpec {
  topic: string;
  partition: number;
  offset: number;
  key?: string;
  /** An object is JSON-encoded; a string is sent as is. */
  value: unknown;
  headers?: Record<string, string>;
  timestamp?: number;
}

const CLUSTER_ARN =
  'arn:aws:kafka:eu-west-1:123456789012:cluster/kw-test/a1b2c3d4-1111-2222-3333-444455556666-s1';

export function mskRecord(spec: RecordSpec): MSKRecord {
  const value = typeof spec.value === 'string' ? spec.value : JSON.stringify(spec.value);
  const record: MSKRecord = {
    topic: spec.topic,
    partition: spec.partition,
    offset: spec.offset,
    timestamp: spec.timestamp ?? 1_764_000_000_000 + spec.offset,
    timestampType: 'CREATE_TIME',
    key: spec.key === undefined ? undefined : Buffer.from(spec.key).toString('base64'),
    value: Buffer.from(value).toString('base64'),
    headers: Object.entries(spec.headers ?? {}).map(([name, v]) => ({ [name]: [...Buffer.from(v)] })),
  } as MSKRecord;
  if (record.key === undefined) delete (record as Partial<MSKRecord>).key;
  return record;
}

/** An MSK event with records grouped under `<topic>-<partition>` as AWS sends them. */
export function mskEvent(specs: RecordSpec[]): MSKEvent {
  const records: MSKEvent['records'] = {};
  for (const spec of specs) {
    const id = `${spec.topic}-${spec.partition}`;
    (records[id] ??= []).push(mskRecord(spec));
  }
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: CLUSTER_ARN,
    bootstrapServers: 'b-1.kwtest.abc123.c2.kafka-serverless.eu-west-1.amazonaws.com:9098',
    records,
  };
}

/** A Function URL request (payload format 2.0). */
export function functionUrlEvent(options: {
  body?: string;
  method?: string;
  base64?: boolean;
}): APIGatewayProxyEventV2 {
  const method = options.method ?? 'POST';
  const body =
    options.body === undefined
      ? undefined
      : options.base64
        ? Buffer.from(options.body).toString('base64')
        : options.body;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      host: 'abc123.lambda-url.eu-west-1.on.aws',
      'user-agent': 'curl/8.5.0',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.lambda-url.eu-west-1.on.aws',
      domainPrefix: 'abc123',
      http: { method, path: '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      routeKey: '$default',
      stage: '$default',
      time: '24/Nov/2026:10:00:00 +0000',
      timeEpoch: 1_795_000_000_000,
    },
    body,
    isBase64Encoded: options.base64 ?? false,
  };
}

/** A Lambda context with just what the handlers read. */
export const lambdaContext = {
  functionName: 'test-function',
  awsRequestId: 'req-1',
  logStreamName: '2026/11/24/[$LATEST]abc',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as import('aws-lambda').Context;
