import type { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { ClusterKind, ProvisionedModeConfig } from '../config';

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

/**
 * How many copies of each partition a cluster keeps, and how many of them must have a write before an
 * `acks=all` produce is answered: what the pipeline's topics get on that cluster.
 */
export interface TopicReplication {
  /** Copies of each partition, on distinct brokers. */
  readonly replicationFactor: number;
  /** `min.insync.replicas`: in-sync copies an `acks=all` write needs; fewer refuse it (NOT_ENOUGH_REPLICAS). */
  readonly minInsyncReplicas: number;
  /**
   * The service fixes both and refuses them in CreateTopics (MSK Serverless): the template states them,
   * the topic-admin function does not send them.
   */
  readonly setByService: boolean;
}

/**
 * A Kafka cluster the pipeline can produce to, consume from and manage topics on. One class per kind
 * implements it: {@link MskServerlessCluster}, {@link MskProvisionedCluster}, {@link SelfManagedKafkaCluster}.
 */
export interface IKafkaCluster {
  /** Which kind of cluster this is. */
  readonly kind: ClusterKind;
  /** Whether CloudFormation can manage its topics natively (`AWS::MSK::Topic`). */
  readonly supportsTopicResource: boolean;
  /** Replication of the pipeline's topics on this cluster. */
  readonly topicReplication: TopicReplication;
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
