import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { IKafkaCluster, KafkaConsumerOptions, TopicReplication } from './kafka-cluster';
import { kafkaMappingId, kafkaMappingOptions } from './kafka-event-source';

/** Properties of a self-managed Kafka cluster. */
export interface SelfManagedKafkaClusterProps {
  /** host:port of one or more brokers, reachable from Lambda without a VPC. */
  readonly bootstrapServers: readonly string[];
}

/**
 * Kafka run by the user (for example the container beside LocalStack), reached over plain TCP with no
 * authentication. It deploys no resources of its own, and there is no IAM to grant: access is whatever
 * the brokers allow, so its grants are dropped grants (`success` is false), as aws-cdk returns for
 * resources whose policies it cannot change. Its topics get one copy and `min.insync.replicas` 1, as
 * the single broker of that container can hold.
 */
export class SelfManagedKafkaCluster extends Construct implements IKafkaCluster {
  public readonly kind = 'self-managed' as const;
  public readonly supportsTopicResource = false;
  public readonly topicReplication: TopicReplication = {
    replicationFactor: 1,
    minInsyncReplicas: 1,
    setByService: false,
  };
  public readonly clientEnvironment: Readonly<Record<string, string>>;
  public readonly bootstrapServers: readonly string[];

  constructor(scope: Construct, id: string, props: SelfManagedKafkaClusterProps) {
    super(scope, id);
    if (props.bootstrapServers.length === 0)
      throw new Error('bootstrapServers must list at least one host:port');
    this.bootstrapServers = props.bootstrapServers;
    this.clientEnvironment = {
      KAFKA_BOOTSTRAP_SERVERS: props.bootstrapServers.join(','),
      KAFKA_AUTH: 'none',
    };
  }

  public grantProduce(grantee: iam.IGrantable, ..._topics: string[]): iam.Grant {
    return iam.Grant.drop(grantee, 'produce to self-managed Kafka, which has no IAM');
  }

  public grantConsume(grantee: iam.IGrantable, _topic: string, _consumerGroupId: string): iam.Grant {
    return iam.Grant.drop(grantee, 'consume from self-managed Kafka, which has no IAM');
  }

  public grantTopicAdmin(grantee: iam.IGrantable, ..._topics: string[]): iam.Grant {
    return iam.Grant.drop(grantee, 'manage topics of self-managed Kafka, which has no IAM');
  }

  public addConsumer(fn: lambda.IFunction, options: KafkaConsumerOptions): void {
    // CDK's SelfManagedKafkaEventSource insists on a secret or a VPC; a plain broker needs neither,
    // so the mapping is declared directly.
    fn.addEventSourceMapping(kafkaMappingId(options.topic), {
      kafkaBootstrapServers: [...this.bootstrapServers],
      ...kafkaMappingOptions(options),
    });
  }
}
