/**
 * MSK IAM authorization over the wire: kafkajs with the MSK signer (and raw requests where kafkajs
 * hides the per-entry answer) on the IAM listener, as principals whose identity policies are written
 * here, against the broker's own evaluator. Each request is checked by MSK's action table: a denied
 * topic, group or cluster action answers Kafka's code (29, 30, 31), an all-topics Metadata leaves out
 * what may not be described, and each denial is logged once with the action and the ARN.
 */
import { Kafka, logLevel, type Consumer, type KafkaConfig } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import { CHECKED_API_KEYS } from '../../local/broker/auth/iam/msk-actions';
import { createAuthorizer } from '../../local/broker/auth/iam/policy-evaluator';
import type { NamedPolicy, PolicyStatement } from '../../local/broker/auth/iam/types';
import { ErrorCode } from '../../local/kafka/errors';
import type { Struct } from '../../local/kafka/message-codec';
import { MESSAGE_SCHEMAS } from '../../local/kafka/messages';
import { MetadataSchema } from '../../local/kafka/messages/03-metadata';
import { CreateTopicsSchema } from '../../local/kafka/messages/19-create-topics';
import { SaslHandshakeSchema } from '../../local/kafka/messages/17-sasl-handshake';
import { SaslAuthenticateSchema } from '../../local/kafka/messages/36-sasl-authenticate';
import { decodeResponse } from '../../local/kafka/response-frame';
import type { ApiSchema } from '../../local/kafka/schema';
import {
  CLUSTER_ARN,
  credentialStore,
  INGEST,
  LEDGER,
  mskIamBytes,
  REGION,
  signerToken,
  type TestCredentials,
} from '../support/msk-iam-tokens';
import { RawConnection, requestFrame } from '../support/raw-kafka';
import { until } from '../support/until';

const ACCOUNT = '111122223333';
const CLUSTER_PATH = 'workshop/5a1b2c3d-aaaa-bbbb-cccc-1234567890ab-1';
const arn = (type: 'topic' | 'group', name: string) =>
  `arn:aws:kafka:${REGION}:${ACCOUNT}:${type}/${CLUSTER_PATH}/${name}`;

/** A principal that may connect and nothing else. */
const NOBODY: TestCredentials = {
  accessKeyId: 'AKIDLOCALNOBODY00005',
  secretAccessKey: 'nobody-secret-key-ccccccccccccccccccccc',
  principalArn: `arn:aws:iam::${ACCOUNT}:role/nobody`,
};
/** A principal that may do everything but write to orders: a Deny over an Allow. */
const AUDITOR: TestCredentials = {
  accessKeyId: 'AKIDLOCALAUDITOR0003',
  secretAccessKey: 'auditor-secret-key-aaaaaaaaaaaaaaaaaaa',
  principalArn: `arn:aws:iam::${ACCOUNT}:role/auditor`,
};
/** A function's role with exactly what an event source mapping needs (msk-iam.md §5). */
const MAPPING: TestCredentials = {
  accessKeyId: 'AKIDLOCALMAPPING0004',
  secretAccessKey: 'mapping-secret-key-bbbbbbbbbbbbbbbbbbb',
  principalArn: `arn:aws:iam::${ACCOUNT}:role/ledger-mapping`,
};
/** The mapping's consumer group: its UUID, as AWS names it. */
const ESM_GROUP = '0c5a7f2e-3b1d-4e8a-9f60-1d2c3b4a5e6f';

const allow = (action: string | string[], resource: string | string[], Sid?: string): PolicyStatement => ({
  ...(Sid ? { Sid } : {}),
  Effect: 'Allow',
  Action: action,
  Resource: resource,
});
const policy = (name: string, ...Statement: PolicyStatement[]): NamedPolicy => ({
  name,
  document: { Version: '2012-10-17', Statement },
});

const POLICIES = new Map<string, NamedPolicy[]>([
  [
    INGEST.principalArn,
    [
      policy(
        'ingest-produce',
        allow('kafka-cluster:Connect', CLUSTER_ARN),
        allow('kafka-cluster:DescribeTopic', [arn('topic', 'orders'), arn('topic', 'payments')]),
        allow('kafka-cluster:WriteData', arn('topic', 'orders')),
        allow('kafka-cluster:CreateTopic', arn('topic', 'ingest-*')),
      ),
    ],
  ],
  [
    LEDGER.principalArn,
    [
      policy(
        'ledger-consume',
        allow('kafka-cluster:Connect', CLUSTER_ARN),
        allow(['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'], arn('topic', 'orders')),
        allow('kafka-cluster:DescribeGroup', arn('group', '*')),
      ),
    ],
  ],
  [NOBODY.principalArn, [policy('nobody-connect', allow('kafka-cluster:Connect', CLUSTER_ARN))]],
  [
    AUDITOR.principalArn,
    [
      policy('auditor-all', allow('kafka-cluster:*', '*')),
      policy('auditor-guard', {
        Sid: 'NoWritesToOrders',
        Effect: 'Deny',
        Action: 'kafka-cluster:WriteData',
        Resource: arn('topic', 'orders'),
      }),
    ],
  ],
  [
    MAPPING.principalArn,
    [
      policy(
        'mapping-data-plane',
        allow(
          [
            'kafka-cluster:Connect',
            'kafka-cluster:DescribeGroup',
            'kafka-cluster:AlterGroup',
            'kafka-cluster:DescribeTopic',
            'kafka-cluster:ReadData',
            'kafka-cluster:DescribeClusterDynamicConfiguration',
          ],
          [CLUSTER_ARN, arn('topic', 'orders'), arn('group', ESM_GROUP)],
        ),
      ),
    ],
  ],
]);

/** Sends one request on `conn` and decodes the answer; null when the broker closed the connection. */
async function call(conn: RawConnection, schema: ApiSchema, version: number, body: Struct) {
  conn.write(requestFrame(schema.request, version, body));
  const frame = await conn.response();
  if (!frame) throw new Error(`the broker closed the connection instead of answering`);
  return decodeResponse(schema, version, frame).body;
}

describe('GIVEN an IAM listener that authorizes every request by the principals’ policies', () => {
  let broker: RunningBroker;
  const logged: string[] = [];

  beforeAll(async () => {
    broker = await startBroker({
      port: 0,
      autoCreateTopics: false, // MSK's default
      log: (m) => logged.push(m),
      iam: {
        credentials: credentialStore(INGEST, LEDGER, AUDITOR, MAPPING, NOBODY),
        authorizer: createAuthorizer(POLICIES),
        region: REGION,
        clusterArn: CLUSTER_ARN,
      },
    });
    // The plain listener has no principal: nothing there is authorized.
    const admin = new Kafka({ brokers: [broker.bootstrapServers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: ['orders', 'payments', 'secrets'].map((topic) => ({ topic, numPartitions: 2 })),
    });
    await admin.disconnect();
  });
  afterAll(() => broker.close());

  const iamKafka = (who: TestCredentials, config: Partial<KafkaConfig> = {}) =>
    new Kafka({
      clientId: 'iam-authorization-test',
      brokers: broker.iamBootstrapServers.split(','),
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      sasl: {
        mechanism: 'oauthbearer',
        oauthBearerProvider: async () => ({ value: (await signerToken(who)).token }),
      },
      ...config,
    });

  /** A raw connection on the IAM listener, authenticated as `who` (AWS_MSK_IAM). */
  const rawAs = async (who: TestCredentials) => {
    const conn = await RawConnection.open(broker.iamPorts[0]);
    await call(conn, SaslHandshakeSchema, 1, { Mechanism: 'AWS_MSK_IAM' });
    const answer = await call(conn, SaslAuthenticateSchema, 2, { AuthBytes: mskIamBytes(who) });
    expect(answer.ErrorCode).toBe(ErrorCode.NONE);
    return conn;
  };

  const produceAs = async (who: TestCredentials, topic: string) => {
    const producer = iamKafka(who).producer();
    await producer.connect();
    try {
      return await producer.send({ topic, messages: [{ key: 'k', value: `from ${who.principalArn}` }] });
    } finally {
      await producer.disconnect();
    }
  };

  test('WHEN a producer may write to orders but not to payments THEN orders takes the record and payments answers TOPIC_AUTHORIZATION_FAILED', async () => {
    const written = await produceAs(INGEST, 'orders');
    expect(written[0].errorCode).toBe(ErrorCode.NONE);
    await expect(produceAs(INGEST, 'payments')).rejects.toThrow(
      'Not authorized to access topics: [Topic authorization failed]',
    );
    expect(broker.stats().topics.find((t) => t.name === 'payments')!.partitions[0].highWatermark).toBe(0);
  });

  test('WHEN a denial repeats THEN it is logged once, naming the action, the ARN and the principal, and counted each time', async () => {
    await expect(produceAs(INGEST, 'payments')).rejects.toThrow('Topic authorization failed');
    const message = `kafka-cluster:WriteData on ${arn('topic', 'payments')} is not allowed for ${INGEST.principalArn}`;
    const lines = logged.filter((l) => l.includes(message));
    expect(lines).toEqual([`IAM authorization denied: ${message} (no policy allows it)`]);
    const denial = broker.denials().find((d) => d.message === message);
    expect(denial).toMatchObject({
      principal: INGEST.principalArn,
      action: 'kafka-cluster:WriteData',
      resource: arn('topic', 'payments'),
      reason: 'implicit-deny',
    });
    expect(denial!.count).toBeGreaterThanOrEqual(2);
  });

  test('WHEN a principal is allowed everything but denied WriteData on orders THEN the Deny wins there and only there', async () => {
    await expect(produceAs(AUDITOR, 'orders')).rejects.toThrow('Topic authorization failed');
    expect((await produceAs(AUDITOR, 'payments'))[0].errorCode).toBe(ErrorCode.NONE);
    expect(broker.denials().find((d) => d.principal === AUDITOR.principalArn)).toMatchObject({
      action: 'kafka-cluster:WriteData',
      resource: arn('topic', 'orders'),
      reason: 'explicit-deny',
      deniedBy: 'auditor-guard/NoWritesToOrders',
    });
    expect(logged.some((l) => l.includes('explicitly denied by auditor-guard/NoWritesToOrders'))).toBe(true);
  });

  test('WHEN a consumer may describe its group but not AlterGroup THEN joining fails with GROUP_AUTHORIZATION_FAILED', async () => {
    const consumer = iamKafka(LEDGER).consumer({
      groupId: 'ledger',
      retry: { retries: 0, restartOnFailure: async () => false },
    });
    const crashed = new Promise<Error>((resolve) =>
      consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error)),
    );
    await consumer.connect();
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    const error = await crashed;
    await consumer.disconnect();
    expect(error.message).toBe('Not authorized to access group: Group authorization failed');
    expect(
      logged.some((l) =>
        l.includes(
          `kafka-cluster:AlterGroup on ${arn('group', 'ledger')} is not allowed for ${LEDGER.principalArn}`,
        ),
      ),
    ).toBe(true);
  });

  test('WHEN a role has exactly what a Lambda mapping needs THEN it consumes orders with its group and commits', async () => {
    const plain = new Kafka({ brokers: [broker.bootstrapServers], logLevel: logLevel.NOTHING }).producer();
    await plain.connect();
    await plain.send({ topic: 'orders', messages: [1, 2, 3].map((i) => ({ value: `order-${i}` })) });
    await plain.disconnect();
    const consumer: Consumer = iamKafka(MAPPING).consumer({ groupId: ESM_GROUP });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
    await until(() => seen.filter((v) => v.startsWith('order-')).length === 3, 'the three orders', {
      timeoutMs: 15_000,
    });
    await consumer.commitOffsets([0, 1].map((partition) => ({ topic: 'orders', partition, offset: '0' })));
    await consumer.disconnect();
    expect(seen.filter((v) => v.startsWith('order-')).sort()).toEqual(['order-1', 'order-2', 'order-3']);
    expect(broker.denials().filter((d) => d.principal === MAPPING.principalArn)).toEqual([]);
  });

  test('WHEN a principal asks Metadata for all topics THEN only the topics it may describe are listed; a named one it may not gets 29', async () => {
    const conn = await rawAs(INGEST);
    try {
      const all = await call(conn, MetadataSchema, 12, {
        Topics: null,
        AllowAutoTopicCreation: false,
        IncludeTopicAuthorizedOperations: false,
      });
      const names = (all.Topics as Struct[]).map((t) => t.Name);
      expect(names.sort()).toEqual(['orders', 'payments']);
      const deniedSecrets = () => broker.denials().some((d) => d.resource === arn('topic', 'secrets'));
      expect(deniedSecrets()).toBe(false); // left out silently, as Kafka filters: not a denial
      const named = await call(conn, MetadataSchema, 12, {
        Topics: [{ TopicId: Buffer.alloc(16), Name: 'secrets' }],
        AllowAutoTopicCreation: false,
        IncludeTopicAuthorizedOperations: false,
      });
      expect(named.Topics).toMatchObject([
        { Name: 'secrets', ErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, Partitions: [] },
      ]);
      expect(broker.denials()).toContainEqual(
        expect.objectContaining({
          principal: INGEST.principalArn,
          action: 'kafka-cluster:DescribeTopic',
          resource: arn('topic', 'secrets'),
        }),
      );
    } finally {
      conn.end();
    }
    const admin = iamKafka(INGEST).admin();
    await admin.connect();
    const listed = await admin.listTopics();
    await admin.disconnect();
    expect(listed.sort()).toEqual(['orders', 'payments']);
  });

  test('WHEN a principal creates two topics and may create only one THEN that one is created and the other answers 29', async () => {
    const conn = await rawAs(INGEST);
    try {
      const answer = await call(conn, CreateTopicsSchema, 7, {
        Topics: ['ingest-audit', 'billing'].map((Name) => ({
          Name,
          NumPartitions: 1,
          ReplicationFactor: -1,
          Assignments: [],
          Configs: [],
        })),
        timeoutMs: 5000,
        validateOnly: false,
      });
      const codes = Object.fromEntries((answer.Topics as Struct[]).map((t) => [t.Name, t.ErrorCode]));
      expect(codes).toEqual({
        'ingest-audit': ErrorCode.NONE,
        billing: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
      });
    } finally {
      conn.end();
    }
    expect(broker.cluster.topics.has('ingest-audit')).toBe(true);
    expect(broker.cluster.topics.has('billing')).toBe(false);
  });

  /** One request of each API that has checks, and where its answer carries the denial. */
  const first = (s: Struct, ...path: (string | number)[]) =>
    path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], s);
  const TXN = 1;
  const everyApi: [string, number, number, Struct, (r: Struct) => unknown, number][] = [
    [
      'Produce',
      0,
      9,
      {
        Acks: 1,
        TimeoutMs: 1000,
        TopicData: [{ Name: 'orders', PartitionData: [{ Index: 0, Records: Buffer.alloc(0) }] }],
      },
      (r) => first(r, 'Responses', 0, 'PartitionResponses', 0, 'ErrorCode'),
      29,
    ],
    [
      'Fetch',
      1,
      12,
      {
        MaxBytes: 1000,
        Topics: [{ Topic: 'orders', Partitions: [{ Partition: 0, PartitionMaxBytes: 1000 }] }],
      },
      (r) => first(r, 'Responses', 0, 'Partitions', 0, 'ErrorCode'),
      29,
    ],
    [
      'ListOffsets',
      2,
      7,
      { ReplicaId: -1, Topics: [{ Name: 'orders', Partitions: [{ PartitionIndex: 0, Timestamp: -1n }] }] },
      (r) => first(r, 'Topics', 0, 'Partitions', 0, 'ErrorCode'),
      29,
    ],
    ['Metadata', 3, 12, { Topics: [{ Name: 'orders' }] }, (r) => first(r, 'Topics', 0, 'ErrorCode'), 29],
    [
      'OffsetCommit',
      8,
      8,
      {
        GroupId: 'g',
        GenerationIdOrMemberEpoch: -1,
        Topics: [{ Name: 'orders', Partitions: [{ PartitionIndex: 0 }] }],
      },
      (r) => first(r, 'Topics', 0, 'Partitions', 0, 'ErrorCode'),
      30,
    ],
    ['OffsetFetch v7', 9, 7, { GroupId: 'g', Topics: null }, (r) => first(r, 'ErrorCode'), 30],
    [
      'OffsetFetch v8',
      9,
      8,
      { Groups: [{ GroupId: 'g', Topics: null }] },
      (r) => first(r, 'Groups', 0, 'ErrorCode'),
      30,
    ],
    ['FindCoordinator v3', 10, 3, { Key: 'g', KeyType: 0 }, (r) => first(r, 'ErrorCode'), 30],
    [
      'FindCoordinator v4',
      10,
      4,
      { KeyType: 0, CoordinatorKeys: ['g'] },
      (r) => first(r, 'Coordinators', 0, 'ErrorCode'),
      30,
    ],
    [
      'FindCoordinator (transaction)',
      10,
      4,
      { KeyType: TXN, CoordinatorKeys: ['tx'] },
      (r) => first(r, 'Coordinators', 0, 'ErrorCode'),
      53,
    ],
    [
      'JoinGroup',
      11,
      5,
      {
        GroupId: 'g',
        SessionTimeoutMs: 10000,
        RebalanceTimeoutMs: 10000,
        ProtocolType: 'consumer',
        Protocols: [],
      },
      (r) => first(r, 'ErrorCode'),
      30,
    ],
    ['Heartbeat', 12, 4, { GroupId: 'g', MemberId: 'm' }, (r) => first(r, 'ErrorCode'), 30],
    ['LeaveGroup', 13, 4, { GroupId: 'g', Members: [{ MemberId: 'm' }] }, (r) => first(r, 'ErrorCode'), 30],
    [
      'SyncGroup',
      14,
      5,
      { GroupId: 'g', MemberId: 'm', ProtocolType: 'consumer', ProtocolName: 'range' },
      (r) => first(r, 'ErrorCode'),
      30,
    ],
    ['DescribeGroups', 15, 5, { Groups: ['g'] }, (r) => first(r, 'Groups', 0, 'ErrorCode'), 30],
    ['ListGroups', 16, 4, {}, (r) => first(r, 'Groups', 'length'), 0],
    [
      'CreateTopics',
      19,
      7,
      { Topics: [{ Name: 'other', NumPartitions: 1, ReplicationFactor: -1 }] },
      (r) => first(r, 'Topics', 0, 'ErrorCode'),
      29,
    ],
    [
      'DeleteTopics',
      20,
      6,
      { Topics: [{ Name: 'orders' }] },
      (r) => first(r, 'Responses', 0, 'ErrorCode'),
      29,
    ],
    [
      'DeleteRecords',
      21,
      2,
      { Topics: [{ Name: 'orders', Partitions: [{ PartitionIndex: 0, Offset: -1n }] }] },
      (r) => first(r, 'Topics', 0, 'Partitions', 0, 'ErrorCode'),
      29,
    ],
    [
      'InitProducerId (idempotent)',
      22,
      4,
      { TransactionalId: null, TransactionTimeoutMs: 1000, ProducerId: -1n, ProducerEpoch: -1 },
      (r) => first(r, 'ErrorCode'),
      31,
    ],
    [
      'InitProducerId (transactional)',
      22,
      4,
      { TransactionalId: 'tx', TransactionTimeoutMs: 1000, ProducerId: -1n, ProducerEpoch: -1 },
      (r) => first(r, 'ErrorCode'),
      53,
    ],
    [
      'OffsetForLeaderEpoch',
      23,
      4,
      {
        ReplicaId: -1,
        Topics: [{ Topic: 'orders', Partitions: [{ Partition: 0, CurrentLeaderEpoch: -1, LeaderEpoch: 0 }] }],
      },
      (r) => first(r, 'Topics', 0, 'Partitions', 0, 'ErrorCode'),
      29,
    ],
    [
      'DescribeConfigs (topic)',
      32,
      4,
      { Resources: [{ ResourceType: 2, ResourceName: 'orders', ConfigurationKeys: null }] },
      (r) => first(r, 'Results', 0, 'ErrorCode'),
      29,
    ],
    [
      'DescribeConfigs (broker)',
      32,
      4,
      { Resources: [{ ResourceType: 4, ResourceName: '1', ConfigurationKeys: null }] },
      (r) => first(r, 'Results', 0, 'ErrorCode'),
      31,
    ],
    [
      'AlterConfigs',
      33,
      2,
      { Resources: [{ ResourceType: 2, ResourceName: 'orders', Configs: [] }] },
      (r) => first(r, 'Responses', 0, 'ErrorCode'),
      29,
    ],
    [
      'CreatePartitions',
      37,
      3,
      { Topics: [{ Name: 'orders', Count: 4, Assignments: null }], TimeoutMs: 1000 },
      (r) => first(r, 'Results', 0, 'ErrorCode'),
      29,
    ],
    ['DeleteGroups', 42, 2, { GroupsNames: [ESM_GROUP] }, (r) => first(r, 'Results', 0, 'ErrorCode'), 30],
    [
      'IncrementalAlterConfigs',
      44,
      1,
      { Resources: [{ ResourceType: 2, ResourceName: 'orders', Configs: [] }] },
      (r) => first(r, 'Responses', 0, 'ErrorCode'),
      29,
    ],
    [
      'OffsetDelete',
      47,
      0,
      { GroupId: ESM_GROUP, Topics: [{ Name: 'orders', Partitions: [{ PartitionIndex: 0 }] }] },
      (r) => first(r, 'ErrorCode'),
      30,
    ],
    [
      'ConsumerGroupHeartbeat',
      68,
      0,
      { GroupId: 'g', MemberEpoch: 0, SubscribedTopicNames: ['orders'] },
      (r) => first(r, 'ErrorCode'),
      30,
    ],
  ];

  test('THEN the table below covers every API the action table checks', () => {
    const covered = new Set(everyApi.map(([, key]) => key));
    expect(CHECKED_API_KEYS.filter((k) => ![17, 18, 36].includes(k) && !covered.has(k))).toEqual([]);
  });

  test.each(everyApi)(
    'WHEN a principal with Connect only sends %s (key %i v%i) THEN it answers the denial Kafka would',
    async (_name, key, version, body, codeOf, expected) => {
      const conn = await rawAs(NOBODY);
      try {
        expect(codeOf(await call(conn, MESSAGE_SCHEMAS.get(key)!, version, body))).toBe(expected);
      } finally {
        conn.end();
      }
    },
  );

  test('THEN nothing a Connect-only principal asked for changed the cluster', () => {
    const orders = broker.stats().topics.find((t) => t.name === 'orders')!;
    expect(orders.partitions).toHaveLength(2);
    expect(broker.cluster.topics.has('other')).toBe(false);
    expect(broker.groups.list().map((g) => g.groupId)).toContain(ESM_GROUP);
  });

  test('WHEN the same requests arrive on the plain listener THEN nothing is authorized there', async () => {
    const before = broker.denials().reduce((n, d) => n + d.count, 0);
    const producer = new Kafka({ brokers: [broker.bootstrapServers], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const [written] = await producer.send({ topic: 'secrets', messages: [{ value: 'plain' }] });
    await producer.disconnect();
    expect(written.errorCode).toBe(ErrorCode.NONE);
    expect(broker.denials().reduce((n, d) => n + d.count, 0)).toBe(before);
  });
});
