import * as msk from 'aws-cdk-lib/aws-msk';
import type { Construct } from 'constructs';
import type { TopicReplication } from './kafka-cluster';
import { MskClusterBase, type MskClusterProps } from './msk-cluster-base';

/** An MSK Serverless cluster with IAM authentication: nothing to size, billed by use. */
export class MskServerlessCluster extends MskClusterBase {
  public readonly kind = 'serverless' as const;
  /** AWS::MSK::Topic needs a provisioned cluster. */
  public readonly supportsTopicResource = false;
  public readonly clusterArn: string;
  /**
   * Three copies across three AZs, two of which take each `acks=all` write, set by the service: MSK
   * Serverless lets a topic set only cleanup.policy, compression.type, max.message.bytes,
   * message.timestamp.*, retention.bytes and retention.ms (AWS, "Configuration properties for MSK
   * Serverless clusters"), so CreateTopics leaves the replication factor to the cluster (-1).
   */
  public readonly topicReplication: TopicReplication = {
    replicationFactor: 3,
    minInsyncReplicas: 2,
    setByService: true,
  };

  constructor(scope: Construct, id: string, props: MskClusterProps) {
    super(scope, id, props);
    const cluster = new msk.CfnServerlessCluster(this, 'Resource', {
      clusterName: props.clusterName,
      clientAuthentication: { sasl: { iam: { enabled: true } } },
      vpcConfigs: [
        { subnetIds: this.subnetIds, securityGroups: [this.clusterSecurityGroup.securityGroupId] },
      ],
    });
    this.clusterArn = cluster.attrArn;
  }
}
