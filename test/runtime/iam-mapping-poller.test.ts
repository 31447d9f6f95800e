/**
 * The mapping poller on the embedded broker's IAM listener: each connection authenticates with an MSK
 * IAM token (the signer functions use) made from a role's local keys, and a refusal shows as AWS's
 * mapping shows it (LastProcessingResult, a log line naming the permission) while the poller retries.
 * Records are written by kafkajs on the plain listener; the function is an in-process handler.
 */
import { Kafka, logLevel } from 'kafkajs';
import { createAuthorizer } from '../../local/broker/auth/iam/policy-evaluator';
import type { NamedPolicy } from '../../local/broker/auth/iam/types';
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import { mappingGrants, missingMappingGrants } from '../../local/runtime/esm/mapping-grants';
import { MappingPoller, PROCESSING_RESULT } from '../../local/runtime/esm/mapping-poller';
import { generateCredentials } from '../../local/runtime/iam/local-credentials';
import { MetadataSchema } from '../../local/kafka/messages/03-metadata';
import { mskIamToken } from '../../local/runtime/kafka/iam-token';
import { KafkaAuthenticationError, WireClient } from '../../local/runtime/kafka/wire-client';
import { principalOf } from '../../local/runtime/local-iam';
import { mappingSpec } from '../support/mapping-harness';
import { until } from '../support/until';

const REGION = 'us-east-1';
const CLUSTER = 'arn:aws:kafka:us-east-1:000000000000:cluster/kw-test/0f1e2d3c-aaaa-4bbb-8ccc-111122223333-1';
const READER = 'arn:aws:iam::000000000000:role/reader';
const NO_CONNECT = 'arn:aws:iam::000000000000:role/no-connect';
const allow = (action: string | string[]): NamedPolicy => ({
  name: 'grants',
  document: { Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] },
});

const credentials = generateCredentials([
  { roleArn: READER, profile: 'reader' },
  { roleArn: NO_CONNECT, profile: 'no-connect' },
]);
const authorizer = createAuthorizer(
  new Map([
    [READER, [allow('kafka-cluster:*')]],
    [NO_CONNECT, [allow(['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData', 'kafka-cluster:*Group'])]],
  ]),
);

describe('the mapping poller on an IAM listener', () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  const pollers: MappingPoller[] = [];

  beforeAll(async () => {
    broker = await startBroker({
      port: 0,
      log: () => undefined,
      iam: { credentials, authorizer, region: REGION, clusterArn: CLUSTER, port: 0 },
    });
    kafka = new Kafka({ brokers: broker.bootstrapServers.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: [{ value: 'one' }, { value: 'two' }] });
    await producer.disconnect();
  });
  afterEach(async () => {
    await Promise.all(pollers.splice(0).map((p) => p.stop()));
  });
  afterAll(() => broker?.close());

  function poll(role: string, log: string[], delivered: string[]): MappingPoller {
    const keys = credentials.forRole(role)!;
    const spec = mappingSpec('orders', broker.iamBootstrapServers);
    const grants = mappingGrants(CLUSTER, spec.topic, spec.consumerGroupId);
    const poller = new MappingPoller(
      spec,
      {
        async invoke(event) {
          const records = Object.values((event as { records: Record<string, { value: string }[]> }).records);
          delivered.push(...records.flat().map((r) => Buffer.from(r.value, 'base64').toString()));
          return { ok: true, payload: null, durationMs: 1 };
        },
      },
      {
        bootstrapServers: broker.iamBootstrapServers.split(','),
        sasl: mskIamToken(keys, REGION),
        explainDenial: (code) => missingMappingGrants(authorizer, principalOf(keys), grants, code),
        log: (line) => log.push(line),
        maxReconnectBackoffMs: 200,
      },
    );
    pollers.push(poller);
    poller.start();
    return poller;
  }

  it('GIVEN a role with the grants a mapping needs THEN the poller authenticates as it, delivers the records and reports OK', async () => {
    const log: string[] = [];
    const delivered: string[] = [];
    const poller = poll(READER, log, delivered);
    expect(poller.lastProcessingResult).toBe(PROCESSING_RESULT.initial);
    await until(
      () => delivered.length === 2,
      () => `2 records delivered:\n${log.join('\n')}`,
    );
    expect(delivered).toEqual(['one', 'two']);
    expect(poller.lastProcessingResult).toBe(PROCESSING_RESULT.ok);
  });

  it('GIVEN a role without kafka-cluster:Connect THEN the mapping shows "PROBLEM: SASL authentication failed.", the log names Connect on the cluster ARN, and nothing is delivered', async () => {
    const log: string[] = [];
    const delivered: string[] = [];
    const poller = poll(NO_CONNECT, log, delivered);
    await until(
      () => poller.lastProcessingResult === PROCESSING_RESULT.authentication,
      () => `the SASL refusal (now ${poller.lastProcessingResult}):\n${log.join('\n')}`,
    );
    const line = log.find((l) => l.includes(PROCESSING_RESULT.authentication));
    expect(line).toContain(`kafka-cluster:Connect on ${CLUSTER} is not allowed for ${NO_CONNECT}`);
    expect(line).toMatch(/retrying$/);
    // Retried, not crashed, and logged once for the spell rather than on every retry.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(log.filter((l) => l.includes(PROCESSING_RESULT.authentication))).toHaveLength(1);
    expect(delivered).toEqual([]);
  });

  it('GIVEN keys the broker does not know THEN opening a connection fails with KafkaAuthenticationError carrying the broker message', async () => {
    const open = WireClient.open(
      broker.iamBootstrapServers.split(',')[0],
      'test',
      5000,
      mskIamToken({ accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x' }, REGION),
    );
    await expect(open).rejects.toBeInstanceOf(KafkaAuthenticationError);
    await expect(open).rejects.toThrow(/SaslAuthenticate to 127\.0\.0\.1:\d+ \(.+\)/);
  });

  it('GIVEN keys that expire in 2 s (so the session does) THEN the connection re-authenticates with a fresh token before the lifetime ends and keeps being served past it', async () => {
    const keys = credentials.forRole(READER)!;
    const tokens: number[] = [];
    const signer = mskIamToken({ ...keys, expiration: new Date(Date.now() + 2000) }, REGION);
    const client = await WireClient.open(broker.iamBootstrapServers.split(',')[0], 'test', 5000, {
      token: () => {
        tokens.push(Date.now());
        // Each re-authentication signs with keys valid 2 s more, as rotating role credentials are.
        return tokens.length === 1
          ? signer.token()
          : mskIamToken({ ...keys, expiration: new Date(Date.now() + 2000) }, REGION).token();
      },
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 4500));
      const res = await client.request(MetadataSchema, 8, {
        Topics: [{ Name: 'orders' }],
        AllowAutoTopicCreation: false,
      });
      expect(res.Topics.map((t) => t.Name)).toEqual(['orders']);
      expect(client.closed).toBe(false);
      expect(tokens.length).toBeGreaterThanOrEqual(3);
    } finally {
      client.close();
    }
  });
});
