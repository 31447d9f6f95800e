import { AssetHashType, DockerImage, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { LocalEsbuild } from './local-esbuild';

/** Project root, where functions/ and package-lock.json live. */
const PROJECT_ROOT = path.join(__dirname, '..', '..');

/**
 * Context key naming a folder where each function's bundle is kept and reused while nothing it was
 * built from changes (see bundle-reuse.ts). `kw up` sets it; `cdk synth` and `cdk deploy` always bundle.
 */
export const BUNDLE_REUSE_CONTEXT = '@kw/lambda:bundleReuseDir';

/** Properties of a function whose handler lives in this repository's functions/ folder. */
export interface BundledFunctionProps {
  /** Folder under functions/ holding the handler's index.ts; also the Powertools service name. */
  readonly handlerFolder: string;
  /** What the function does, shown in the console. */
  readonly description: string;
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
  /**
   * VPC to place the function in.
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets in `vpc`; ignored without a VPC.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups in `vpc`.
   * @default - one created by Lambda's construct
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * A function of this repository: Node.js 24 on ARM64, bundled locally by esbuild (minified, with
 * source maps, AWS SDK included), with a role of its own and a log group kept one week.
 *
 * The asset hash is the bundle's (as `NodejsFunction`'s own bundling has it): a template changes
 * exactly when the code deployed does.
 */
export class BundledFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: BundledFunctionProps) {
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
    const entry = path.join(PROJECT_ROOT, 'functions', props.handlerFolder, 'index.ts');
    if (!existsSync(entry)) {
      throw new Error(
        `Cannot find entry file at ${entry}: handlerFolder "${props.handlerFolder}" has no index.ts`,
      );
    }
    const reuseDir = scope.node.tryGetContext(BUNDLE_REUSE_CONTEXT) as string | undefined;
    super(scope, id, {
      role,
      code: lambda.Code.fromAsset(PROJECT_ROOT, {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never pulled: local bundling always succeeds or throws.
          image: DockerImage.fromRegistry('dummy'),
          local: new LocalEsbuild({ projectRoot: PROJECT_ROOT, entry, reuseDir }),
        },
      }),
      handler: 'index.handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      logGroup,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? props.vpcSubnets : undefined,
      securityGroups: props.securityGroups,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.handlerFolder,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
    });
  }
}
