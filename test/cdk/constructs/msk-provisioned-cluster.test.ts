import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  MskProvisionedCluster,
  type MskProvisionedClusterProps,
} from '../../../lib/kafka/msk-provisioned-cluster';
import { ISOLATED_SUBNETS, bareStack, inlineFunction, isolatedVpc, statementsAllowing } from './bare-stack';

function provisionedCluster(
  stack: Stack,
  props: Partial<MskProvisionedClusterProps> = {},
): MskProvisionedCluster {
  return new MskProvisionedCluster(stack, 'Cluster', {
    clusterName: 'kw-test',
    vpc: isolatedVpc(stack),
    vpcSubnets: ISOLATED_SUBNETS,
    ...props,
  });
}

describe('MskProvisionedCluster', () => {
  test('GIVEN no sizing WHEN a provisioned cluster is added THEN it runs one kafka.t3.small broker per subnet with 10 GiB each, in KRaft mode', () => {
    const stack = bareStack();
    const cluster = provisionedCluster(stack);
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::MSK::Cluster', 1);
    template.hasResourceProperties('AWS::MSK::Cluster', {
      ClusterName: 'kw-test',
      KafkaVersion: '3.9.x.kraft',
      NumberOfBrokerNodes: 2,
      BrokerNodeGroupInfo: {
        InstanceType: 'kafka.t3.small',
        ClientSubnets: [{ Ref: Match.stringLikeRegexp('^VpcprivateSubnet1') }, Match.anyValue()],
        SecurityGroups: [stack.resolve(cluster.clusterSecurityGroup.securityGroupId)],
        StorageInfo: { EBSStorageInfo: { VolumeSize: 10 } },
      },
    });
    template.resourceCountIs('AWS::MSK::ServerlessCluster', 0);
    expect(cluster.kind).toBe('provisioned');
  });

  test('GIVEN a version, instance type and volume size THEN the brokers use them', () => {
    const stack = bareStack();
    provisionedCluster(stack, { kafkaVersion: '3.9.x', instanceType: 'kafka.m7g.large', volumeSizeGiB: 100 });
    Template.fromStack(stack).hasResourceProperties('AWS::MSK::Cluster', {
      KafkaVersion: '3.9.x',
      BrokerNodeGroupInfo: Match.objectLike({
        InstanceType: 'kafka.m7g.large',
        StorageInfo: { EBSStorageInfo: { VolumeSize: 100 } },
      }),
    });
  });

  test('GIVEN the cluster THEN only IAM-authenticated clients get in, over TLS, and data at rest is encrypted with a rotating key of its own', () => {
    const stack = bareStack();
    provisionedCluster(stack);
    const template = Template.fromStack(stack);

    const [keyId] = Object.keys(template.findResources('AWS::KMS::Key'));
    template.hasResourceProperties('AWS::MSK::Cluster', {
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } }, Unauthenticated: { Enabled: false } },
      EncryptionInfo: {
        EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true },
        EncryptionAtRest: { DataVolumeKMSKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, PendingWindowInDays: 7 });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  test('GIVEN the cluster THEN broker logs go to a log group kept one week and deleted with the stack', () => {
    const stack = bareStack();
    provisionedCluster(stack);
    const template = Template.fromStack(stack);

    const [logGroupId] = Object.keys(template.findResources('AWS::Logs::LogGroup'));
    template.hasResourceProperties('AWS::MSK::Cluster', {
      LoggingInfo: { BrokerLogs: { CloudWatchLogs: { Enabled: true, LogGroup: { Ref: logGroupId } } } },
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 7 },
      DeletionPolicy: 'Delete',
    });
  });

  test('GIVEN the cluster THEN clients reach the brokers on the IAM port, and topics can be AWS::MSK::Topic resources', () => {
    const stack = bareStack();
    const cluster = provisionedCluster(stack);

    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 9098,
      ToPort: 9098,
      SourceSecurityGroupId: stack.resolve(cluster.clientSecurityGroup.securityGroupId),
    });
    expect(cluster.supportsTopicResource).toBe(true);
    expect(stack.resolve(cluster.clientEnvironment)).toEqual({
      KAFKA_CLUSTER_ARN: stack.resolve(cluster.clusterArn),
      KAFKA_AUTH: 'iam',
    });
  });

  test('GIVEN a role WHEN it is granted produce THEN the returned grant is the statements added to its policy', () => {
    const stack = bareStack();
    const cluster = provisionedCluster(stack);
    const fn = inlineFunction(stack, 'Producer');

    const grant = cluster.grantProduce(fn, 'orders');

    expect(grant.success).toBe(true);
    expect(grant.principalStatements).toHaveLength(2);
    const [write] = statementsAllowing(Template.fromStack(stack), 'kafka-cluster:WriteData');
    expect(JSON.stringify(write.Resource)).toMatch(/:topic\/kw-test\/.*\/orders"/);
  });

  test('GIVEN an invalid cluster name THEN the cluster is refused with the name in the message', () => {
    expect(() => provisionedCluster(bareStack(), { clusterName: 'kw test' })).toThrow(
      /^invalid clusterName "kw test"/,
    );
  });
});
