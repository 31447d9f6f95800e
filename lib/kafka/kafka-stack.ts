import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { MskCluster } from './kafka-cluster';

export interface KafkaStackProps extends StackProps {
  /** `serverless` or `provisioned` MSK. */
  readonly kind: 'serverless' | 'provisioned';
  /** Cluster name. */
  readonly clusterName: string;
  /** Kafka version of a provisioned cluster. */
  readonly kafkaVersion: string;
  /** The network stack's VPC. */
  readonly vpc: ec2.IVpc;
  /** Subnets for the brokers. */
  readonly vpcSubnets: ec2.SubnetSelection;
}

/** The MSK cluster, in a stack of its own: it takes the longest to create and to delete. */
export class KafkaStack extends Stack {
  public readonly cluster: MskCluster;

  constructor(scope: Construct, id: string, props: KafkaStackProps) {
    super(scope, id, props);
    this.cluster = new MskCluster(this, 'Cluster', {
      kind: props.kind,
      clusterName: props.clusterName,
      kafkaVersion: props.kafkaVersion,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
    });
    new CfnOutput(this, 'ClusterArn', {
      value: this.cluster.clusterArn,
      description: 'use with kw --cluster-arn',
    });
  }
}
