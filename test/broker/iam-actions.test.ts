/**
 * MSK's action table (local/broker/auth/iam/msk-actions.ts): the checks each served API makes on a
 * realistic request (encoded and decoded at a real version, so version-dependent fields are as a
 * client sends them), and what applyChecks makes of denials.
 */
import { clusterArn, groupArn, parseClusterArn, topicArn } from '../../local/broker/auth/iam/arns';
import {
  accessChecks,
  applyChecks,
  CHECKED_API_KEYS,
  missingPermissionMessage,
  type AccessCheck,
  type BrokerFacts,
} from '../../local/broker/auth/iam/msk-actions';
import { evaluatePolicies } from '../../local/broker/auth/iam/policy-evaluator';
import type { NamedPolicy, PolicyStatement } from '../../local/broker/auth/iam/types';
import { HANDLERS } from '../../local/broker/handlers';
import { MESSAGE_SCHEMAS } from '../../local/kafka/messages';
import { decodeMessage, encodeMessage } from '../../local/kafka/message-codec';
import { Reader } from '../../local/kafka/primitives';

const CLUSTER = clusterArn({
  region: 'eu-west-1',
  account: '123456789012',
  clusterName: 'workshop',
  clusterUuid: '5a1b2c3d-0000-4000-8000-00000000abcd-1',
});
const ROLE = 'arn:aws:iam::123456789012:role/ledger';
const ORDERS_ID = Buffer.alloc(16, 1);

/** The broker as the checks see it: topics orders and payments, groups ledger and audit. */
const facts = (apiVersion: number, overrides: Partial<BrokerFacts> = {}): BrokerFacts => ({
  cluster: CLUSTER,
  apiVersion,
  autoCreateTopics: false,
  topicNames: () => ['orders', 'payments'],
  topicNameById: (id) => (id.equals(ORDERS_ID) ? 'orders' : undefined),
  groupIds: () => ['ledger', 'audit'],
  committedTopics: (group) => (group === 'ledger' ? ['orders', 'payments'] : []),
  ...overrides,
});

/** A request as the broker decodes it: `input` encoded at `version` by API `key`'s schema, then decoded. */
function decoded(key: number, version: number, input: Record<string, unknown>): unknown {
  const schema = MESSAGE_SCHEMAS.get(key)!.request;
  return decodeMessage(schema, version, new Reader(encodeMessage(schema, version, input).toBuffer()));
}

/** The checks in a compact form: `Action scope/name code onDeny`, with `(group)` for grouped topic checks. */
const brief = (checks: readonly AccessCheck[]) =>
  checks.map(
    (c) =>
      `${c.action.replace('kafka-cluster:', '')} ${c.scope}/${c.name} ${c.errorCode} ${c.onDeny}` +
      (c.group ? ` (${c.group})` : ''),
  );

const checksOf = (key: number, version: number, input: Record<string, unknown>, f = facts(version)) =>
  brief(accessChecks(key, decoded(key, version, input), f));

/** A record batch header whose producer id is `producerId` (only the bytes the check reads matter). */
const batch = (producerId: bigint) => {
  const bytes = Buffer.alloc(61);
  bytes.writeInt8(2, 16);
  bytes.writeBigInt64BE(producerId, 43);
  return bytes;
};

describe('MSK action table: the checks per API', () => {
  test('every API the broker serves has a row', () => {
    for (const key of HANDLERS.keys()) expect(CHECKED_API_KEYS).toContain(key);
    expect(() => accessChecks(24, {}, facts(0))).toThrow(/API key 24/);
  });

  test('0 Produce: WriteData per topic; a transactional id needs AlterTransactionalId; idempotent batches WriteDataIdempotently', () => {
    const topicData = [
      {
        Name: 'orders',
        PartitionData: [
          { Index: 0, Records: batch(-1n) },
          { Index: 1, Records: batch(-1n) },
        ],
      },
      { Name: 'payments', PartitionData: [{ Index: 0, Records: batch(-1n) }] },
    ];
    expect(
      checksOf(0, 9, { TransactionalId: null, Acks: -1, TimeoutMs: 1000, TopicData: topicData }),
    ).toEqual(['WriteData topic/orders 29 entry', 'WriteData topic/payments 29 entry']);
    const idempotent = [{ Name: 'orders', PartitionData: [{ Index: 0, Records: batch(7n) }] }];
    expect(checksOf(0, 9, { TransactionalId: null, Acks: -1, TopicData: idempotent })).toEqual([
      'WriteDataIdempotently cluster/workshop 31 request',
      'WriteData topic/orders 29 entry',
    ]);
    expect(checksOf(0, 11, { TransactionalId: 'tx-1', Acks: -1, TopicData: idempotent })).toEqual([
      'AlterTransactionalId transactional-id/tx-1 53 request',
      'WriteData topic/orders 29 entry',
    ]);
  });

  test('1 Fetch: ReadData per topic, by name and (v13+) by id; unknown ids get no check', () => {
    const partitions = [{ Partition: 0, FetchOffset: 0n, PartitionMaxBytes: 1 << 20 }];
    expect(checksOf(1, 11, { Topics: [{ Topic: 'orders', Partitions: partitions }] })).toEqual([
      'ReadData topic/orders 29 entry',
    ]);
    expect(
      checksOf(1, 13, {
        Topics: [
          { TopicId: ORDERS_ID, Partitions: partitions },
          { TopicId: Buffer.alloc(16, 9), Partitions: partitions },
        ],
      }),
    ).toEqual(['ReadData topic/orders 29 entry']);
  });

  test('2 ListOffsets and 23 OffsetForLeaderEpoch: DescribeTopic per topic', () => {
    expect(
      checksOf(2, 7, { Topics: [{ Name: 'orders', Partitions: [{ PartitionIndex: 0, Timestamp: -1n }] }] }),
    ).toEqual(['DescribeTopic topic/orders 29 entry']);
    expect(
      checksOf(23, 4, { Topics: [{ Topic: 'payments', Partitions: [{ Partition: 0, LeaderEpoch: 0 }] }] }),
    ).toEqual(['DescribeTopic topic/payments 29 entry']);
  });

  test('3 Metadata: all topics are filtered silently; named ones get 29; auto-creation needs CreateTopic', () => {
    expect(checksOf(3, 12, { Topics: null })).toEqual([
      'DescribeTopic topic/orders 29 omit',
      'DescribeTopic topic/payments 29 omit',
    ]);
    expect(checksOf(3, 0, { Topics: [] })).toHaveLength(2);
    const named = { Topics: [{ Name: 'orders' }, { Name: 'new-topic' }], AllowAutoTopicCreation: true };
    expect(checksOf(3, 9, named)).toEqual([
      'DescribeTopic topic/orders 29 entry',
      'DescribeTopic topic/new-topic 29 entry',
    ]);
    expect(checksOf(3, 9, named, facts(9, { autoCreateTopics: true }))).toEqual([
      'DescribeTopic topic/orders 29 entry',
      'DescribeTopic topic/new-topic 29 entry',
      'CreateTopic topic/new-topic 29 entry',
    ]);
    expect(
      checksOf(3, 9, { ...named, AllowAutoTopicCreation: false }, facts(9, { autoCreateTopics: true })),
    ).toHaveLength(2);
    expect(checksOf(3, 12, { Topics: [{ Name: null, TopicId: ORDERS_ID }] })).toEqual([
      'DescribeTopic topic/orders 29 entry',
    ]);
  });

  test('8 OffsetCommit: AlterGroup for the request, then ReadData per topic', () => {
    const topics = [
      { Name: 'orders', Partitions: [{ PartitionIndex: 0, CommittedOffset: 5n, CommittedMetadata: null }] },
    ];
    expect(
      checksOf(8, 8, { GroupId: 'ledger', GenerationIdOrMemberEpoch: 1, MemberId: 'm', Topics: topics }),
    ).toEqual(['AlterGroup group/ledger 30 request', 'ReadData topic/orders 29 entry']);
  });

  test('9 OffsetFetch: DescribeGroup then DescribeTopic; all partitions filter silently; v8+ per group', () => {
    expect(
      checksOf(9, 7, { GroupId: 'ledger', Topics: [{ Name: 'orders', PartitionIndexes: [0] }] }),
    ).toEqual(['DescribeGroup group/ledger 30 request', 'DescribeTopic topic/orders 29 entry']);
    expect(checksOf(9, 7, { GroupId: 'ledger', Topics: null })).toEqual([
      'DescribeGroup group/ledger 30 request',
      'DescribeTopic topic/orders 29 omit',
      'DescribeTopic topic/payments 29 omit',
    ]);
    expect(
      checksOf(9, 8, {
        Groups: [
          { GroupId: 'ledger', Topics: [{ Name: 'orders', PartitionIndexes: [0] }] },
          { GroupId: 'audit', Topics: null },
        ],
      }),
    ).toEqual([
      'DescribeGroup group/ledger 30 entry',
      'DescribeTopic topic/orders 29 entry (ledger)',
      'DescribeGroup group/audit 30 entry',
    ]);
  });

  test('10 FindCoordinator: DescribeGroup or DescribeTransactionalId by key type; v4+ per key', () => {
    expect(checksOf(10, 0, { Key: 'ledger' })).toEqual(['DescribeGroup group/ledger 30 request']);
    expect(checksOf(10, 3, { Key: 'tx-1', KeyType: 1 })).toEqual([
      'DescribeTransactionalId transactional-id/tx-1 53 request',
    ]);
    expect(checksOf(10, 4, { KeyType: 0, CoordinatorKeys: ['ledger', 'audit'] })).toEqual([
      'DescribeGroup group/ledger 30 entry',
      'DescribeGroup group/audit 30 entry',
    ]);
  });

  test('11 JoinGroup, 12 Heartbeat, 13 LeaveGroup, 14 SyncGroup, 68 ConsumerGroupHeartbeat: AlterGroup', () => {
    const alter = ['AlterGroup group/ledger 30 request'];
    expect(
      checksOf(11, 9, {
        GroupId: 'ledger',
        SessionTimeoutMs: 10000,
        MemberId: '',
        ProtocolType: 'consumer',
        Protocols: [],
      }),
    ).toEqual(alter);
    expect(checksOf(12, 4, { GroupId: 'ledger', GenerationId: 1, MemberId: 'm' })).toEqual(alter);
    expect(checksOf(13, 5, { GroupId: 'ledger', Members: [{ MemberId: 'm' }] })).toEqual(alter);
    expect(checksOf(14, 5, { GroupId: 'ledger', GenerationId: 1, MemberId: 'm', Assignments: [] })).toEqual(
      alter,
    );
    expect(
      checksOf(68, 0, { GroupId: 'ledger', MemberId: 'm', MemberEpoch: 0, SubscribedTopicNames: ['orders'] }),
    ).toEqual(alter);
  });

  test('15 DescribeGroups and 42 DeleteGroups: per group', () => {
    expect(checksOf(15, 5, { Groups: ['ledger', 'audit'] })).toEqual([
      'DescribeGroup group/ledger 30 entry',
      'DescribeGroup group/audit 30 entry',
    ]);
    expect(checksOf(42, 2, { GroupsNames: ['audit'] })).toEqual(['DeleteGroup group/audit 30 entry']);
  });

  test('16 ListGroups: DescribeCluster, else DescribeGroup per listed group', () => {
    expect(checksOf(16, 4, { StatesFilter: [] })).toEqual([
      'DescribeCluster cluster/workshop 31 else-entries',
      'DescribeGroup group/ledger 30 omit',
      'DescribeGroup group/audit 30 omit',
    ]);
  });

  test('19 CreateTopics, 20 DeleteTopics, 21 DeleteRecords, 37 CreatePartitions: per topic', () => {
    expect(
      checksOf(19, 7, {
        Topics: [{ Name: 'new-topic', NumPartitions: 3, ReplicationFactor: 3, Assignments: [], Configs: [] }],
      }),
    ).toEqual(['CreateTopic topic/new-topic 29 entry']);
    expect(checksOf(20, 5, { TopicNames: ['orders'] })).toEqual(['DeleteTopic topic/orders 29 entry']);
    expect(checksOf(20, 6, { Topics: [{ Name: null, TopicId: ORDERS_ID }, { Name: 'payments' }] })).toEqual([
      'DeleteTopic topic/orders 29 entry',
      'DeleteTopic topic/payments 29 entry',
    ]);
    expect(
      checksOf(21, 2, { Topics: [{ Name: 'orders', Partitions: [{ PartitionIndex: 0, Offset: 3n }] }] }),
    ).toEqual(['DeleteTopic topic/orders 29 entry']);
    expect(checksOf(37, 3, { Topics: [{ Name: 'orders', Count: 6, Assignments: null }] })).toEqual([
      'AlterTopic topic/orders 29 entry',
    ]);
  });

  test('22 InitProducerId: AlterTransactionalId with a transactional id, else WriteDataIdempotently', () => {
    expect(checksOf(22, 4, { TransactionalId: null, TransactionTimeoutMs: 60000 })).toEqual([
      'WriteDataIdempotently cluster/workshop 31 request',
    ]);
    expect(checksOf(22, 4, { TransactionalId: 'tx-1', TransactionTimeoutMs: 60000 })).toEqual([
      'AlterTransactionalId transactional-id/tx-1 53 request',
    ]);
  });

  test('32 DescribeConfigs, 33 AlterConfigs, 44 IncrementalAlterConfigs: by resource type', () => {
    const resources = [
      { ResourceType: 2, ResourceName: 'orders', ConfigurationKeys: null, Configs: [] },
      { ResourceType: 4, ResourceName: '1', ConfigurationKeys: null, Configs: [] },
      { ResourceType: 16, ResourceName: 'metrics', ConfigurationKeys: null, Configs: [] },
    ];
    expect(checksOf(32, 4, { Resources: resources })).toEqual([
      'DescribeTopicDynamicConfiguration topic/orders 29 entry',
      'DescribeClusterDynamicConfiguration cluster/1 31 entry',
    ]);
    const alter = [
      'AlterTopicDynamicConfiguration topic/orders 29 entry',
      'AlterClusterDynamicConfiguration cluster/1 31 entry',
    ];
    expect(checksOf(33, 2, { Resources: resources })).toEqual(alter);
    expect(checksOf(44, 1, { Resources: resources })).toEqual(alter);
    expect(accessChecks(32, decoded(32, 4, { Resources: resources }), facts(4))[1].resource).toBe(
      CLUSTER.arn,
    );
  });

  test('47 OffsetDelete: DeleteGroup for the request, then ReadData per topic', () => {
    expect(
      checksOf(47, 0, {
        GroupId: 'ledger',
        Topics: [{ Name: 'orders', Partitions: [{ PartitionIndex: 0 }] }],
      }),
    ).toEqual(['DeleteGroup group/ledger 30 request', 'ReadData topic/orders 29 entry']);
  });

  test('17 SaslHandshake, 18 ApiVersions, 36 SaslAuthenticate: no checks', () => {
    for (const key of [17, 18, 36]) expect(accessChecks(key, {}, facts(0))).toEqual([]);
  });
});

const policy = (...Statement: PolicyStatement[]): NamedPolicy[] => [
  { name: 'ledger-policy', document: { Version: '2012-10-17', Statement } },
];
const verdictFor = (policies: NamedPolicy[], checks: AccessCheck[]) =>
  applyChecks(checks, (c) => evaluatePolicies(policies, ROLE, c.action, c.resource));

describe('MSK action table: denials', () => {
  test('GIVEN the ledger without AlterGroup WHEN it commits THEN the request fails with 30 naming the action and ARN', () => {
    const p = policy({
      Effect: 'Allow',
      Action: ['kafka-cluster:ReadData', 'kafka-cluster:DescribeGroup'],
      Resource: '*',
    });
    const checks = accessChecks(
      8,
      decoded(8, 8, { GroupId: 'ledger', MemberId: 'm', Topics: [{ Name: 'orders', Partitions: [] }] }),
      facts(8),
    );
    const verdict = verdictFor(p, checks);
    expect(verdict.request?.check.errorCode).toBe(30);
    expect(verdict.request?.decision).toEqual({ allowed: false, reason: 'implicit-deny' });
    expect(missingPermissionMessage(verdict.request!.check, { arn: ROLE, accessKeyId: 'AKID' })).toBe(
      `kafka-cluster:AlterGroup on ${groupArn(CLUSTER, 'ledger')} is not allowed for ${ROLE}`,
    );
  });

  test('GIVEN DescribeTopic on orders only WHEN all topics are asked for THEN payments is left out, without an error', () => {
    const p = policy({
      Effect: 'Allow',
      Action: 'kafka-cluster:DescribeTopic',
      Resource: topicArn(CLUSTER, 'orders'),
    });
    const verdict = verdictFor(p, accessChecks(3, decoded(3, 12, { Topics: null }), facts(12)));
    expect(verdict.request).toBeUndefined();
    expect(verdict.entries).toEqual([]);
    expect(verdict.omitted.map((c) => c.name)).toEqual(['payments']);
    const named = verdictFor(
      p,
      accessChecks(3, decoded(3, 12, { Topics: [{ Name: 'payments' }] }), facts(12)),
    );
    expect(named.entries.map((d) => [d.check.name, d.check.errorCode])).toEqual([['payments', 29]]);
  });

  test('GIVEN a topic denied Describe WHEN Metadata would auto-create it THEN CreateTopic is not asked', () => {
    const asked: string[] = [];
    applyChecks(
      accessChecks(
        3,
        decoded(3, 9, { Topics: [{ Name: 'new-topic' }] }),
        facts(9, { autoCreateTopics: true }),
      ),
      (c) => {
        asked.push(c.action);
        return { allowed: false, reason: 'implicit-deny' };
      },
    );
    expect(asked).toEqual(['kafka-cluster:DescribeTopic']);
  });

  test('ListGroups: DescribeCluster lists every group; without it only the groups the principal may describe', () => {
    const checks = accessChecks(16, decoded(16, 4, {}), facts(4));
    const admin = policy({ Effect: 'Allow', Action: 'kafka-cluster:DescribeCluster', Resource: CLUSTER.arn });
    expect(verdictFor(admin, checks)).toEqual({ entries: [], omitted: [] });
    const ledger = policy({
      Effect: 'Allow',
      Action: 'kafka-cluster:DescribeGroup',
      Resource: groupArn(CLUSTER, 'ledger'),
    });
    expect(verdictFor(ledger, checks).omitted.map((c) => c.name)).toEqual(['audit']);
    expect(verdictFor(ledger, checks).request).toBeUndefined();
  });

  test('OffsetFetch v8: a group denied fails alone, and its topics are not asked about', () => {
    const p = policy({
      Effect: 'Allow',
      Action: 'kafka-cluster:Describe*',
      NotResource: groupArn(CLUSTER, 'audit'),
    });
    const checks = accessChecks(
      9,
      decoded(9, 8, {
        Groups: [
          { GroupId: 'audit', Topics: [{ Name: 'orders', PartitionIndexes: [0] }] },
          { GroupId: 'ledger', Topics: [{ Name: 'orders', PartitionIndexes: [0] }] },
        ],
      }),
      facts(8),
    );
    const asked: string[] = [];
    const verdict = applyChecks(checks, (c) => {
      asked.push(`${c.scope}/${c.name}${c.group ? ` (${c.group})` : ''}`);
      return evaluatePolicies(p, ROLE, c.action, c.resource);
    });
    expect(verdict.entries.map((d) => `${d.check.scope}/${d.check.name} ${d.check.errorCode}`)).toEqual([
      'group/audit 30',
    ]);
    expect(asked).toEqual(['group/audit', 'group/ledger', 'topic/orders (ledger)']);
  });

  test('Produce: one topic denied fails that topic only; a transactional id denied fails the request with 53', () => {
    const p = policy({
      Effect: 'Allow',
      Action: 'kafka-cluster:WriteData',
      Resource: topicArn(CLUSTER, 'orders'),
    });
    const request = {
      Acks: -1,
      TopicData: [
        { Name: 'orders', PartitionData: [] },
        { Name: 'payments', PartitionData: [] },
      ],
    };
    const verdict = verdictFor(
      p,
      accessChecks(0, decoded(0, 9, { ...request, TransactionalId: null }), facts(9)),
    );
    expect(verdict.entries.map((d) => d.check.name)).toEqual(['payments']);
    const txn = verdictFor(
      p,
      accessChecks(0, decoded(0, 9, { ...request, TransactionalId: 'tx-1' }), facts(9)),
    );
    expect(txn.request?.check.errorCode).toBe(53);
  });
});

describe('MSK ARNs', () => {
  test('cluster, topic, group and transactional-id ARNs; a cluster ARN parses back; a bad one is refused', () => {
    expect(topicArn(CLUSTER, 'orders')).toBe(
      'arn:aws:kafka:eu-west-1:123456789012:topic/workshop/5a1b2c3d-0000-4000-8000-00000000abcd-1/orders',
    );
    expect(parseClusterArn(CLUSTER.arn)).toEqual(CLUSTER);
    expect(() => parseClusterArn('arn:aws:kafka:eu-west-1:123456789012:topic/a/b/c')).toThrow(
      /not an MSK cluster ARN/,
    );
  });
});
