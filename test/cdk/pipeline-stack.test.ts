import { Match, type Template } from 'aws-cdk-lib/assertions';
import { VPC_NETWORKING_ACTIONS } from '../../lib/pipeline/pipeline-function';
import { synthWorkshop } from '../support/workshop-app';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** Every statement of every policy attached to the role of the function with this description. */
function statementsOf(template: Template, descriptionPrefix: string): Statement[] {
  const fns = template.findResources('AWS::Lambda::Function', {
    Properties: { Description: Match.stringLikeRegexp(`^${descriptionPrefix}`) },
  });
  const [fn] = Object.values(fns);
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const text = (value: unknown) => JSON.stringify(value);

describe('pipeline stack', () => {
  describe('on MSK Serverless with on-demand mappings (default)', () => {
    const workshop = synthWorkshop();
    const template = workshop.template(workshop.stacks.pipeline);

    test('three functions plus topic-admin, on Node.js 24 and ARM64, in the VPC', () => {
      template.resourceCountIs('AWS::Lambda::Function', 4);
      template.allResourcesProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        VpcConfig: { SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
        Environment: {
          Variables: Match.objectLike({ KAFKA_AUTH: 'iam', KAFKA_CLUSTER_ARN: Match.anyValue() }),
        },
      });
    });

    test('the ingest Function URL requires SigV4 (AWS_IAM)', () => {
      template.resourceCountIs('AWS::Lambda::Url', 1);
      template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
      template.hasOutput('IngestUrl', {});
    });

    test('mappings read from the start of the topic with explicit consumer groups, batch size and window', () => {
      for (const [topic, group] of [
        ['orders', 'kw-dev-enrich'],
        ['orders.enriched', 'kw-dev-ledger'],
      ]) {
        template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
          Topics: [topic],
          StartingPosition: 'TRIM_HORIZON',
          AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: group },
          BatchSize: 100,
          MaximumBatchingWindowInSeconds: 1,
        });
      }
    });

    test('on-demand mappings have no poller, retry or destination settings; consumers dead-letter poison themselves', () => {
      const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
      expect(mappings).toHaveLength(2);
      for (const m of mappings) {
        for (const key of [
          'ProvisionedPollerConfig',
          'MaximumRetryAttempts',
          'BisectBatchOnFunctionError',
          'DestinationConfig',
          'FunctionResponseTypes',
        ]) {
          expect(m.Properties[key]).toBeUndefined();
        }
      }
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('^Adds totals'),
        Environment: {
          Variables: Match.objectLike({ POISON_POLICY: 'dead-letter', ENRICHED_TOPIC: 'orders.enriched' }),
        },
      });
    });

    test('batch size and window come from the configuration', () => {
      const tuned = synthWorkshop({ batchSize: '250', batchWindowSeconds: '10' });
      tuned.template(tuned.stacks.pipeline).allResourcesProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: 250,
        MaximumBatchingWindowInSeconds: 10,
      });
    });

    test('topics are custom resources backed by topic-admin (MSK Serverless has no AWS::MSK::Topic), stating the replication factor 3 and min.insync.replicas 2 the service sets', () => {
      template.resourceCountIs('AWS::MSK::Topic', 0);
      template.resourceCountIs('Custom::KafkaTopic', 3);
      for (const [name, partitions] of [
        ['orders', 3],
        ['orders.enriched', 3],
        ['orders.dlq', 1],
      ] as const) {
        template.hasResourceProperties('Custom::KafkaTopic', {
          TopicName: name,
          Partitions: partitions,
          ReplicationFactor: 3,
          Configs: { 'min.insync.replicas': '2', 'retention.ms': Match.anyValue() },
          ReplicationSetByService: true,
        });
      }
    });

    test('mappings are created after their topics exist', () => {
      const topicIds = Object.keys(template.findResources('Custom::KafkaTopic'));
      for (const mapping of Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))) {
        expect(mapping.DependsOn).toEqual(expect.arrayContaining(topicIds));
      }
    });

    test('ingest may only write to orders: statements name the cluster and the topic ARN, no wildcard', () => {
      const statements = statementsOf(template, 'Validates HTTP orders');
      const kafka = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('kafka')));
      expect(kafka.flatMap(actionsOf).sort()).toEqual(
        [
          'kafka-cluster:Connect',
          'kafka-cluster:DescribeTopic',
          'kafka-cluster:WriteData',
          'kafka:DescribeCluster',
          'kafka:DescribeClusterV2',
          'kafka:GetBootstrapBrokers',
        ].sort(),
      );
      const write = kafka.find((s) => actionsOf(s).includes('kafka-cluster:WriteData'))!;
      expect(text(write.Resource)).toMatch(/:topic\/kw-dev\/.*\/orders"/);
      expect(text(write.Resource)).not.toMatch(/orders\.enriched|orders\.dlq/);
    });

    test('no statement of any role names "*" except the VPC network-interface actions, and no managed policy', () => {
      const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
        (p) => p.Properties.PolicyDocument.Statement as Statement[],
      );
      const wildcard = statements.filter((s) => [s.Resource].flat().includes('*'));
      expect(wildcard.length).toBeGreaterThan(0);
      for (const s of wildcard) expect(actionsOf(s).sort()).toEqual([...VPC_NETWORKING_ACTIONS].sort());
      for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      }
    });

    test('every function in the VPC may manage its network interfaces (Lambda needs them to attach)', () => {
      for (const description of [
        'Validates HTTP orders',
        'Adds totals',
        'Records enriched orders',
        'Creates, grows and deletes',
      ]) {
        const eni = statementsOf(template, description).find((s) =>
          actionsOf(s).includes('ec2:CreateNetworkInterface'),
        );
        expect(eni).toBeDefined();
      }
    });

    test('enrich reads orders as its group and writes orders.enriched and orders.dlq, nothing else', () => {
      const statements = statementsOf(template, 'Adds totals');
      const read = statements.find((s) => actionsOf(s).includes('kafka-cluster:ReadData'))!;
      expect(text(read.Resource)).toMatch(/:topic\/kw-dev\/.*\/orders"/);
      const group = statements.find((s) => actionsOf(s).includes('kafka-cluster:AlterGroup'))!;
      expect(actionsOf(group).sort()).toEqual(['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup']);
      expect(text(group.Resource)).toMatch(/:group\/kw-dev\/.*\/kw-dev-enrich"/);
      const write = statements.find((s) => actionsOf(s).includes('kafka-cluster:WriteData'))!;
      expect(text(write.Resource)).toMatch(/orders\.enriched/);
      expect(text(write.Resource)).toMatch(/orders\.dlq/);
      expect(statements.some((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')))).toBe(false);
    });

    test('ledger may get, put and update items of its own table only', () => {
      const statements = statementsOf(template, 'Records enriched orders');
      const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      expect(dynamo).toHaveLength(1);
      expect(actionsOf(dynamo[0]).sort()).toEqual([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ]);
      expect(dynamo[0].Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^LedgerTable/), 'Arn'] });
    });

    test('topic-admin manages exactly the three pipeline topics', () => {
      const statements = statementsOf(template, 'Creates, grows and deletes');
      const admin = statements.find((s) => actionsOf(s).includes('kafka-cluster:CreateTopic'))!;
      expect(actionsOf(admin)).toEqual(
        expect.arrayContaining(['kafka-cluster:AlterTopic', 'kafka-cluster:DeleteTopic']),
      );
      expect((admin.Resource as unknown[]).length).toBe(3);
    });

    test('the ledger table: on-demand billing, point-in-time recovery, keys pk/sk', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      });
    });

    test('an OffsetLag alarm and an error alarm per consumer, and a dashboard', () => {
      for (const fnPrefix of ['Enrich', 'Ledger']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: 'OffsetLag',
          Statistic: 'Maximum',
          Threshold: 1000,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp(`^${fnPrefix}`) } }],
        });
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: 'Errors',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp(`^${fnPrefix}`) } }],
        });
      }
      template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
      template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'kw-dev-pipeline' });
    });

    test('dashboard graphs query the business metrics with the service dimension Powertools adds', () => {
      const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
      const body = JSON.stringify(dashboard.Properties.DashboardBody);
      for (const [metric, service] of [
        ['OrdersIngested', 'ingest'],
        ['OrdersEnriched', 'enrich'],
        ['LedgerApplied', 'ledger'],
      ]) {
        expect(body).toContain(
          `\\"ServerlessKafkaWorkshop\\",\\"${metric}\\",\\"service\\",\\"${service}\\"`,
        );
      }
    });
  });

  describe('with provisioned mappings', () => {
    const workshop = synthWorkshop({ esmMode: 'provisioned', retryAttempts: '3' });
    const template = workshop.template(workshop.stacks.pipeline);

    test('enrich: pollers, retries, bisection, partial batch responses and the orders.dlq on-failure topic', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        Topics: ['orders'],
        ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 2 },
        MaximumRetryAttempts: 3,
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: 'kafka://orders.dlq' } },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('^Adds totals'),
        Environment: { Variables: Match.objectLike({ POISON_POLICY: 'report' }) },
      });
    });

    test('ledger: pollers and partial batch responses, but it never skips a batch (its totals need order)', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        Topics: ['orders.enriched'],
        ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 2 },
        MaximumRetryAttempts: -1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: Match.absent(),
        BisectBatchOnFunctionError: Match.absent(),
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('^Records enriched orders'),
        Environment: { Variables: Match.objectLike({ POISON_POLICY: 'dead-letter' }) },
      });
    });

    test('the ledger may write orders.dlq, where its mapping sends failed records', () => {
      const write = statementsOf(template, 'Records enriched orders').find((s) =>
        actionsOf(s).includes('kafka-cluster:WriteData'),
      )!;
      expect(text(write.Resource)).toMatch(/orders\.dlq/);
    });
  });

  describe('on provisioned MSK', () => {
    const workshop = synthWorkshop({ cluster: 'provisioned' });
    const template = workshop.template(workshop.stacks.pipeline);

    test('topics are AWS::MSK::Topic resources with one replica per broker of the two-AZ cluster and min.insync.replicas 1, and no topic-admin function', () => {
      template.resourceCountIs('AWS::MSK::Topic', 3);
      template.resourceCountIs('Custom::KafkaTopic', 0);
      template.resourceCountIs('AWS::Lambda::Function', 3);
      workshop
        .template(workshop.stacks.kafka!)
        .hasResourceProperties('AWS::MSK::Cluster', { NumberOfBrokerNodes: 2 });
      for (const [name, retentionMs] of [
        ['orders', 604800000],
        ['orders.enriched', 604800000],
        ['orders.dlq', 1209600000],
      ] as const) {
        template.hasResourceProperties('AWS::MSK::Topic', {
          TopicName: name,
          ReplicationFactor: 2,
          Configs: Buffer.from(`min.insync.replicas=1\nretention.ms=${retentionMs}`).toString('base64'),
        });
      }
    });
  });

  describe('on self-managed Kafka', () => {
    const workshop = synthWorkshop({ cluster: 'self-managed', bootstrapServers: 'kafka:9092' });
    const template = workshop.template(workshop.stacks.pipeline);

    test('mappings name the bootstrap servers and need no MSK permissions', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        SelfManagedEventSource: { Endpoints: { KafkaBootstrapServers: ['kafka:9092'] } },
        SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: 'kw-dev-enrich' },
        Topics: ['orders'],
        StartingPosition: 'TRIM_HORIZON',
      });
      expect(text(template.findResources('AWS::IAM::Policy'))).not.toMatch(/kafka/);
    });

    test('functions run outside any VPC and connect with plain Kafka', () => {
      template.allResourcesProperties('AWS::Lambda::Function', {
        VpcConfig: Match.absent(),
        Environment: {
          Variables: Match.objectLike({ KAFKA_BOOTSTRAP_SERVERS: 'kafka:9092', KAFKA_AUTH: 'none' }),
        },
      });
      template.resourceCountIs('Custom::KafkaTopic', 3);
    });

    test('topics get the one replica and min.insync.replicas 1 a single broker holds, sent by topic-admin', () => {
      for (const name of ['orders', 'orders.enriched', 'orders.dlq']) {
        template.hasResourceProperties('Custom::KafkaTopic', {
          TopicName: name,
          ReplicationFactor: 1,
          Configs: { 'min.insync.replicas': '1', 'retention.ms': Match.anyValue() },
          ReplicationSetByService: Match.absent(),
        });
      }
    });
  });
});
