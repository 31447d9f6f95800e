/**
 * The local IAM policy evaluator: AWS's documented rules by hand, then a cross-check against
 * @cloud-copilot/iam-simulate over generated kafka-cluster policies and requests.
 *
 * iam-simulate is AGPL-3.0: it is a devDependency used in this test only, as a reference to compare
 * against; no shipped code imports it.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import fc from 'fast-check';
import {
  clusterArn,
  groupArn,
  resourceArn,
  topicArn,
  transactionalIdArn,
} from '../../local/broker/auth/iam/arns';
import { KAFKA_CLUSTER_ACTIONS } from '../../local/broker/auth/iam/msk-actions';
import {
  analyzePolicies,
  createAuthorizer,
  evaluatePolicies,
} from '../../local/broker/auth/iam/policy-evaluator';
import type { NamedPolicy, PolicyStatement, Principal } from '../../local/broker/auth/iam/types';

const ACCOUNT = '123456789012';
const CLUSTER = clusterArn({
  region: 'eu-west-1',
  account: ACCOUNT,
  clusterName: 'workshop',
  clusterUuid: '5a1b2c3d-0000-4000-8000-00000000abcd-1',
});
const ROLE = `arn:aws:iam::${ACCOUNT}:role/ingest`;
const TOPIC = topicArn(CLUSTER, 'orders');
const GROUP = groupArn(CLUSTER, 'ledger');

const policy = (...Statement: PolicyStatement[]): NamedPolicy[] => [
  { name: 'p', document: { Version: '2012-10-17', Statement } },
];
const decide = (policies: NamedPolicy[], action: string, resource: string) =>
  evaluatePolicies(policies, ROLE, action, resource);
const allowed = (policies: NamedPolicy[], action: string, resource: string) =>
  decide(policies, action, resource).allowed;

describe('IAM policy evaluator: AWS rules by hand', () => {
  test('GIVEN no statement for the action WHEN asked THEN it is implicitly denied', () => {
    const p = policy({ Effect: 'Allow', Action: 'kafka-cluster:ReadData', Resource: TOPIC });
    expect(decide(p, 'kafka-cluster:WriteData', TOPIC)).toEqual({ allowed: false, reason: 'implicit-deny' });
    expect(decide([], 'kafka-cluster:ReadData', TOPIC)).toEqual({ allowed: false, reason: 'implicit-deny' });
  });

  test('GIVEN an Allow WHEN the action and resource match THEN it allows, naming the policy and Sid', () => {
    const p = policy({ Sid: 'Read', Effect: 'Allow', Action: 'kafka-cluster:ReadData', Resource: TOPIC });
    expect(decide(p, 'kafka-cluster:ReadData', TOPIC)).toEqual({ allowed: true, by: 'p', sid: 'Read' });
  });

  test('GIVEN an Allow and a Deny for the same request THEN the Deny wins, in either order', () => {
    const allow: PolicyStatement = { Effect: 'Allow', Action: 'kafka-cluster:*', Resource: '*' };
    const deny: PolicyStatement = {
      Sid: 'No',
      Effect: 'Deny',
      Action: 'kafka-cluster:WriteData',
      Resource: TOPIC,
    };
    for (const p of [policy(allow, deny), policy(deny, allow)]) {
      expect(decide(p, 'kafka-cluster:WriteData', TOPIC)).toEqual({
        allowed: false,
        reason: 'explicit-deny',
        by: 'p',
        sid: 'No',
      });
      expect(allowed(p, 'kafka-cluster:ReadData', TOPIC)).toBe(true);
    }
  });

  test('GIVEN a Deny in one policy and an Allow in another THEN the Deny still wins', () => {
    const p: NamedPolicy[] = [
      ...policy({ Effect: 'Allow', Action: 'kafka-cluster:AlterGroup', Resource: GROUP }),
      {
        name: 'guard',
        document: { Statement: { Effect: 'Deny', Action: 'kafka-cluster:AlterGroup', Resource: '*' } },
      },
    ];
    expect(decide(p, 'kafka-cluster:AlterGroup', GROUP)).toMatchObject({
      reason: 'explicit-deny',
      by: 'guard',
    });
  });

  test('NotAction: the statement covers every action but those listed', () => {
    const p = policy({
      Effect: 'Allow',
      NotAction: ['kafka-cluster:Delete*', 'kafka-cluster:AlterCluster'],
      Resource: '*',
    });
    expect(allowed(p, 'kafka-cluster:ReadData', TOPIC)).toBe(true);
    expect(allowed(p, 'kafka-cluster:DeleteTopic', TOPIC)).toBe(false);
    expect(allowed(p, 'kafka-cluster:AlterCluster', CLUSTER.arn)).toBe(false);
    const deny = policy(
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', NotAction: 'kafka-cluster:Describe*', Resource: '*' },
    );
    expect(allowed(deny, 'kafka-cluster:DescribeTopic', TOPIC)).toBe(true);
    expect(decide(deny, 'kafka-cluster:WriteData', TOPIC)).toMatchObject({ reason: 'explicit-deny' });
  });

  test('NotResource: the statement covers every resource but those listed', () => {
    const p = policy({
      Effect: 'Allow',
      Action: 'kafka-cluster:*',
      NotResource: `arn:aws:kafka:eu-west-1:${ACCOUNT}:topic/workshop/*/secret*`,
    });
    expect(allowed(p, 'kafka-cluster:ReadData', TOPIC)).toBe(true);
    expect(allowed(p, 'kafka-cluster:ReadData', topicArn(CLUSTER, 'secret-keys'))).toBe(false);
    expect(allowed(p, 'kafka-cluster:Connect', CLUSTER.arn)).toBe(true);
  });

  test('wildcards: * spans any run (also /), ? exactly one character, across action and resource', () => {
    const p = policy({
      Effect: 'Allow',
      Action: ['kafka-cluster:*Topic', 'kafka-cluster:?riteData'],
      Resource: `arn:aws:kafka:*:${ACCOUNT}:topic/workshop/*/order?`,
    });
    expect(allowed(p, 'kafka-cluster:DescribeTopic', TOPIC)).toBe(true);
    expect(allowed(p, 'kafka-cluster:WriteData', TOPIC)).toBe(true);
    // kafka-cluster:*Topic does not reach the dynamic-configuration actions (msk-iam.md §2).
    expect(allowed(p, 'kafka-cluster:DescribeTopicDynamicConfiguration', TOPIC)).toBe(false);
    expect(allowed(p, 'kafka-cluster:WriteData', topicArn(CLUSTER, 'order'))).toBe(false);
    expect(allowed(p, 'kafka-cluster:WriteData', topicArn(CLUSTER, 'orders2'))).toBe(false);
    const anyCluster = policy({
      Effect: 'Allow',
      Action: 'kafka-cluster:ReadData',
      Resource: 'arn:aws:kafka:*:*:topic/*',
    });
    expect(allowed(anyCluster, 'kafka-cluster:ReadData', TOPIC)).toBe(true);
    expect(allowed(anyCluster, 'kafka-cluster:ReadData', GROUP)).toBe(false);
  });

  test('a wildcard stays within its ARN segment, and the resource type is literal', () => {
    const p = policy({
      Effect: 'Allow',
      Action: 'kafka-cluster:*',
      Resource: `arn:aws:kafka:eu-*:${ACCOUNT}:*`,
    });
    expect(allowed(p, 'kafka-cluster:ReadData', TOPIC)).toBe(true);
    const regionSpansAccount = policy({
      Effect: 'Allow',
      Action: 'kafka-cluster:*',
      Resource: 'arn:aws:kafka:eu-*:topic/*',
    });
    expect(allowed(regionSpansAccount, 'kafka-cluster:ReadData', TOPIC)).toBe(false);
    const wildType = policy({
      Effect: 'Allow',
      Action: 'kafka-cluster:*',
      Resource: `arn:aws:kafka:*:*:t*c/*`,
    });
    expect(allowed(wildType, 'kafka-cluster:ReadData', TOPIC)).toBe(false);
    const short = policy({ Effect: 'Allow', Action: 'kafka-cluster:*', Resource: 'arn:aws:kafka' });
    expect(allowed(short, 'kafka-cluster:ReadData', TOPIC)).toBe(true);
  });

  test('case: actions compare case-insensitively, resource names case-sensitively', () => {
    const p = policy({ Effect: 'Allow', Action: 'KAFKA-CLUSTER:readdata', Resource: TOPIC });
    expect(allowed(p, 'kafka-cluster:ReadData', TOPIC)).toBe(true);
    expect(allowed(p, 'kafka-cluster:ReadData', topicArn(CLUSTER, 'Orders'))).toBe(false);
  });

  test('a single string and a one-element array mean the same', () => {
    const a = policy({ Effect: 'Allow', Action: 'kafka-cluster:ReadData', Resource: TOPIC });
    const b = policy({ Effect: 'Allow', Action: ['kafka-cluster:ReadData'], Resource: [TOPIC] });
    expect(decide(a, 'kafka-cluster:ReadData', TOPIC)).toEqual(decide(b, 'kafka-cluster:ReadData', TOPIC));
  });

  test('GIVEN a Condition on aws:ResourceTag THEN it is reported; the Allow never allows, the Deny always denies', () => {
    const tagged: PolicyStatement = {
      Sid: 'Tagged',
      Effect: 'Allow',
      Action: 'kafka-cluster:Connect',
      Resource: CLUSTER.arn,
      Condition: { StringEquals: { 'aws:ResourceTag/env': 'dev' } },
    };
    const p = policy(tagged);
    expect(analyzePolicies(p).undecidable).toEqual([
      { policy: 'p', sid: 'Tagged', reason: expect.stringMatching(/aws:ResourceTag\/env.*no cluster tags/) },
    ]);
    expect(decide(p, 'kafka-cluster:Connect', CLUSTER.arn)).toEqual({
      allowed: false,
      reason: 'implicit-deny',
    });
    const guarded = policy(
      { Effect: 'Allow', Action: 'kafka-cluster:*', Resource: '*' },
      {
        ...tagged,
        Sid: 'Guard',
        Effect: 'Deny',
        Condition: { StringNotEquals: { 'aws:ResourceTag/env': 'prod' } },
      },
    );
    expect(decide(guarded, 'kafka-cluster:Connect', CLUSTER.arn)).toMatchObject({
      reason: 'explicit-deny',
      sid: 'Guard',
    });
    // The undecidable Deny covers only its action and resource.
    expect(allowed(guarded, 'kafka-cluster:ReadData', TOPIC)).toBe(true);
  });

  test('undecidable: unknown operators, unknown keys, policy variables in resources; all reported', () => {
    const p = policy(
      {
        Sid: 'Ip',
        Effect: 'Allow',
        Action: '*',
        Resource: '*',
        Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
      },
      {
        Sid: 'Mfa',
        Effect: 'Allow',
        Action: '*',
        Resource: '*',
        Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
      },
      { Sid: 'Var', Effect: 'Allow', Action: '*', Resource: `arn:aws:kafka:*:*:topic/*/*/\${aws:username}` },
    );
    expect(analyzePolicies(p).undecidable.map((u) => u.sid)).toEqual(['Ip', 'Mfa', 'Var']);
    expect(allowed(p, 'kafka-cluster:ReadData', TOPIC)).toBe(false);
  });

  test('decidable conditions: aws:PrincipalArn and aws:PrincipalAccount with String, Arn and Null operators', () => {
    const p = policy(
      {
        Effect: 'Allow',
        Action: 'kafka-cluster:ReadData',
        Resource: '*',
        Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/ing*' } },
      },
      {
        Effect: 'Allow',
        Action: 'kafka-cluster:WriteData',
        Resource: '*',
        Condition: { StringEquals: { 'aws:PrincipalAccount': ['999999999999'] } },
      },
      {
        Effect: 'Allow',
        Action: 'kafka-cluster:AlterGroup',
        Resource: '*',
        Condition: { StringNotLikeIfExists: { 'aws:principalarn': '*:role/ledger' } },
      },
      {
        Effect: 'Allow',
        Action: 'kafka-cluster:DescribeGroup',
        Resource: '*',
        Condition: { Null: { 'aws:PrincipalArn': 'true' } },
      },
    );
    expect(analyzePolicies(p).undecidable).toEqual([]);
    expect(allowed(p, 'kafka-cluster:ReadData', TOPIC)).toBe(true);
    expect(allowed(p, 'kafka-cluster:WriteData', TOPIC)).toBe(false);
    expect(allowed(p, 'kafka-cluster:AlterGroup', GROUP)).toBe(true);
    expect(allowed(p, 'kafka-cluster:DescribeGroup', GROUP)).toBe(false);
  });

  test('statements AWS would refuse are reported as invalid and match nothing', () => {
    const p = policy(
      { Sid: 'NoAction', Effect: 'Allow', Resource: '*' },
      { Sid: 'Both', Effect: 'Allow', Action: '*', NotAction: 'kafka-cluster:Connect', Resource: '*' },
      { Sid: 'NotArn', Effect: 'Allow', Action: '*', Resource: 'orders' },
    );
    expect(analyzePolicies(p).invalid.map((i) => i.sid)).toEqual(['NoAction', 'Both', 'NotArn']);
    expect(allowed(p, 'kafka-cluster:ReadData', TOPIC)).toBe(false);
  });

  test('createAuthorizer: per principal, assumed-role sessions find their role, unknown principals are denied', () => {
    const authorizer = createAuthorizer(
      new Map([
        [
          `arn:aws:iam::${ACCOUNT}:role/app/ingest`,
          policy({ Effect: 'Allow', Action: 'kafka-cluster:WriteData', Resource: TOPIC }),
        ],
      ]),
    );
    const as = (arn: string): Principal => ({ arn, accessKeyId: 'AKIDEXAMPLE' });
    expect(
      authorizer.authorize(as(`arn:aws:iam::${ACCOUNT}:role/app/ingest`), 'kafka-cluster:WriteData', TOPIC)
        .allowed,
    ).toBe(true);
    expect(
      authorizer.authorize(
        as(`arn:aws:sts::${ACCOUNT}:assumed-role/ingest/s1`),
        'kafka-cluster:WriteData',
        TOPIC,
      ).allowed,
    ).toBe(true);
    expect(
      authorizer.authorize(
        as(`arn:aws:sts::999999999999:assumed-role/ingest/s1`),
        'kafka-cluster:WriteData',
        TOPIC,
      ).allowed,
    ).toBe(false);
    expect(authorizer.authorize(as(ROLE), 'kafka-cluster:WriteData', TOPIC)).toEqual({
      allowed: false,
      reason: 'implicit-deny',
    });
  });
});

/** The resource type each kafka-cluster action is asked on (iam-simulate refuses other pairings). */
const scopeOf = (action: string) =>
  /Topic(DynamicConfiguration)?$|Data$/.test(action) && action !== 'WriteDataIdempotently'
    ? 'topic'
    : /Group$/.test(action)
      ? 'group'
      : /TransactionalId$/.test(action)
        ? 'transactional-id'
        : 'cluster';

const OTHER_CLUSTER = clusterArn({
  region: 'us-east-1',
  account: ACCOUNT,
  clusterName: 'other',
  clusterUuid: 'ffff-1',
});

const actionPattern = fc.oneof(
  fc.constantFrom(...KAFKA_CLUSTER_ACTIONS).map((a) => `kafka-cluster:${a}`),
  fc.constantFrom(...KAFKA_CLUSTER_ACTIONS).map((a) => `KAFKA-cluster:${a.toLowerCase()}`),
  fc.constantFrom(
    '*',
    'kafka-cluster:*',
    'kafka-cluster:*Topic',
    'kafka-cluster:*Group',
    'kafka-cluster:Describe*',
    'kafka-cluster:Alter*',
    'kafka-cluster:?riteData',
    'kafka-cluster:*DynamicConfiguration',
    'kafka-cluster:*Data*',
    's3:GetObject',
  ),
);

const ARN_PREFIX = `arn:aws:kafka:eu-west-1:${ACCOUNT}`;
const resourcePattern = fc.constantFrom(
  '*',
  CLUSTER.arn,
  OTHER_CLUSTER.arn,
  `${ARN_PREFIX}:cluster/workshop/*`,
  `${ARN_PREFIX}:topic/workshop/*`,
  `${ARN_PREFIX}:topic/workshop/*/orders`,
  `${ARN_PREFIX}:topic/workshop/*/order?`,
  `${ARN_PREFIX}:topic/workshop/*/Orders`,
  `${ARN_PREFIX}:topic/*/orders*`,
  `${ARN_PREFIX}:group/workshop/*/ledger`,
  `${ARN_PREFIX}:group/*`,
  `${ARN_PREFIX}:transactional-id/workshop/*/tx-*`,
  `arn:aws:kafka:*:*:*`,
  `arn:aws:kafka:*:*:topic/*`,
  `arn:aws:kafka:us-*:*:*`,
  `arn:aws:kafka:eu-west-1:999999999999:*`,
  `arn:aws:kafka:*:${ACCOUNT}:*/workshop/*`,
  'arn:aws:kafka',
  'arn:aws:kafka:*',
);

const list = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.array(arb, { minLength: 1, maxLength: 3 }));

const statement: fc.Arbitrary<PolicyStatement> = fc
  .record({
    Effect: fc.constantFrom('Allow' as const, 'Allow' as const, 'Deny' as const),
    actions: list(actionPattern),
    notAction: fc.boolean(),
    resources: list(resourcePattern),
    notResource: fc.boolean(),
    condition: fc.option(
      fc.constantFrom<Record<string, Record<string, string>>>(
        { StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/ing*' } },
        { StringEquals: { 'aws:PrincipalAccount': '999999999999' } },
        { ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/ledger' } },
      ),
      { freq: 4 },
    ),
  })
  .map(({ Effect, actions, notAction, resources, notResource, condition }) => ({
    Effect,
    ...(notAction ? { NotAction: actions } : { Action: actions }),
    ...(notResource ? { NotResource: resources } : { Resource: resources }),
    ...(condition ? { Condition: condition } : {}),
  }));

const request = fc.record({
  action: fc.constantFrom(...KAFKA_CLUSTER_ACTIONS),
  cluster: fc.constantFrom(CLUSTER, CLUSTER, OTHER_CLUSTER),
  name: fc.constantFrom(
    'orders',
    'Orders',
    'orders',
    'Orders',
    'orders-dlq',
    'order',
    'ledger',
    'tx-1',
    'pay',
  ),
});

describe('IAM policy evaluator against @cloud-copilot/iam-simulate', () => {
  test('GIVEN generated kafka-cluster policies and requests THEN both give the same answer', async () => {
    let compared = 0;
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(statement, { minLength: 1, maxLength: 4 }),
        request,
        async (statements, req) => {
          const resource = resourceArn(req.cluster, scopeOf(req.action), req.name);
          const action = `kafka-cluster:${req.action}`;
          const policies = policy(...statements);
          const ours = evaluatePolicies(policies, ROLE, action, resource);
          const theirs = await runSimulation(
            {
              identityPolicies: policies.map((p) => ({ name: p.name, policy: p.document })),
              serviceControlPolicies: [],
              resourceControlPolicies: [],
              request: {
                principal: ROLE,
                action,
                resource: { resource, accountId: ACCOUNT },
                contextVariables: { 'aws:PrincipalArn': ROLE, 'aws:PrincipalAccount': ACCOUNT },
              },
            },
            {},
          );
          if (theirs.resultType !== 'single') throw new Error(`iam-simulate: ${JSON.stringify(theirs)}`);
          const expected = {
            Allowed: 'allowed',
            ExplicitlyDenied: 'explicit-deny',
            ImplicitlyDenied: 'implicit-deny',
          }[theirs.overallResult as string];
          const got = ours.allowed ? 'allowed' : ours.reason;
          compared++;
          outcomes.set(got, (outcomes.get(got) ?? 0) + 1);
          expect({ statements, action, resource, decision: got }).toEqual({
            statements,
            action,
            resource,
            decision: expected,
          });
        },
      ),
      { numRuns: 1000 },
    );
    expect(compared).toBe(1000);
    // The generator must reach every outcome, or the comparison proves little.
    expect([...outcomes.keys()].sort()).toEqual(['allowed', 'explicit-deny', 'implicit-deny']);
  });

  test('the ARN builders name what iam-simulate recognises as kafka resources', async () => {
    for (const [action, resource] of [
      ['kafka-cluster:Connect', CLUSTER.arn],
      ['kafka-cluster:ReadData', TOPIC],
      ['kafka-cluster:AlterGroup', GROUP],
      ['kafka-cluster:AlterTransactionalId', transactionalIdArn(CLUSTER, 'tx-1')],
    ]) {
      const result = await runSimulation(
        {
          identityPolicies: policy({ Effect: 'Allow', Action: action, Resource: resource }).map((p) => ({
            name: p.name,
            policy: p.document,
          })),
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          request: {
            principal: ROLE,
            action,
            resource: { resource, accountId: ACCOUNT },
            contextVariables: {},
          },
        },
        {},
      );
      expect(result.resultType).toBe('single');
    }
  });
});
