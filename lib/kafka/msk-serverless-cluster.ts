import * as msk from 'aws-cdk-lib/aws-msk';
import type { Construct } from 'constructs';
import { MskClusterBase, type MskClusterProps } from './msk-cluster-base';

/** An MSK Serverless cluster with IAM authentication: nothing to size, billed by use. */
export class MskServerlessCluster extends MskClusterBase {
  public readonly kind = 'serverless' as const;
  /** AWS::MSK::Topic needs a provisioned cluster. */
  public readonly supportsTopicResource = false;
  public readonly clusterArn: string;

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
