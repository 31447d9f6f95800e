import { CustomResource, Duration } from 'aws-cdk-lib';
import * as msk from 'aws-cdk-lib/aws-msk';
import { Construct } from 'constructs';
import type { IKafkaCluster } from '../kafka/kafka-cluster';
import { PipelineFunction } from './pipeline-function';

/** One topic of the pipeline. */
export interface TopicSpec {
  /** Topic name. */
  readonly name: string;
  /** Partition count; can grow later, never shrink. */
  readonly partitions: number;
  /**
   * Topic-level configs such as retention.ms.
   * @default - the cluster's defaults
   */
  readonly configs?: Record<string, string>;
}

/** Properties of the pipeline's topics. */
export interface PipelineTopicsProps {
  /** Cluster the topics live on. */
  readonly cluster: IKafkaCluster;
  /** Topics to create. */
  readonly topics: readonly TopicSpec[];
  /**
   * Replication factor where the template must state one (`AWS::MSK::Topic`).
   * @default 2 — one copy per AZ of the provisioned cluster
   */
  readonly replicationFactor?: number;
}

/**
 * The pipeline's topics as CloudFormation resources: `AWS::MSK::Topic` where the cluster supports it,
 * otherwise a custom resource backed by the topic-admin function, which runs a Kafka admin client
 * inside the cluster's VPC (create, grow partitions, delete with the stack).
 */
export class PipelineTopics extends Construct {
  /** The topic-admin function, when the cluster needs one. */
  public readonly adminFunction?: PipelineFunction;

  constructor(scope: Construct, id: string, props: PipelineTopicsProps) {
    super(scope, id);
    const names = props.topics.map((t) => t.name);
    if (new Set(names).size !== names.length)
      throw new Error(`duplicate topic names in [${names.join(', ')}]`);

    if (props.cluster.supportsTopicResource) {
      if (!props.cluster.clusterArn) throw new Error('a cluster with topic resources must have a clusterArn');
      for (const topic of props.topics) {
        new msk.CfnTopic(this, logicalName(topic.name), {
          clusterArn: props.cluster.clusterArn,
          topicName: topic.name,
          partitionCount: topic.partitions,
          replicationFactor: props.replicationFactor ?? 2,
          configs: topic.configs ? encodeConfigs(topic.configs) : undefined,
        });
      }
      return;
    }

    const admin = new PipelineFunction(this, 'AdminFunction', {
      handlerFolder: 'topic-admin',
      description: 'Creates, grows and deletes the pipeline topics for CloudFormation',
      cluster: props.cluster,
      timeout: Duration.minutes(2),
    });
    props.cluster.grantTopicAdmin(admin, ...names);
    this.adminFunction = admin;
    for (const topic of props.topics) {
      new CustomResource(this, logicalName(topic.name), {
        serviceToken: admin.functionArn,
        resourceType: 'Custom::KafkaTopic',
        properties: {
          TopicName: topic.name,
          Partitions: topic.partitions,
          ReplicationFactor: -1,
          Configs: topic.configs ?? {},
        },
      });
    }
  }
}

/** `orders.enriched` → `OrdersEnriched`: stable construct ids from topic names. */
function logicalName(topic: string): string {
  return topic
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}

/** AWS::MSK::Topic takes configs as base64 of a server.properties-style text. */
function encodeConfigs(configs: Record<string, string>): string {
  const text = Object.entries(configs)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n');
  return Buffer.from(text, 'utf8').toString('base64');
}
