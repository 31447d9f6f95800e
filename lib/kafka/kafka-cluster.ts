import { ArnFormat, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KafkaDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as msk from 'aws-cdk-lib/aws-msk';
import { Construct } from 'constructs';
import type { ClusterKind, ProvisionedModeConfig } from '../config';

/** Port of MSK's SASL/IAM listener over TLS (provisioned and serverless alike). */
export const MSK_IAM_PORT = 9098;

/** How one function consumes one topic through a Kafka event source mapping. */
export interface KafkaConsumerOptions {
  /** Topic to read. */
  readonly topic: string;
  /** Consumer group of the mapping; cannot change once the mapping exists. */
  readonly consumerGroupId: string;
  /** Records per invocation. */
  readonly batchSize: number;
  /** How long the mapping may wait to fill a batch. */
  readonly maxBatchingWindow: Duration;
  /**
   * Provisioned pollers with retries, bisection, partial batch responses and an on-failure topic.
   * @default - on-demand mode: a failing batch is retried until it succeeds
   */
  readonly provisioned?: ProvisionedModeConfig & {
    /**
     * Topic on the same cluster that receives records once retries run out.
     * @default - none: the batch is retried until it succeeds (retry settings unused)
     */
    readonly onFailureTopic?: string;
  };
}

/** A Kafka cluster the pipeline can produce to, consume from and manage topics on. */
export interface IKafkaCluster {
  /** Which kind of cluster this is. */
  readonly kind: ClusterKind;
  /** Whether CloudFormation can manage its topics natively (`AWS::MSK::Topic`). */
  readonly supportsTopicResource: boolean;
  /** ARN of an MSK cluster; undefined for self-managed Kafka. */
  readonly clusterArn?: string;
  /** VPC the brokers live in; functions that talk to Kafka are placed there. Undefined: reachable directly. */
  readonly vpc?: ec2.IVpc;
  /** Subnets for functions that talk to Kafka. */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Security group a function joins to reach the brokers. */
  readonly clientSecurityGroup?: ec2.ISecurityGroup;
  /** Environment variables telling functions/commons/kafka-client.ts how to connect. */
  readonly clientEnvironment: Readonly<Record<string, string>>;
  /** Lets `grantee` write to the topics. */
  grantProduce(grantee: iam.IGrantable, ...topics: string[]): iam.Grant;
  /** Lets `grantee` read the topic as the consumer group. */
  grantConsume(grantee: iam.IGrantable, topic: string, consumerGroupId: string): iam.Grant;
  /** Lets `grantee` create, grow, describe and delete the topics. */
  grantTopicAdmin(grantee: iam.IGrantable, ...topics: string[]): iam.Grant;
  /** Subscribes `fn` to a topic with an event source mapping, granting what the mapping needs. */
  addConsumer(fn: lambda.IFunction, options: KafkaConsumerOptions): void;
}

/** Properties of an MSK cluster (serverless or provisioned). */
export interface MskClusterProps {
  /** `serverless` or `provisioned`. */
  readonly kind: 'serverless' | 'provisioned';
  /** Cluster name, unique in the account and region (1-64 chars). */
  readonly clusterName: string;
  /** VPC for the brokers; its subnets in two AZs host them. */
  readonly vpc: ec2.IVpc;
  /** Subnets for brokers and clients. */
  readonly vpcSubnets: ec2.SubnetSelection;
  /**
   * Kafka version of a provisioned cluster; a `.kraft` suffix selects KRaft metadata mode.
   * @default '3.9.x.kraft'
   */
  readonly kafkaVersion?: string;
  /**
   * Broker instance type of a provisioned cluster.
   * @default 'kafka.t3.small'
   */
  readonly instanceType?: string;
  /**
   * EBS volume per broker of a provisioned cluster, in GiB.
   * @default 10
   */
  readonly volumeSizeGiB?: number;
}

/** Construct id of the mapping that feeds a function from `topic`. */
function mappingId(topic: string): string {
  return `KafkaEventSource${topic.replace(/[^A-Za-z0-9]/g, '')}`;
}

/** The actions and resources of one IAM statement on the cluster. */
interface KafkaStatement {
  readonly actions: string[];
  readonly resourceArns: string[];
}

/** Event source mapping options common to MSK and self-managed Kafka. */
function mappingOptions(options: KafkaConsumerOptions): lambda.EventSourceMappingOptions {
  const p = options.provisioned;
  const common: lambda.EventSourceMappingOptions = {
    kafkaTopic: options.topic,
    kafkaConsumerGroupId: options.consumerGroupId,
    startingPosition: lambda.StartingPosition.TRIM_HORIZON,
    batchSize: options.batchSize,
    maxBatchingWindow: options.maxBatchingWindow,
  };
  if (!p) return common;
  const pollers = {
    provisionedPollerConfig: { minimumPollers: p.minimumPollers, maximumPollers: p.maximumPollers },
    reportBatchItemFailures: true,
  };
  if (!p.onFailureTopic) {
    // No destination: retry until the batch succeeds, as on demand, so records are never skipped.
    return { ...common, ...pollers, retryAttempts: -1 };
  }
  return {
    ...common,
    ...pollers,
    retryAttempts: p.retryAttempts,
    bisectBatchOnError: p.bisectBatchOnError,
    maxRecordAge: p.maxRecordAgeSeconds === -1 ? undefined : Duration.seconds(p.maxRecordAgeSeconds),
    onFailure: new KafkaDlq(p.onFailureTopic),
  };
}

/**
 * An Amazon MSK cluster with IAM authentication, TLS in transit and encryption at rest: MSK Serverless
 * by default, or a small provisioned cluster in KRaft mode.
 */
export class MskCluster extends Construct implements IKafkaCluster {
  public readonly kind: 'serverless' | 'provisioned';
  public readonly supportsTopicResource: boolean;
  public readonly clusterArn: string;
  public readonly clusterName: string;
  public readonly vpc: ec2.IVpc;
  public readonly vpcSubnets: ec2.SubnetSelection;
  /** Functions join this group to reach the brokers. */
  public readonly clientSecurityGroup: ec2.ISecurityGroup;
  /** The brokers' group; event source mappings place their network interfaces in it too. */
  public readonly clusterSecurityGroup: ec2.ISecurityGroup;
  public readonly clientEnvironment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: MskClusterProps) {
    super(scope, id);
    if (!/^[A-Za-z][A-Za-z0-9-]{0,63}$/.test(props.clusterName)) {
      throw new Error(
        `invalid clusterName "${props.clusterName}": use 1-64 letters, digits and -, starting with a letter`,
      );
    }
    this.kind = props.kind;
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

    const subnetIds = props.vpc.selectSubnets(props.vpcSubnets).subnetIds;
    if (props.kind === 'serverless') {
      const cluster = new msk.CfnServerlessCluster(this, 'Resource', {
        clusterName: props.clusterName,
        clientAuthentication: { sasl: { iam: { enabled: true } } },
        vpcConfigs: [{ subnetIds, securityGroups: [clusterSg.securityGroupId] }],
      });
      this.clusterArn = cluster.attrArn;
      this.supportsTopicResource = false; // AWS::MSK::Topic needs a provisioned cluster
    } else {
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
        numberOfBrokerNodes: subnetIds.length,
        brokerNodeGroupInfo: {
          instanceType: props.instanceType ?? 'kafka.t3.small',
          clientSubnets: subnetIds,
          securityGroups: [clusterSg.securityGroupId],
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
      this.supportsTopicResource = true;
    }
    this.clientEnvironment = { KAFKA_CLUSTER_ARN: this.clusterArn, KAFKA_AUTH: 'iam' };
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
    fn.addEventSourceMapping(mappingId(options.topic), {
      eventSourceArn: this.clusterArn,
      ...mappingOptions(options),
    });
    this.grantConsume(fn, options.topic, options.consumerGroupId);
    // With an on-failure topic the mapping writes failed records there using the function's role.
    if (options.provisioned?.onFailureTopic) this.grantProduce(fn, options.provisioned.onFailureTopic);
  }
}

/** Properties of a self-managed Kafka cluster. */
export interface SelfManagedKafkaProps {
  /** host:port of one or more brokers, reachable from Lambda without a VPC. */
  readonly bootstrapServers: readonly string[];
}

/**
 * Kafka run by the user (for example the container beside LocalStack), reached over plain TCP with no
 * authentication. Nothing is provisioned for it, so it is not a construct, and there is no IAM to
 * grant: access is whatever the brokers allow.
 */
export class SelfManagedKafka implements IKafkaCluster {
  public readonly kind = 'self-managed' as const;
  public readonly supportsTopicResource = false;
  public readonly clientEnvironment: Readonly<Record<string, string>>;
  public readonly bootstrapServers: readonly string[];

  constructor(props: SelfManagedKafkaProps) {
    if (props.bootstrapServers.length === 0)
      throw new Error('bootstrapServers must list at least one host:port');
    this.bootstrapServers = props.bootstrapServers;
    this.clientEnvironment = {
      KAFKA_BOOTSTRAP_SERVERS: props.bootstrapServers.join(','),
      KAFKA_AUTH: 'none',
    };
  }

  public grantProduce(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.drop(grantee, 'produce to self-managed Kafka, which has no IAM');
  }

  public grantConsume(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.drop(grantee, 'consume from self-managed Kafka, which has no IAM');
  }

  public grantTopicAdmin(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.drop(grantee, 'manage topics of self-managed Kafka, which has no IAM');
  }

  public addConsumer(fn: lambda.IFunction, options: KafkaConsumerOptions): void {
    // CDK's SelfManagedKafkaEventSource insists on a secret or a VPC; a plain broker needs neither,
    // so the mapping is declared directly.
    fn.addEventSourceMapping(mappingId(options.topic), {
      kafkaBootstrapServers: [...this.bootstrapServers],
      ...mappingOptions(options),
    });
  }
}
