import { Match } from 'aws-cdk-lib/assertions';
import { synthWorkshop } from '../support/workshop-app';

describe('kafka stack', () => {
  describe('serverless (default)', () => {
    const workshop = synthWorkshop();
    const template = workshop.template(workshop.stacks.kafka!);

    test('an MSK Serverless cluster with IAM authentication in the private subnets', () => {
      template.resourceCountIs('AWS::MSK::ServerlessCluster', 1);
      template.hasResourceProperties('AWS::MSK::ServerlessCluster', {
        ClusterName: 'kw-dev',
        ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
        VpcConfigs: [{ SubnetIds: Match.anyValue(), SecurityGroups: Match.anyValue() }],
      });
      template.resourceCountIs('AWS::MSK::Cluster', 0);
    });

    test('brokers accept clients on the IAM port only, and the mappings from inside the cluster group', () => {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        FromPort: 9098,
        ToPort: 9098,
        IpProtocol: 'tcp',
      });
      const ingress = template.findResources('AWS::EC2::SecurityGroupIngress');
      const self = Object.values(ingress).find(
        (r) => JSON.stringify(r.Properties.GroupId) === JSON.stringify(r.Properties.SourceSecurityGroupId),
      );
      expect(self?.Properties).toMatchObject({ FromPort: 0, ToPort: 65535 });
    });

    test('the cluster ARN is exported for the pipeline and printed for kw', () => {
      template.hasOutput('ClusterArn', {});
    });
  });

  describe('provisioned', () => {
    const workshop = synthWorkshop({ cluster: 'provisioned' });
    const template = workshop.template(workshop.stacks.kafka!);

    test('two kafka.t3.small brokers, one per AZ, in KRaft mode', () => {
      template.hasResourceProperties('AWS::MSK::Cluster', {
        KafkaVersion: '3.9.x.kraft',
        NumberOfBrokerNodes: 2,
        BrokerNodeGroupInfo: Match.objectLike({ InstanceType: 'kafka.t3.small' }),
      });
    });

    test('IAM authentication only: unauthenticated access is off', () => {
      template.hasResourceProperties('AWS::MSK::Cluster', {
        ClientAuthentication: { Sasl: { Iam: { Enabled: true } }, Unauthenticated: { Enabled: false } },
      });
    });

    test('TLS between clients and brokers and between brokers; encryption at rest with a rotating key', () => {
      template.hasResourceProperties('AWS::MSK::Cluster', {
        EncryptionInfo: {
          EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true },
          EncryptionAtRest: { DataVolumeKMSKeyId: Match.anyValue() },
        },
      });
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    });

    test('broker logs go to CloudWatch', () => {
      template.hasResourceProperties('AWS::MSK::Cluster', {
        LoggingInfo: { BrokerLogs: { CloudWatchLogs: { Enabled: true, LogGroup: Match.anyValue() } } },
      });
    });

    test('the Kafka version is configurable, e.g. ZooKeeper mode', () => {
      const zk = synthWorkshop({ cluster: 'provisioned', kafkaVersion: '3.9.x' });
      zk.template(zk.stacks.kafka!).hasResourceProperties('AWS::MSK::Cluster', { KafkaVersion: '3.9.x' });
    });
  });
});
