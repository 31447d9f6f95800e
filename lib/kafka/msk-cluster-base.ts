import { ArnFormat, Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { IKafkaCluster, KafkaConsumerOptions, TopicReplication } from './kafka-cluster';
import { kafkaMappingId, kafkaMappingOptions } from './kafka-event-source';

/** Port of MSK's SASL/IAM listener over TLS (provisioned and serverless alike). */
export const MSK_IAM_PORT = 9098;

/** Properties every MSK cluster takes. */
export interface MskClusterProps {
  /** Cluster name, unique in the account and region (1-64 chars). */
  readonly clusterName: string;
  /** VPC for the brokers; its subnets in two AZs host them. */
  readonly vpc: ec2.IVpc;
  /** Subnets for brokers and clients. */
  readonly vpcSubnets: ec2.SubnetSelection;
}

/** The actions and resources of one IAM statement on the cluster. */
interface KafkaStatement {
  readonly actions: string[];
  readonly resourceArns: string[];
}

/**
 * What MSK Serverless and provisioned MSK share: IAM authentication on {@link MSK_IAM_PORT}, the client
 * and broker security groups, IAM grants on topics and groups, and event source mappings.
 */
export abstract class MskClusterBase extends Construct implements IKafkaCluster {
  public abstract readonly kind: 'serverless' | 'provisioned';
  public abstract readonly supportsTopicResource: boolean;
  public abstract readonly clusterArn: string;
  public abstract readonly topicReplication: TopicReplication;
  public readonly clusterName: string;
  public readonly vpc: ec2.IVpc;
  public readonly vpcSubnets: ec2.SubnetSelection;
  /** Functions join this group to reach the brokers. */
  public readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** The brokers' group; event source mappings place their network interfaces in it too. */
  public readonly clusterSecurityGroup: ec2.ISecurityGroup;
  /** The subnets of `vpcSubnets`, where the brokers go. */
  protected readonly subnetIds: string[];

  constructor(scope: Construct, id: string, props: MskClusterProps) {
    super(scope, id);
    if (!/^[A-Za-z][A-Za-z0-9-]{0,63}$/.test(props.clusterName)) {
      throw new Error(
        `invalid clusterName "${props.clusterName}": use 1-64 letters, digits and -, starting with a letter`,
      );
    }
    this.clusterName = props.clusterName;
    this.vpc = props.vpc;
    this.vpcSubnets = props.vpcSubnets;

    this.clientSecurityGroup = new ec2.SecurityGroup(this, 'ClientSecurityGroup', {
      vpc: props.vpc,
      description: `Kafka clients of ${props.clusterName}`,
      allowAllOutbound: true,
    });
    const clusterSg = new ec2.SecurityGroup(this, 'ClusterSecurityGroup', {
      vpc: props.vpc,
      description: `Brokers of ${props.clusterName}`,
      allowAllOutbound: true,
    });
    clusterSg.addIngressRule(
      this.clientSecurityGroup,
      ec2.Port.tcp(MSK_IAM_PORT),
      'Kafka clients, IAM auth over TLS',
    );
    // Event source mappings put their network interfaces in the cluster's own group (AWS requirement).
    clusterSg.addIngressRule(clusterSg, ec2.Port.allTcp(), 'event source mapping pollers and brokers');
    this.clusterSecurityGroup = clusterSg;
    this.subnetIds = props.vpc.selectSubnets(props.vpcSubnets).subnetIds;
  }

  public get clientEnvironment(): Readonly<Record<string, string>> {
    return { KAFKA_CLUSTER_ARN: this.clusterArn, KAFKA_AUTH: 'iam' };
  }

  public grantProduce(grantee: iam.IGrantable, ...topics: string[]): iam.Grant {
    const scope = this.scopeOf(grantee);
    return this.grant(grantee, this.connectStatement(), {
      actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
      resourceArns: topics.map((t) => this.dataArn(scope, 'topic', t)),
    });
  }

  public grantConsume(grantee: iam.IGrantable, topic: string, consumerGroupId: string): iam.Grant {
    const scope = this.scopeOf(grantee);
    return this.grant(
      grantee,
      this.connectStatement(),
      { actions: ['kafka-cluster:DescribeClusterDynamicConfiguration'], resourceArns: [this.clusterArn] },
      {
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
        resourceArns: [this.dataArn(scope, 'topic', topic)],
      },
      {
        actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
        resourceArns: [this.dataArn(scope, 'group', consumerGroupId)],
      },
    );
  }

  public grantTopicAdmin(grantee: iam.IGrantable, ...topics: string[]): iam.Grant {
    const scope = this.scopeOf(grantee);
    return this.grant(grantee, this.connectStatement(), {
      actions: [
        'kafka-cluster:CreateTopic',
        'kafka-cluster:DescribeTopic',
        'kafka-cluster:AlterTopic',
        'kafka-cluster:DeleteTopic',
        'kafka-cluster:DescribeTopicDynamicConfiguration',
        'kafka-cluster:AlterTopicDynamicConfiguration',
      ],
      resourceArns: topics.map((t) => this.dataArn(scope, 'topic', t)),
    });
  }

  public addConsumer(fn: lambda.IFunction, options: KafkaConsumerOptions): void {
    // Declared directly rather than with ManagedKafkaEventSource, which attaches AWSLambdaMSKExecutionRole
    // (kafka and logs actions on every resource); the grants below are scoped to this cluster instead.
    fn.addEventSourceMapping(kafkaMappingId(options.topic), {
      eventSourceArn: this.clusterArn,
      ...kafkaMappingOptions(options),
    });
    this.grantConsume(fn, options.topic, options.consumerGroupId);
    // With an on-failure topic the mapping writes failed records there using the function's role.
    if (options.provisioned?.onFailureTopic) this.grantProduce(fn, options.provisioned.onFailureTopic);
  }

  /**
   * ARN of a topic or group for IAM: `arn:…:kafka:…:<type>/<cluster name>/<cluster uuid>/<name>`,
   * built in the grantee's stack from the cluster ARN, which ends in `cluster/<name>/<uuid>`.
   */
  private dataArn(scope: Construct, type: 'topic' | 'group', name: string): string {
    return Stack.of(scope).formatArn({
      service: 'kafka',
      resource: type,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      resourceName: `${this.clusterName}/${Fn.select(2, Fn.split('/', this.clusterArn))}/${name}`,
    });
  }

  /**
   * Adds one statement per entry to `grantee`'s policy, in order, and returns them as one grant, as
   * aws-cdk's own grantX methods do.
   */
  private grant(grantee: iam.IGrantable, ...statements: KafkaStatement[]): iam.Grant {
    return statements
      .map(({ actions, resourceArns }) => iam.Grant.addToPrincipal({ grantee, actions, resourceArns }))
      .reduce((all, next) => all.combine(next));
  }

  private scopeOf(grantee: iam.IGrantable): Construct {
    return grantee instanceof Construct ? grantee : this;
  }

  /** What every client needs before anything else: connect, and find the brokers. */
  private connectStatement(): KafkaStatement {
    return {
      actions: [
        'kafka-cluster:Connect',
        'kafka:GetBootstrapBrokers',
        'kafka:DescribeCluster',
        'kafka:DescribeClusterV2',
      ],
      resourceArns: [this.clusterArn],
    };
  }
}
