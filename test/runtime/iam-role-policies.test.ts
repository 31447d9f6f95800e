/**
 * The roles' identity policies as the local runtime reads them from a synthesized app: first the
 * workshop app itself (built in process as `cdk synth` builds it), checked against what MSK needs
 * for producing and for a Lambda mapping (shared/msk-iam.md §1, §5); then hand-written templates for
 * each way a policy reaches a role, each intrinsic, and what cannot be resolved.
 */
import { Stack } from 'aws-cdk-lib';
import type { PolicyStatement } from '../../local/broker/auth/iam/types';
import { localCluster } from '../../local/runtime/template/local-cluster';
import {
  AWS_MANAGED_POLICY_NOTE,
  rolePolicies,
  type AppRolePolicies,
  type RolePolicySet,
} from '../../local/runtime/iam/role-policies';
import type { CfnTemplate, StackTemplate } from '../../local/runtime/template/manifest';
import { loadAssembly } from '../../local/runtime/assembly';
import { writeAssembly } from '../support/cloud-assembly';
import { synthWorkshop } from '../support/workshop-app';

/** The app's stacks as the assembly holds them. */
function workshopStacks(context: Record<string, string> = {}): StackTemplate[] {
  const { stacks, template } = synthWorkshop(context);
  return stacks.all.map((s: Stack) => ({ name: s.stackName, template: template(s).toJSON() as CfnTemplate }));
}

const list = (v: string | readonly string[] | undefined): readonly string[] =>
  v === undefined ? [] : typeof v === 'string' ? [v] : v;

/** IAM's wildcard match (`*` any run, `?` one character), case-sensitive as for ARNs. */
function matches(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(value);
}

function statements(set: RolePolicySet): PolicyStatement[] {
  return set.policies.flatMap((p) => {
    const s = p.document.Statement;
    return Array.isArray(s) ? (s as PolicyStatement[]) : [s as PolicyStatement];
  });
}

/** Whether an Allow statement (no Deny applies in these templates) grants `action` on `resource`. */
function allows(set: RolePolicySet, action: string, resource: string): boolean {
  return statements(set).some(
    (s) =>
      s.Effect === 'Allow' &&
      s.Condition === undefined &&
      list(s.Action).some((a) => matches(a.toLowerCase(), action.toLowerCase())) &&
      list(s.Resource).some((r) => matches(r, resource)),
  );
}

function roleOf(app: AppRolePolicies, profile: string): RolePolicySet {
  const set = [...app.roles.values()].find((r) => r.profile === profile);
  if (!set)
    throw new Error(
      `no role with profile ${profile}: ${[...app.roles.values()].map((r) => r.profile).join(', ')}`,
    );
  return set;
}

/** What an event source mapping needs on MSK with IAM (msk-iam.md §5), as action → ARN. */
function mappingNeeds(cluster: string, topic: string, group: string): [string, string][] {
  const [prefix, rest] = cluster.split(':cluster/');
  const data = (type: string, name: string) => `${prefix}:${type}/${rest}/${name}`;
  return [
    ['kafka-cluster:Connect', cluster],
    ['kafka-cluster:DescribeClusterDynamicConfiguration', cluster],
    ['kafka-cluster:DescribeTopic', data('topic', topic)],
    ['kafka-cluster:ReadData', data('topic', topic)],
    ['kafka-cluster:DescribeGroup', data('group', group)],
    ['kafka-cluster:AlterGroup', data('group', group)],
    ['kafka:GetBootstrapBrokers', cluster],
    ['kafka:DescribeClusterV2', cluster],
  ];
}

describe('role policies of the workshop app (MSK Serverless, as kw up synthesizes it)', () => {
  const stacks = workshopStacks();
  const app = rolePolicies(stacks);
  const [cluster] = app.clusters;
  const topicArn = (name: string) => cluster.arn.replace(':cluster/', ':topic/') + `/${name}`;

  it('GIVEN the kafka stack THEN its cluster gets one local ARN that the pipeline stack imports', () => {
    expect(app.clusters).toHaveLength(1);
    expect(cluster.arn).toMatch(
      /^arn:aws:kafka:us-east-1:000000000000:cluster\/kw-dev\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-1$/,
    );
    expect(rolePolicies(workshopStacks()).clusters[0].arn).toBe(cluster.arn);
    expect(app.unresolved).toEqual([]);
  });

  it('GIVEN each function THEN it has its own role, named by the function for its profile', () => {
    const profiles = [...app.functionRoles.values()].map((arn) => app.roles.get(arn)?.profile);
    expect(profiles.sort()).toEqual(['enrich', 'ingest', 'ledger', 'topics-admin']);
    expect(roleOf(app, 'ingest').roleArn).toBe(
      'arn:aws:iam::000000000000:role/kw-dev-pipeline-IngestRoleAF8AE6D8',
    );
    expect(roleOf(app, 'ingest').policies.map((p) => p.name)).toEqual(['IngestRoleDefaultPolicy36CB560D']);
  });

  it("GIVEN ingest's role THEN it may connect, describe and write orders, and nothing else on Kafka", () => {
    const ingest = roleOf(app, 'ingest');
    expect(allows(ingest, 'kafka-cluster:Connect', cluster.arn)).toBe(true);
    expect(allows(ingest, 'kafka-cluster:WriteData', topicArn('orders'))).toBe(true);
    expect(allows(ingest, 'kafka-cluster:DescribeTopic', topicArn('orders'))).toBe(true);
    expect(allows(ingest, 'kafka-cluster:WriteData', topicArn('orders.enriched'))).toBe(false);
    expect(allows(ingest, 'kafka-cluster:ReadData', topicArn('orders'))).toBe(false);
    expect(allows(ingest, 'kafka-cluster:WriteDataIdempotently', cluster.arn)).toBe(false);
  });

  it("GIVEN each mapping THEN its function's role has every action AWS's mapping needs", () => {
    const mappings = stacks.flatMap(({ template }) =>
      Object.values(template.Resources ?? {})
        .filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping')
        .map(
          (r) =>
            r.Properties as {
              Topics: string[];
              FunctionName: { Ref: string };
              AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: string };
            },
        ),
    );
    expect(mappings).toHaveLength(2);
    const missing: string[] = [];
    const granted: Record<string, string[]> = {};
    for (const m of mappings) {
      const roleArn = [...app.functionRoles].find(([id]) => id.endsWith(`/${m.FunctionName.Ref}`))![1];
      const role = app.roles.get(roleArn)!;
      granted[role.profile] = [];
      const group = m.AmazonManagedKafkaEventSourceConfig.ConsumerGroupId;
      for (const [action, arn] of mappingNeeds(cluster.arn, m.Topics[0], group)) {
        if (allows(role, action, arn)) granted[role.profile].push(action);
        else missing.push(`${role.profile}: ${action} on ${arn}`);
      }
    }
    expect(missing).toEqual([]);
    expect(Object.keys(granted).sort()).toEqual(['enrich', 'ledger']);
    expect(granted.enrich).toHaveLength(8);
    expect(granted.ledger).toHaveLength(8);
  });

  it("GIVEN the topic-admin role THEN it may create, describe, alter and delete the app's three topics", () => {
    const admin = roleOf(app, 'topics-admin');
    for (const topic of ['orders', 'orders.enriched', 'orders.dlq']) {
      for (const action of [
        'CreateTopic',
        'DescribeTopic',
        'AlterTopic',
        'DeleteTopic',
        'DescribeTopicDynamicConfiguration',
      ]) {
        expect([topic, action, allows(admin, `kafka-cluster:${action}`, topicArn(topic))]).toEqual([
          topic,
          action,
          true,
        ]);
      }
    }
    expect(allows(admin, 'kafka-cluster:CreateTopic', topicArn('other'))).toBe(false);
  });

  it('GIVEN a self-managed cluster THEN there is no MSK cluster and no kafka-cluster grant', () => {
    const selfManaged = rolePolicies(
      workshopStacks({ cluster: 'self-managed', bootstrapServers: '127.0.0.1:9092' }),
    );
    expect(selfManaged.clusters).toEqual([]);
    for (const role of selfManaged.roles.values()) {
      expect(
        statements(role)
          .flatMap((s) => list(s.Action))
          .filter((a) => a.startsWith('kafka-cluster:')),
      ).toEqual([]);
    }
  });
});

/** A role, its function, and resources the policies point at, in one stack `app`. */
const base: CfnTemplate['Resources'] = {
  Cluster: { Type: 'AWS::MSK::ServerlessCluster', Properties: { ClusterName: 'demo' } },
  FnRole: {
    Type: 'AWS::IAM::Role',
    Metadata: { 'aws:cdk:path': 'app/Worker/ServiceRole/Resource' },
    Properties: {
      ManagedPolicyArns: [
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaMSKExecutionRole'],
          ],
        },
        { Ref: 'Shared' },
      ],
      Policies: [
        {
          PolicyName: 'inline',
          PolicyDocument: {
            Statement: {
              Effect: 'Allow',
              Action: 'kafka-cluster:Connect',
              Resource: { 'Fn::GetAtt': ['Cluster', 'Arn'] },
            },
          },
        },
      ],
    },
  },
  Fn: {
    Type: 'AWS::Lambda::Function',
    Metadata: { 'aws:cdk:path': 'app/Worker/Resource' },
    Properties: { Role: { 'Fn::GetAtt': ['FnRole', 'Arn'] } },
  },
  Shared: {
    Type: 'AWS::IAM::ManagedPolicy',
    Properties: {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['kafka-cluster:ReadData'],
            Resource: {
              'Fn::Sub': 'arn:${AWS::Partition}:kafka:${AWS::Region}:${AWS::AccountId}:topic/demo/*/${Topic}',
            },
          },
        ],
      },
    },
  },
  Logs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: 'worker-logs' } },
};

function app(resources: CfnTemplate['Resources'], other: CfnTemplate = {}): AppRolePolicies {
  return rolePolicies([
    {
      name: 'app',
      template: { Parameters: { Topic: { Default: 'orders' } }, Resources: { ...base, ...resources } },
    },
    { name: 'other', template: other },
  ]);
}

const roleArn = 'arn:aws:iam::000000000000:role/app-FnRole';

describe('role policies from hand-written templates', () => {
  it("GIVEN a mapping on an MSK cluster THEN the cluster ARN it reads is the one the roles' policies are read against", () => {
    const template: CfnTemplate = {
      Resources: {
        Cluster: { Type: 'AWS::MSK::ServerlessCluster', Properties: { ClusterName: 'test' } },
        Fn: {
          Type: 'AWS::Lambda::Function',
          Metadata: { 'aws:asset:path': 'asset.fn' },
          Properties: { Runtime: 'nodejs22.x', Handler: 'index.handler' },
        },
        Mapping: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: {
            EventSourceArn: { 'Fn::GetAtt': ['Cluster', 'Arn'] },
            FunctionName: { Ref: 'Fn' },
            Topics: ['orders'],
            StartingPosition: 'TRIM_HORIZON',
          },
        },
      },
    };
    const assembly = loadAssembly(
      writeAssembly(template, { 'asset.fn': 'exports.handler = async () => {};' }),
    );
    const [policiesCluster] = rolePolicies([{ name: 'app', template }]).clusters;
    expect(assembly.mappings[0].clusterArn).toBe(policiesCluster.arn);
    expect(policiesCluster.arn).toBe(localCluster('app', 'Cluster', 'test').arn);
  });

  it('GIVEN inline Policies, a ManagedPolicy by ARN and an AWS-managed policy THEN each is where it belongs', () => {
    const result = app({});
    const role = result.roles.get(roleArn)!;
    const cluster = localCluster('app', 'Cluster', 'demo');
    expect(result.clusters).toEqual([cluster]);
    expect(role.profile).toBe('worker');
    expect(role.functionIds).toEqual(['app/Fn']);
    expect(result.functionRoles.get('app/Fn')).toBe(roleArn);
    expect(role.awsManagedPolicies).toEqual(['service-role/AWSLambdaMSKExecutionRole']);
    expect(result.notes).toEqual([AWS_MANAGED_POLICY_NOTE]);
    expect(role.policies.map((p) => p.name)).toEqual(['inline', 'app-Shared']);
    expect(allows(role, 'kafka-cluster:Connect', cluster.arn)).toBe(true);
    expect(
      allows(
        role,
        'kafka-cluster:ReadData',
        `arn:aws:kafka:us-east-1:000000000000:topic/demo/${cluster.uuid}/orders`,
      ),
    ).toBe(true);
    expect(result.unresolved).toEqual([]);
  });

  it('GIVEN AWS::IAM::Policy and AWS::IAM::ManagedPolicy naming the role in Roles, and a RolePolicy THEN all attach', () => {
    const doc = (action: string, resource: unknown) => ({
      Statement: [{ Effect: 'Allow', Action: action, Resource: resource }],
    });
    const role = app({
      Policy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: 'by-ref',
          Roles: [{ Ref: 'FnRole' }],
          PolicyDocument: doc('logs:PutLogEvents', { 'Fn::GetAtt': ['Logs', 'Arn'] }),
        },
      },
      Managed: {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: {
          ManagedPolicyName: 'mp',
          Roles: [{ Ref: 'FnRole' }],
          PolicyDocument: doc('sqs:SendMessage', '*'),
        },
      },
      RolePolicy: {
        Type: 'AWS::IAM::RolePolicy',
        Properties: {
          PolicyName: 'rp',
          RoleName: { Ref: 'FnRole' },
          PolicyDocument: doc('s3:GetObject', '*'),
        },
      },
    }).roles.get(roleArn)!;
    expect(role.policies.map((p) => p.name).sort()).toEqual(['app-Shared', 'by-ref', 'inline', 'mp', 'rp']);
    expect(
      allows(role, 'logs:PutLogEvents', 'arn:aws:logs:us-east-1:000000000000:log-group:worker-logs:*'),
    ).toBe(true);
  });

  it('GIVEN Join, Select and Split of an imported cluster ARN THEN the topic ARN takes the local UUID', () => {
    const cluster = localCluster('other', 'Msk', 'shared');
    const topic = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':kafka:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':topic/shared/',
          { 'Fn::Select': [2, { 'Fn::Split': ['/', { 'Fn::ImportValue': 'other:ClusterArn' }] }] },
          '/payments',
        ],
      ],
    };
    const result = app(
      {
        Policy: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            PolicyName: 'p',
            Roles: [{ Ref: 'FnRole' }],
            PolicyDocument: {
              Statement: [{ Effect: 'Allow', Action: 'kafka-cluster:WriteData', Resource: topic }],
            },
          },
        },
      },
      {
        Resources: { Msk: { Type: 'AWS::MSK::Cluster', Properties: { ClusterName: 'shared' } } },
        Outputs: {
          Arn: { Value: { Ref: 'Msk' }, Export: { Name: { 'Fn::Sub': '${AWS::StackName}:ClusterArn' } } },
        },
      },
    );
    expect(result.unresolved).toEqual([]);
    expect(
      allows(
        result.roles.get(roleArn)!,
        'kafka-cluster:WriteData',
        `arn:aws:kafka:us-east-1:000000000000:topic/shared/${cluster.uuid}/payments`,
      ),
    ).toBe(true);
  });

  it('GIVEN values with no local value THEN each is reported where it is and its statement is kept, matching nothing', () => {
    const result = app({
      Policy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: 'odd',
          Roles: [{ Ref: 'FnRole' }, 'someone-else'],
          PolicyDocument: {
            Statement: [
              {
                Effect: 'Allow',
                Action: 'kafka-cluster:*',
                Resource: [
                  { 'Fn::GetAtt': ['Cluster', 'BootstrapBrokers'] },
                  'arn:aws:kafka:*:*:cluster/demo/*',
                ],
              },
              {
                Effect: 'Deny',
                Action: 'kafka-cluster:DeleteTopic',
                Resource: { 'Fn::If': ['Prod', '*', { Ref: 'AWS::NoValue' }] },
              },
              {
                Effect: 'Allow',
                Action: 'kafka-cluster:ReadData',
                Resource: { 'Fn::Select': [5, { 'Fn::Split': ['/', { 'Fn::ImportValue': 'nowhere' }] }] },
              },
              {
                Effect: 'Allow',
                Action: 'kafka-cluster:AlterGroup',
                Resource: '*',
                Condition: { StringEquals: { 'aws:ResourceTag/team': { Ref: 'Team' } } },
              },
            ],
          },
        },
      },
    });
    expect(result.unresolved.map(({ path, effect, detail }) => [path, effect, detail])).toEqual([
      [
        'Statement[0].Resource[0]',
        'Allow',
        "Fn::GetAtt Cluster.BootstrapBrokers: AWS::MSK::ServerlessCluster's BootstrapBrokers has no local value",
      ],
      ['Statement[1].Resource', 'Deny', 'Fn::If is not evaluated locally'],
      ['Statement[2].Resource', 'Allow', 'Fn::ImportValue nowhere: no stack of the assembly exports it'],
      [
        'Statement[3].Condition.StringEquals.aws:ResourceTag/team',
        'Allow',
        'Ref Team: no resource or parameter with a default in app',
      ],
      ['Roles[1]', undefined, 'role someone-else is not in the app'],
    ]);
    expect(result.unresolved.every((u) => u.resourceId === 'app/Policy' && u.policy === 'odd')).toBe(true);
    const odd = result.roles.get(roleArn)!.policies.find((p) => p.name === 'odd')!;
    const kept = odd.document.Statement as PolicyStatement[];
    expect(kept).toHaveLength(4);
    expect(kept[0].Resource).toEqual([
      "<unresolved: Fn::GetAtt Cluster.BootstrapBrokers: AWS::MSK::ServerlessCluster's BootstrapBrokers has no local value>",
      'arn:aws:kafka:*:*:cluster/demo/*',
    ]);
    expect(kept[1]).toEqual({
      Effect: 'Deny',
      Action: 'kafka-cluster:DeleteTopic',
      Resource: '<unresolved: Fn::If is not evaluated locally>',
    });
    // An unresolved value matches no ARN: the statement grants only what its resolved values name.
    const role = result.roles.get(roleArn)!;
    expect(allows(role, 'kafka-cluster:Connect', localCluster('app', 'Cluster', 'demo').arn)).toBe(true);
    expect(
      allows(role, 'kafka-cluster:DeleteTopic', 'arn:aws:kafka:us-east-1:000000000000:topic/demo/x/orders'),
    ).toBe(false);
  });

  it('GIVEN a function whose role is outside the app, and an unknown managed policy THEN both are reported', () => {
    const result = app({
      Ext: {
        Type: 'AWS::Lambda::Function',
        Properties: { Role: 'arn:aws:iam::123456789012:role/elsewhere' },
      },
      FnRole: {
        ...base!.FnRole,
        Properties: {
          ...base!.FnRole.Properties,
          ManagedPolicyArns: ['arn:aws:iam::000000000000:policy/not-here'],
        },
      },
    });
    expect(result.functionRoles.get('app/Ext')).toBe('arn:aws:iam::123456789012:role/elsewhere');
    expect(result.unresolved.map((u) => `${u.resourceId} ${u.path}: ${u.detail}`)).toEqual([
      'app/FnRole ManagedPolicyArns[0]: managed policy arn:aws:iam::000000000000:policy/not-here is not in the app',
      'app/Ext Role: role arn:aws:iam::123456789012:role/elsewhere is not in the app: the function has no known permissions',
    ]);
    expect(result.notes).toEqual([]);
  });

  it('GIVEN two functions with the same short name THEN their profiles stay apart', () => {
    const result = rolePolicies(
      ['a', 'b'].map((name) => ({
        name,
        template: {
          Resources: {
            R: {
              Type: 'AWS::IAM::Role',
              Properties: { RoleName: { 'Fn::Sub': '${AWS::StackName}-worker' }, Path: '/svc/' },
            },
            F: {
              Type: 'AWS::Lambda::Function',
              Metadata: { 'aws:cdk:path': `${name}/Worker/Resource` },
              Properties: { Role: { 'Fn::GetAtt': ['R', 'Arn'] } },
            },
          },
        },
      })),
    );
    expect([...result.roles.keys()]).toEqual([
      'arn:aws:iam::000000000000:role/svc/a-worker',
      'arn:aws:iam::000000000000:role/svc/b-worker',
    ]);
    expect([...result.roles.values()].map((r) => r.profile)).toEqual(['worker', 'worker-2']);
  });
});
