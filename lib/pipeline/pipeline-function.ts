import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { IKafkaCluster } from '../kafka/kafka-cluster';
import { BundledFunction, type BundledFunctionProps } from '../lambda/bundled-function';

/** EC2 actions Lambda uses to place a function, or a Kafka mapping's pollers, in a VPC. */
export const VPC_NETWORKING_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
  'ec2:DescribeVpcs',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
] as const;

/** Properties of one of the pipeline's functions. */
export interface PipelineFunctionProps extends Omit<
  BundledFunctionProps,
  'vpc' | 'vpcSubnets' | 'securityGroups'
> {
  /** Cluster the function talks to: sets its connection environment and, for MSK, its VPC placement. */
  readonly cluster: IKafkaCluster;
}

/** A pipeline function: a {@link BundledFunction} connected to the cluster, in its VPC when it has one. */
export class PipelineFunction extends BundledFunction {
  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id, {
      ...props,
      vpc: props.cluster.vpc,
      vpcSubnets: props.cluster.vpcSubnets,
      securityGroups: props.cluster.clientSecurityGroup ? [props.cluster.clientSecurityGroup] : undefined,
      environment: { ...props.cluster.clientEnvironment, ...props.environment },
    });
    if (props.cluster.vpc) {
      // What Lambda needs to attach the function, and an MSK event source mapping its pollers, to the
      // VPC (the actions of AWSLambdaVPCAccessExecutionRole and the ec2 part of AWSLambdaMSKExecutionRole).
      const statement = new iam.PolicyStatement({ actions: [...VPC_NETWORKING_ACTIONS], resources: ['*'] });
      this.addToRolePolicy(statement);
      Validations.of(this.role!).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Lambda creates and deletes the network interfaces in the VPC on the function and mapping behalf: ' +
          'their ARNs do not exist before they are created, and the ec2 Describe actions support no resource scoping',
      });
    }
  }
}
