import { Duration, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { MskServerlessCluster } from '../../../lib/kafka/msk-serverless-cluster';
import { ISOLATED_SUBNETS, bareStack, inlineFunction, isolatedVpc, statementsAllowing } from './bare-stack';

function serverlessCluster(stack: Stack, clusterName = 'kw-test'): MskServerlessCluster {
  return new MskServerlessCluster(stack, 'Cluster', {
    clusterName,
    vpc: isolatedVpc(stack),
    vpcSubnets: ISOLATED_SUBNETS,
  });
}

/** A topic or group ARN as the grants build it: cluster name, then the uuid cut out of the cluster ARN. */
const dataArnOf = (type: 'topic' | 'group', name: string) =>
  new RegExp(`:${type}/kw-test/".*"Fn::Select":\\[2,.*"/${name.replace('.', '\\.')}"`);

const consumer = { topic: 'orders', consumerGroupId: 'kw-test-enrich', batchSize: 100 };

describe('MskServerlessCluster', () => {
  test('GIVEN a VPC WHEN an MSK Serverless cluster is added THEN it authenticates with IAM, in the given subnets, behind its own security group', () => {
    const stack = bareStack();
    const cluster = serverlessCluster(stack);
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::MSK::ServerlessCluster', 1);
    template.hasResourceProperties('AWS::MSK::ServerlessCluster', {
      ClusterName: 'kw-test',
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
      VpcConfigs: [
        {
          SubnetIds: [{ Ref: Match.stringLikeRegexp('^VpcprivateSubnet1') }, Match.anyValue()],
          SecurityGroups: [stack.resolve(cluster.clusterSecurityGroup.securityGroupId)],
        },
      ],
    });
    template.resourceCountIs('AWS::MSK::Cluster', 0);
    expect(cluster.kind).toBe('serverless');
  });

  test('GIVEN the cluster THEN clients reach the brokers on the IAM port only, and the mappings from inside the cluster group', () => {
    const stack = bareStack();
    const cluster = serverlessCluster(stack);
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 9098,
      ToPort: 9098,
      GroupId: stack.resolve(cluster.clusterSecurityGroup.securityGroupId),
      SourceSecurityGroupId: stack.resolve(cluster.clientSecurityGroup.securityGroupId),
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 0,
      ToPort: 65535,
      GroupId: stack.resolve(cluster.clusterSecurityGroup.securityGroupId),
      SourceSecurityGroupId: stack.resolve(cluster.clusterSecurityGroup.securityGroupId),
    });
  });

  test('GIVEN the cluster THEN functions connect with IAM to its ARN, and topics need the custom resource', () => {
    const stack = bareStack();
    const cluster = serverlessCluster(stack);
    const [logicalId] = Object.keys(Template.fromStack(stack).findResources('AWS::MSK::ServerlessCluster'));

    expect(stack.resolve(cluster.clientEnvironment)).toEqual({
      KAFKA_CLUSTER_ARN: { 'Fn::GetAtt': [logicalId, 'Arn'] },
      KAFKA_AUTH: 'iam',
    });
    expect(cluster.supportsTopicResource).toBe(false);
  });

  test('GIVEN a role WHEN it is granted produce THEN the grant holds connect on the cluster and write on the topics only', () => {
    const stack = bareStack();
    const cluster = serverlessCluster(stack);
    const fn = inlineFunction(stack, 'Producer');

    const grant = cluster.grantProduce(fn, 'orders', 'orders.dlq');

    expect(grant.success).toBe(true);
    expect(grant.principalStatements.map((s) => s.actions)).toEqual([
      [
        'kafka-cluster:Connect',
        'kafka:GetBootstrapBrokers',
        'kafka:DescribeCluster',
        'kafka:DescribeClusterV2',
      ],
      ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
    ]);
    const template = Template.fromStack(stack);
    const [connect] = statementsAllowing(template, 'kafka-cluster:Connect');
    expect(connect.Resource).toEqual(stack.resolve(cluster.clusterArn));
    const [write] = statementsAllowing(template, 'kafka-cluster:WriteData');
    const resources = (write.Resource as unknown[]).map((r) => JSON.stringify(r));
    expect(resources).toEqual([
      expect.stringMatching(dataArnOf('topic', 'orders')),
      expect.stringMatching(dataArnOf('topic', 'orders.dlq')),
    ]);
  });

  test('GIVEN a role WHEN it is granted consume THEN it may read the topic as its group and nothing more', () => {
    const stack = bareStack();
    const cluster = serverlessCluster(stack);
    const fn = inlineFunction(stack, 'Consumer');

    const grant = cluster.grantConsume(fn, 'orders', 'kw-test-enrich');

    expect(grant.success).toBe(true);
    const template = Template.fromStack(stack);
    expect(JSON.stringify(statementsAllowing(template, 'kafka-cluster:ReadData')[0].Resource)).toMatch(
      dataArnOf('topic', 'orders'),
    );
    const [group] = statementsAllowing(template, 'kafka-cluster:AlterGroup');
    expect([group.Action].flat().sort()).toEqual(['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup']);
    expect(JSON.stringify(group.Resource)).toMatch(dataArnOf('group', 'kw-test-enrich'));
    expect(statementsAllowing(template, 'kafka-cluster:WriteData')).toEqual([]);
  });

  test('GIVEN a role WHEN it is granted topic admin THEN it may create, alter and delete the named topics', () => {
    const stack = bareStack();
    const cluster = serverlessCluster(stack);
    const fn = inlineFunction(stack, 'Admin');

    const grant = cluster.grantTopicAdmin(fn, 'orders');

    expect(grant.success).toBe(true);
    const [admin] = statementsAllowing(Template.fromStack(stack), 'kafka-cluster:CreateTopic');
    expect(admin.Action).toEqual(
      expect.arrayContaining(['kafka-cluster:AlterTopic', 'kafka-cluster:DeleteTopic']),
    );
    expect(JSON.stringify(admin.Resource)).toMatch(dataArnOf('topic', 'orders'));
  });

  describe('addConsumer', () => {
    function consume(options: Partial<Parameters<MskServerlessCluster['addConsumer']>[1]> = {}) {
      const stack = bareStack();
      const cluster = serverlessCluster(stack);
      const fn: lambda.IFunction = inlineFunction(stack, 'Consumer');
      cluster.addConsumer(fn, { ...consumer, maxBatchingWindow: Duration.seconds(2), ...options });
      return { stack, cluster, template: Template.fromStack(stack) };
    }
    const provisioned = {
      retryAttempts: 3,
      bisectBatchOnError: true,
      maxRecordAgeSeconds: -1,
      minimumPollers: 1,
      maximumPollers: 4,
    };

    test('GIVEN a function WHEN it is added as a consumer THEN an on-demand mapping reads the topic from the start as its group, with its consume grant', () => {
      const { stack, cluster, template } = consume();
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: stack.resolve(cluster.clusterArn),
        Topics: ['orders'],
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'kw-test-enrich' },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 2,
        ProvisionedPollerConfig: Match.absent(),
        DestinationConfig: Match.absent(),
        MaximumRetryAttempts: Match.absent(),
      });
      expect(statementsAllowing(template, 'kafka-cluster:ReadData')).toHaveLength(1);
      expect(statementsAllowing(template, 'kafka-cluster:WriteData')).toEqual([]);
    });

    test('GIVEN provisioned pollers and an on-failure topic WHEN a consumer is added THEN failed records go there after the retries, and the function may write it', () => {
      const { template } = consume({ provisioned: { ...provisioned, onFailureTopic: 'orders.dlq' } });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 4 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumRetryAttempts: 3,
        BisectBatchOnFunctionError: true,
        MaximumRecordAgeInSeconds: Match.absent(),
        DestinationConfig: { OnFailure: { Destination: 'kafka://orders.dlq' } },
      });
      const [write] = statementsAllowing(template, 'kafka-cluster:WriteData');
      expect(JSON.stringify(write.Resource)).toMatch(dataArnOf('topic', 'orders.dlq'));
    });

    test('GIVEN provisioned pollers with a record age limit WHEN a consumer is added THEN older records go to the on-failure topic', () => {
      const { template } = consume({
        provisioned: { ...provisioned, maxRecordAgeSeconds: 3600, onFailureTopic: 'orders.dlq' },
      });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { MaximumRecordAgeInSeconds: 3600 });
    });

    test('GIVEN provisioned pollers without an on-failure topic WHEN a consumer is added THEN the batch is retried until it succeeds, never skipped', () => {
      const { template } = consume({ provisioned });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 4 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumRetryAttempts: -1,
        BisectBatchOnFunctionError: Match.absent(),
        DestinationConfig: Match.absent(),
      });
      expect(statementsAllowing(template, 'kafka-cluster:WriteData')).toEqual([]);
    });
  });

  test.each(['1kw', 'kw_test', '', 'k'.repeat(65)])(
    'GIVEN the cluster name "%s" THEN the cluster is refused with the name in the message',
    (clusterName) => {
      expect(() => serverlessCluster(bareStack(), clusterName)).toThrow(
        new RegExp(`^invalid clusterName "${clusterName}": use 1-64 letters, digits and -`),
      );
    },
  );
});
