import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import type { MskClusterBase } from './msk-cluster-base';
import { MskProvisionedCluster } from './msk-provisioned-cluster';
import { MskServerlessCluster } from './msk-serverless-cluster';

/** Properties of the stack holding the MSK cluster. */
export interface KafkaStackProps extends StackProps {
  /** `serverless` or `provisioned` MSK. */
  readonly kind: 'serverless' | 'provisioned';
  /** Cluster name. */
  readonly clusterName: string;
  /** Kafka version of a provisioned cluster; unused by MSK Serverless. */
  readonly kafkaVersion: string;
  /** The network stack's VPC. */
  readonly vpc: ec2.IVpc;
  /** Subnets for the brokers. */
  readonly vpcSubnets: ec2.SubnetSelection;
}

/** The MSK cluster, in a stack of its own: it takes the longest to create and to delete. */
export class KafkaStack extends Stack {
  /** The cluster, of the kind asked for. */
  public readonly cluster: MskClusterBase;

  constructor(scope: Construct, id: string, props: KafkaStackProps) {
    super(scope, id, props);
    const common = { clusterName: props.clusterName, vpc: props.vpc, vpcSubnets: props.vpcSubnets };
    this.cluster =
      props.kind === 'serverless'
        ? new MskServerlessCluster(this, 'Cluster', common)
        : new MskProvisionedCluster(this, 'Cluster', { ...common, kafkaVersion: props.kafkaVersion });
    new CfnOutput(this, 'ClusterArn', {
      value: this.cluster.clusterArn,
      description: 'use with kw --cluster-arn',
    });
  }
}
