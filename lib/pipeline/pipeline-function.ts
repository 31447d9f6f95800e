import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import * as path from 'node:path';
import type { IKafkaCluster } from '../kafka/kafka-cluster';

/** Project root, where functions/ and package-lock.json live. */
const PROJECT_ROOT = path.join(__dirname, '..', '..');

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
export interface PipelineFunctionProps {
  /** Folder under functions/ holding the handler's index.ts. */
  readonly handlerFolder: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /** Cluster the function talks to: sets its connection environment and, for MSK, its VPC placement. */
  readonly cluster: IKafkaCluster;
  /**
   * Extra environment variables.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * Maximum run time of one invocation.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Memory size in MiB.
   * @default 512
   */
  readonly memorySize?: number;
}

/**
 * A pipeline function: Node.js 24 on ARM64, bundled locally by esbuild (minified, with source maps),
 * logging to a log group kept one week, placed in the cluster's VPC when the cluster has one.
 */
export class PipelineFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role instead of AWSLambdaBasicExecutionRole, so logging is granted on this log group only.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `execution role of the ${props.handlerFolder} function`,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      entry: path.join(PROJECT_ROOT, 'functions', props.handlerFolder, 'index.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      logGroup,
      vpc: props.cluster.vpc,
      vpcSubnets: props.cluster.vpc ? props.cluster.vpcSubnets : undefined,
      securityGroups: props.cluster.clientSecurityGroup ? [props.cluster.clientSecurityGroup] : undefined,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.handlerFolder,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.cluster.clientEnvironment,
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        format: OutputFormat.CJS,
        target: 'node24',
        forceDockerBundling: false,
        // Everything is bundled, the AWS SDK included, so the code runs with the versions it was tested
        // with. Powertools loads these only for Avro and Protobuf values, which the pipeline does not use.
        externalModules: ['avro-js', 'protobufjs'],
      },
    });
    if (props.cluster.vpc) {
      // What Lambda needs to attach the function, and an MSK event source mapping its pollers, to the
      // VPC (the actions of AWSLambdaVPCAccessExecutionRole and the ec2 part of AWSLambdaMSKExecutionRole).
      const statement = new iam.PolicyStatement({ actions: [...VPC_NETWORKING_ACTIONS], resources: ['*'] });
      role.addToPrincipalPolicy(statement);
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Lambda creates and deletes the network interfaces in the VPC on the function and mapping behalf: ' +
          'their ARNs do not exist before they are created, and the ec2 Describe actions support no resource scoping',
      });
    }
  }
}
