import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as msk from 'aws-cdk-lib/aws-msk';
import type { Construct } from 'constructs';
import type { TopicReplication } from './kafka-cluster';
import { MskClusterBase, type MskClusterProps } from './msk-cluster-base';

/** Properties of a provisioned MSK cluster. */
export interface MskProvisionedClusterProps extends MskClusterProps {
  /**
   * Kafka version; a `.kraft` suffix selects KRaft metadata mode.
   * @default '3.9.x.kraft'
   */
  readonly kafkaVersion?: string;
  /**
   * Broker instance type.
   * @default 'kafka.t3.small'
   */
  readonly instanceType?: string;
  /**
   * EBS volume per broker, in GiB.
   * @default 10
   */
  readonly volumeSizeGiB?: number;
}

/**
 * A small provisioned MSK cluster, one broker per subnet, with IAM authentication only, TLS in transit,
 * encryption at rest under a rotating key of its own and broker logs in CloudWatch.
 *
 * Topics get one copy per broker up to three, and `min.insync.replicas` one less (at least 1), as
 * MSK advises so that a partition keeps taking `acks=all` writes while one broker is patched: 3 and 2
 * on three brokers, 2 and 1 on the two brokers of the workshop's two-AZ network.
 */
export class MskProvisionedCluster extends MskClusterBase {
  public readonly kind = 'provisioned' as const;
  public readonly supportsTopicResource = true;
  public readonly clusterArn: string;
  /** Brokers in the cluster: one per subnet. */
  public readonly brokerCount: number;
  public readonly topicReplication: TopicReplication;

  constructor(scope: Construct, id: string, props: MskProvisionedClusterProps) {
    super(scope, id, props);
    this.brokerCount = this.subnetIds.length;
    const replicationFactor = Math.min(3, this.brokerCount);
    this.topicReplication = {
      replicationFactor,
      minInsyncReplicas: Math.max(1, replicationFactor - 1),
      setByService: false,
    };
    const key = new kms.Key(this, 'EncryptionKey', {
      description: `encryption at rest of MSK cluster ${props.clusterName}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    const brokerLogs = new logs.LogGroup(this, 'BrokerLogs', {
      retention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const cluster = new msk.CfnCluster(this, 'Resource', {
      clusterName: props.clusterName,
      kafkaVersion: props.kafkaVersion ?? '3.9.x.kraft',
      numberOfBrokerNodes: this.brokerCount,
      brokerNodeGroupInfo: {
        instanceType: props.instanceType ?? 'kafka.t3.small',
        clientSubnets: this.subnetIds,
        securityGroups: [this.clusterSecurityGroup.securityGroupId],
        storageInfo: { ebsStorageInfo: { volumeSize: props.volumeSizeGiB ?? 10 } },
      },
      clientAuthentication: { sasl: { iam: { enabled: true } }, unauthenticated: { enabled: false } },
      encryptionInfo: {
        encryptionAtRest: { dataVolumeKmsKeyId: key.keyArn },
        encryptionInTransit: { clientBroker: 'TLS', inCluster: true },
      },
      loggingInfo: { brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } } },
    });
    this.clusterArn = cluster.attrArn;
  }
}
