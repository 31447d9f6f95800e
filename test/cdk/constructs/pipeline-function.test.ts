import { Validations, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { MskServerlessCluster } from '../../../lib/kafka/msk-serverless-cluster';
import { SelfManagedKafkaCluster } from '../../../lib/kafka/self-managed-kafka-cluster';
import { PipelineFunction, VPC_NETWORKING_ACTIONS } from '../../../lib/pipeline/pipeline-function';
import { ISOLATED_SUBNETS, bareStack, isolatedVpc, statementsAllowing } from './bare-stack';

const mskCluster = (stack: Stack) =>
  new MskServerlessCluster(stack, 'Cluster', {
    clusterName: 'kw-test',
    vpc: isolatedVpc(stack),
    vpcSubnets: ISOLATED_SUBNETS,
  });

describe('PipelineFunction', () => {
  test('GIVEN an MSK cluster WHEN a pipeline function is added THEN it runs in the cluster VPC as a client, with the connection environment', () => {
    const stack = bareStack();
    const cluster = mskCluster(stack);
    new PipelineFunction(stack, 'Ingest', {
      handlerFolder: 'ingest',
      description: 'takes orders',
      cluster,
      environment: { ORDERS_TOPIC: 'orders' },
    });

    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: {
        SubnetIds: [{ Ref: Match.stringLikeRegexp('^VpcprivateSubnet1') }, Match.anyValue()],
        SecurityGroupIds: [stack.resolve(cluster.clientSecurityGroup.securityGroupId)],
      },
      Environment: {
        Variables: Match.objectLike({
          KAFKA_CLUSTER_ARN: stack.resolve(cluster.clusterArn),
          KAFKA_AUTH: 'iam',
          ORDERS_TOPIC: 'orders',
          POWERTOOLS_SERVICE_NAME: 'ingest',
        }),
      },
    });
  });

  test('GIVEN an MSK cluster THEN the role may manage network interfaces in the VPC, and cdk-nag is told why that needs "*"', () => {
    const stack = bareStack();
    const fn = new PipelineFunction(stack, 'Ingest', {
      handlerFolder: 'ingest',
      description: 'takes orders',
      cluster: mskCluster(stack),
    });

    const [networking] = statementsAllowing(Template.fromStack(stack), 'ec2:CreateNetworkInterface');
    expect([networking.Action].flat().sort()).toEqual([...VPC_NETWORKING_ACTIONS].sort());
    expect(networking.Resource).toBe('*');
    const acknowledged = fn
      .role!.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.keys(m.data as Record<string, string>));
    expect(acknowledged).toEqual([expect.stringMatching(/AwsSolutions-IAM5\[Resource::\*\]$/)]);
  });

  test('GIVEN an environment variable the cluster also sets THEN the function keeps its own value', () => {
    const stack = bareStack();
    new PipelineFunction(stack, 'Ingest', {
      handlerFolder: 'ingest',
      description: 'takes orders',
      cluster: new SelfManagedKafkaCluster(stack, 'Kafka', { bootstrapServers: ['kafka:9092'] }),
      environment: { KAFKA_BOOTSTRAP_SERVERS: 'other:9092' },
    });

    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ KAFKA_BOOTSTRAP_SERVERS: 'other:9092' }) },
    });
  });

  test('GIVEN self-managed Kafka WHEN a pipeline function is added THEN it runs outside any VPC with plain Kafka settings and no network rights', () => {
    const stack = bareStack();
    new PipelineFunction(stack, 'Ingest', {
      handlerFolder: 'ingest',
      description: 'takes orders',
      cluster: new SelfManagedKafkaCluster(stack, 'Kafka', { bootstrapServers: ['kafka:9092'] }),
    });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: Match.absent(),
      Environment: {
        Variables: Match.objectLike({ KAFKA_BOOTSTRAP_SERVERS: 'kafka:9092', KAFKA_AUTH: 'none' }),
      },
    });
    expect(statementsAllowing(template, 'ec2:CreateNetworkInterface')).toEqual([]);
  });
});
