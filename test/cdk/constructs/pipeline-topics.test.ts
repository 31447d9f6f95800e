import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKafkaCluster } from '../../../lib/kafka/kafka-cluster';
import { MskProvisionedCluster } from '../../../lib/kafka/msk-provisioned-cluster';
import { MskServerlessCluster } from '../../../lib/kafka/msk-serverless-cluster';
import { SelfManagedKafkaCluster } from '../../../lib/kafka/self-managed-kafka-cluster';
import { PipelineTopics, type TopicSpec } from '../../../lib/pipeline/pipeline-topics';
import { ISOLATED_SUBNETS, bareStack, isolatedVpc, statementsAllowing } from './bare-stack';

const TOPICS: TopicSpec[] = [
  { name: 'orders', partitions: 3, configs: { 'retention.ms': '604800000' } },
  { name: 'orders.dlq', partitions: 1 },
];

const base64 = (text: string) => Buffer.from(text).toString('base64');

const mskProps = (stack: Stack) => ({
  clusterName: 'kw-test',
  vpc: isolatedVpc(stack),
  vpcSubnets: ISOLATED_SUBNETS,
});

describe('PipelineTopics', () => {
  test('GIVEN provisioned MSK on two brokers WHEN topics are added THEN each is an AWS::MSK::Topic with two replicas, min.insync.replicas 1 and its configs as base64 properties, and no admin function', () => {
    const stack = bareStack();
    const cluster = new MskProvisionedCluster(stack, 'Cluster', mskProps(stack));
    const topics = new PipelineTopics(stack, 'Topics', { cluster, topics: TOPICS });
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::MSK::Topic', 2);
    template.hasResourceProperties('AWS::MSK::Topic', {
      ClusterArn: stack.resolve(cluster.clusterArn),
      TopicName: 'orders',
      PartitionCount: 3,
      ReplicationFactor: 2,
      Configs: base64('min.insync.replicas=1\nretention.ms=604800000'),
    });
    template.hasResourceProperties('AWS::MSK::Topic', {
      TopicName: 'orders.dlq',
      ReplicationFactor: 2,
      Configs: base64('min.insync.replicas=1'),
    });
    expect(Object.keys(template.findResources('AWS::MSK::Topic'))).toEqual([
      expect.stringMatching(/^TopicsOrders[0-9A-F]{8}$/),
      expect.stringMatching(/^TopicsOrdersDlq[0-9A-F]{8}$/),
    ]);
    template.resourceCountIs('AWS::Lambda::Function', 0);
    expect(topics.adminFunction).toBeUndefined();
  });

  test('GIVEN provisioned MSK on three brokers THEN the topics get three replicas and min.insync.replicas 2', () => {
    const stack = bareStack();
    const vpc = isolatedVpc(stack);
    const subnets = ['a', 'b', 'c'].map((az, i) =>
      ec2.Subnet.fromSubnetAttributes(stack, `Subnet${i}`, {
        subnetId: `subnet-${az}`,
        availabilityZone: `us-east-1${az}`,
      }),
    );
    const cluster = new MskProvisionedCluster(stack, 'Cluster', {
      clusterName: 'kw-test',
      vpc,
      vpcSubnets: { subnets },
    });
    new PipelineTopics(stack, 'Topics', { cluster, topics: TOPICS });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::MSK::Cluster', { NumberOfBrokerNodes: 3 });
    template.allResourcesProperties('AWS::MSK::Topic', { ReplicationFactor: 3 });
    template.hasResourceProperties('AWS::MSK::Topic', {
      TopicName: 'orders',
      Configs: base64('min.insync.replicas=2\nretention.ms=604800000'),
    });
  });

  test("GIVEN a topic with its own min.insync.replicas THEN it overrides the cluster's", () => {
    const stack = bareStack();
    const cluster = new MskProvisionedCluster(stack, 'Cluster', mskProps(stack));
    new PipelineTopics(stack, 'Topics', {
      cluster,
      topics: [{ name: 'orders', partitions: 3, configs: { 'min.insync.replicas': '2' } }],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::MSK::Topic', {
      Configs: base64('min.insync.replicas=2'),
    });
  });

  test('GIVEN MSK Serverless WHEN topics are added THEN each is a custom resource of the topic-admin function, which may manage those topics only', () => {
    const stack = bareStack();
    const cluster = new MskServerlessCluster(stack, 'Cluster', mskProps(stack));
    const topics = new PipelineTopics(stack, 'Topics', { cluster, topics: TOPICS });
    const template = Template.fromStack(stack);

    expect(topics.adminFunction).toBeDefined();
    const serviceToken = stack.resolve(topics.adminFunction!.functionArn);
    template.resourceCountIs('Custom::KafkaTopic', 2);
    // The replication MSK Serverless gives every topic, stated for readers and the local runtime.
    template.hasResourceProperties('Custom::KafkaTopic', {
      ServiceToken: serviceToken,
      TopicName: 'orders',
      Partitions: 3,
      ReplicationFactor: 3,
      Configs: { 'min.insync.replicas': '2', 'retention.ms': '604800000' },
      ReplicationSetByService: true,
    });
    template.hasResourceProperties('Custom::KafkaTopic', {
      ServiceToken: serviceToken,
      TopicName: 'orders.dlq',
      Partitions: 1,
      ReplicationFactor: 3,
      Configs: { 'min.insync.replicas': '2' },
      ReplicationSetByService: true,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'topic-admin', KAFKA_AUTH: 'iam' }),
      },
      VpcConfig: Match.objectLike({
        SecurityGroupIds: [stack.resolve(cluster.clientSecurityGroup.securityGroupId)],
      }),
    });
    const [admin] = statementsAllowing(template, 'kafka-cluster:CreateTopic');
    const resources = JSON.stringify(admin.Resource);
    expect(resources).toMatch(/\/orders"/);
    expect(resources).toMatch(/\/orders\.dlq"/);
    template.resourceCountIs('AWS::MSK::Topic', 0);
  });

  test('GIVEN self-managed Kafka WHEN topics are added THEN the topic-admin function manages them from outside any VPC, one replica each', () => {
    const stack = bareStack();
    const cluster = new SelfManagedKafkaCluster(stack, 'Kafka', { bootstrapServers: ['kafka:9092'] });
    new PipelineTopics(stack, 'Topics', { cluster, topics: TOPICS });
    const template = Template.fromStack(stack);

    template.resourceCountIs('Custom::KafkaTopic', 2);
    template.hasResourceProperties('Custom::KafkaTopic', {
      TopicName: 'orders',
      ReplicationFactor: 1,
      Configs: { 'min.insync.replicas': '1', 'retention.ms': '604800000' },
      ReplicationSetByService: Match.absent(),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: Match.absent(),
      Environment: { Variables: Match.objectLike({ KAFKA_BOOTSTRAP_SERVERS: 'kafka:9092' }) },
    });
  });

  test('GIVEN the same topic twice THEN the topics are refused, naming them', () => {
    const stack = bareStack();
    const cluster = new SelfManagedKafkaCluster(stack, 'Kafka', { bootstrapServers: ['kafka:9092'] });
    expect(
      () =>
        new PipelineTopics(stack, 'Topics', {
          cluster,
          topics: [...TOPICS, { name: 'orders', partitions: 6 }],
        }),
    ).toThrow(/^duplicate topic names in \[orders, orders\.dlq, orders\]$/);
  });

  test('GIVEN a cluster that claims topic resources but has no ARN THEN the topics are refused', () => {
    const stack = bareStack();
    const drop = (grantee: iam.IGrantable) => iam.Grant.drop(grantee, 'test double');
    const cluster: IKafkaCluster = {
      kind: 'provisioned',
      supportsTopicResource: true,
      topicReplication: { replicationFactor: 3, minInsyncReplicas: 2, setByService: false },
      clientEnvironment: {},
      grantProduce: drop,
      grantConsume: drop,
      grantTopicAdmin: drop,
      addConsumer: () => undefined,
    };
    expect(() => new PipelineTopics(stack, 'Topics', { cluster, topics: TOPICS })).toThrow(
      /^a cluster with topic resources must have a clusterArn$/,
    );
  });
});
