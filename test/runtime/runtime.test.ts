/**
 * The runtime's wiring on hand-written assemblies: a provisioned mapping whose poison record reaches
 * the on-failure topic through real function processes, and on-failure destinations it must refuse.
 */
import { Kafka, logLevel } from 'kafkajs';
import { startLocalRuntime } from '../../local/runtime/runtime';
import { until } from '../support/until';
import { writeAssembly } from '../support/cloud-assembly';

/** An assembly with an MSK cluster, topics, one function (`source`) and a provisioned mapping on `orders`. */
function assembly(
  source: string,
  destination: string,
  topics = ['orders', 'orders.dlq'],
  { writeToDlq = true } = {},
): string {
  const resources: Record<string, unknown> = {
    Cluster: { Type: 'AWS::MSK::ServerlessCluster', Properties: { ClusterName: 'test' } },
    Fn: {
      Type: 'AWS::Lambda::Function',
      Metadata: { 'aws:asset:path': 'asset.fn', 'aws:cdk:path': 'app/Worker/Resource' },
      Properties: {
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Timeout: 5,
        Role: { 'Fn::GetAtt': ['FnRole', 'Arn'] },
      },
    },
    // IAM is enforced: what the mapping needs to read orders as group workers, and WriteData on the
    // on-failure topic, which AWS's mapping writes to with the function's role.
    FnRole: {
      Type: 'AWS::IAM::Role',
      Properties: { AssumeRolePolicyDocument: { Statement: [] } },
    },
    FnPolicy: {
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: 'worker',
        Roles: [{ Ref: 'FnRole' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['kafka-cluster:Connect', 'kafka-cluster:DescribeClusterDynamicConfiguration'],
              Resource: { 'Fn::GetAtt': ['Cluster', 'Arn'] },
            },
            {
              Effect: 'Allow',
              Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
              Resource: {
                'Fn::Sub': 'arn:${AWS::Partition}:kafka:${AWS::Region}:${AWS::AccountId}:topic/test/*',
              },
            },
            {
              Effect: writeToDlq ? 'Allow' : 'Deny',
              Action: 'kafka-cluster:WriteData',
              Resource: {
                'Fn::Sub':
                  'arn:${AWS::Partition}:kafka:${AWS::Region}:${AWS::AccountId}:topic/test/*/orders.dlq',
              },
            },
            {
              Effect: 'Allow',
              Action: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
              Resource: {
                'Fn::Sub':
                  'arn:${AWS::Partition}:kafka:${AWS::Region}:${AWS::AccountId}:group/test/*/workers',
              },
            },
          ],
        },
      },
    },
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        EventSourceArn: { 'Fn::GetAtt': ['Cluster', 'Arn'] },
        FunctionName: { Ref: 'Fn' },
        Topics: ['orders'],
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 0,
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'workers' },
        ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 2 },
        MaximumRetryAttempts: 1,
        BisectBatchOnFunctionError: true,
        DestinationConfig: { OnFailure: { Destination: destination } },
      },
    },
  };
  for (const [i, name] of topics.entries()) {
    resources[`Topic${i}`] = {
      Type: 'AWS::MSK::Topic',
      Properties: { ClusterArn: { 'Fn::GetAtt': ['Cluster', 'Arn'] }, TopicName: name, PartitionCount: 2 },
    };
  }
  return writeAssembly({ Resources: resources }, { 'asset.fn': source });
}

const ports = { brokerPort: 0, httpPort: 0, dynamodbPort: 0 } as const;

describe('local runtime', () => {
  it('GIVEN a provisioned mapping with kafka://orders.dlq THEN a poison record lands there and the others are processed', async () => {
    const runtime = await startLocalRuntime({
      assembly: assembly(
        `exports.handler = async (event) => {
           for (const r of Object.values(event.records).flat()) {
             if (Buffer.from(r.value, 'base64').toString() === 'poison') throw new Error('cannot process');
           }
           return { batchItemFailures: [] };
         };`,
        'kafka://orders.dlq',
      ),
      ...ports,
    });
    const kafka = new Kafka({ brokers: [runtime.bootstrapServers], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    try {
      await producer.connect();
      await producer.send({
        topic: 'orders',
        messages: ['a', 'b', 'poison', 'c', 'd'].map((value) => ({ key: 'k', value })),
      });
      await until(
        () => runtime.snapshot().deadLetters >= 1 && runtime.snapshot().mappings[0].lag === 0,
        () => `the poison record's dead letter and no lag: ${JSON.stringify(runtime.snapshot())}`,
        { timeoutMs: 20_000, intervalMs: 50 },
      );
      const snapshot = runtime.snapshot();
      expect(snapshot.topics).toEqual(
        expect.arrayContaining([
          { name: 'orders', records: 5 },
          { name: 'orders.dlq', records: 1 },
        ]),
      );
      expect(snapshot.mappings[0]).toMatchObject({ group: 'workers', toDestination: 1, dropped: 0, lag: 0 });
      expect(snapshot.functions[0].name).toBe('worker');
      expect(snapshot.functions[0].errors).toBeGreaterThan(0);
    } finally {
      await producer.disconnect();
      await runtime.close();
    }
  });

  it('GIVEN the function role without kafka-cluster:WriteData on the on-failure topic THEN the poison record is not written there and the broker names WriteData on its ARN', async () => {
    const runtime = await startLocalRuntime({
      assembly: assembly(
        `exports.handler = async () => { throw new Error('cannot process'); };`,
        'kafka://orders.dlq',
        undefined,
        { writeToDlq: false },
      ),
      ...ports,
    });
    const kafka = new Kafka({ brokers: [runtime.bootstrapServers], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    try {
      await producer.connect();
      await producer.send({ topic: 'orders', messages: [{ key: 'k', value: 'poison' }] });
      const denial = await until(
        () => runtime.broker!.denials().find((d) => d.action === 'kafka-cluster:WriteData'),
        () => `a WriteData denial: ${JSON.stringify(runtime.broker!.denials())}`,
        { timeoutMs: 20_000, intervalMs: 50 },
      );
      expect(denial.resource).toMatch(/^arn:aws:kafka:us-east-1:\d{12}:topic\/test\/[^/]+\/orders\.dlq$/);
      expect(denial.principal).toMatch(/:role\//);
      expect(runtime.snapshot().topics).toEqual(expect.arrayContaining([{ name: 'orders.dlq', records: 0 }]));
    } finally {
      await producer.disconnect();
      await runtime.close();
    }
  });

  it.each([
    ['kafka://orders', /the on-failure topic is the topic the mapping reads \(orders\); AWS refuses this/],
    ['kafka://nowhere', /on-failure topic nowhere does not exist: declare it among the app's topics/],
  ])(
    'GIVEN the on-failure destination %s THEN start-up is refused with the reason',
    async (destination, message) => {
      await expect(
        startLocalRuntime({
          assembly: assembly('exports.handler = async () => null;', destination),
          ...ports,
        }),
      ).rejects.toThrow(message);
    },
  );
});
