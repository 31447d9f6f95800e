import { CfnResource, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IKafkaCluster } from '../../../lib/kafka/kafka-cluster';
import { SelfManagedKafkaCluster } from '../../../lib/kafka/self-managed-kafka-cluster';
import { bareStack, inlineFunction, policyStatements } from './bare-stack';

describe('SelfManagedKafkaCluster', () => {
  test('GIVEN bootstrap servers WHEN the cluster is added THEN it deploys nothing and functions connect to those servers without auth', () => {
    const stack = bareStack();
    const cluster = new SelfManagedKafkaCluster(stack, 'Kafka', {
      bootstrapServers: ['kafka-1:9092', 'kafka-2:9092'],
    });

    expect(cluster.node.findAll().filter(CfnResource.isCfnResource)).toEqual([]);
    expect(cluster.clientEnvironment).toEqual({
      KAFKA_BOOTSTRAP_SERVERS: 'kafka-1:9092,kafka-2:9092',
      KAFKA_AUTH: 'none',
    });
    expect(cluster.kind).toBe('self-managed');
    const asShared: IKafkaCluster = cluster;
    expect(asShared.vpc).toBeUndefined();
    expect(asShared.clusterArn).toBeUndefined();
    expect(cluster.supportsTopicResource).toBe(false);
  });

  test('GIVEN a function WHEN it is granted access THEN the grants are dropped: no policy, since the brokers have no IAM', () => {
    const stack = bareStack();
    const cluster = new SelfManagedKafkaCluster(stack, 'Kafka', { bootstrapServers: ['kafka:9092'] });
    const fn = inlineFunction(stack, 'Fn');

    const grants = [
      cluster.grantProduce(fn, 'orders'),
      cluster.grantConsume(fn, 'orders', 'group'),
      cluster.grantTopicAdmin(fn, 'orders'),
    ];

    expect(grants.map((g) => g.success)).toEqual([false, false, false]);
    expect(policyStatements(Template.fromStack(stack))).toEqual([]);
  });

  test('GIVEN a function WHEN it is added as a consumer THEN its mapping names the bootstrap servers and the group, with no IAM', () => {
    const stack = bareStack();
    const cluster = new SelfManagedKafkaCluster(stack, 'Kafka', { bootstrapServers: ['kafka:9092'] });
    const fn = inlineFunction(stack, 'Fn');

    cluster.addConsumer(fn, {
      topic: 'orders.enriched',
      consumerGroupId: 'kw-test-ledger',
      batchSize: 10,
      maxBatchingWindow: Duration.seconds(0),
    });

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      SelfManagedEventSource: { Endpoints: { KafkaBootstrapServers: ['kafka:9092'] } },
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: 'kw-test-ledger' },
      Topics: ['orders.enriched'],
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 10,
      EventSourceArn: Match.absent(),
      SourceAccessConfigurations: Match.absent(),
    });
    expect(Object.keys(template.findResources('AWS::Lambda::EventSourceMapping'))).toEqual([
      expect.stringMatching(/^FnKafkaEventSourceordersenriched/),
    ]);
    expect(policyStatements(template)).toEqual([]);
  });

  test('GIVEN no bootstrap servers THEN the cluster is refused', () => {
    expect(() => new SelfManagedKafkaCluster(bareStack(), 'Kafka', { bootstrapServers: [] })).toThrow(
      /^bootstrapServers must list at least one host:port$/,
    );
  });
});
