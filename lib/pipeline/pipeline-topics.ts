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
   * @default - the cluster's defaults, and its `min.insync.replicas` (see {@link IKafkaCluster.topicReplication})
   */
  readonly configs?: Record<string, string>;
}

/** Properties of the pipeline's topics. */
export interface PipelineTopicsProps {
  /** Cluster the topics live on. */
  readonly cluster: IKafkaCluster;
  /** Topics to create. */
  readonly topics: readonly TopicSpec[];
}

/**
 * The pipeline's topics as CloudFormation resources: `AWS::MSK::Topic` where the cluster supports it,
 * otherwise a custom resource backed by the topic-admin function, which runs a Kafka admin client
 * inside the cluster's VPC (create, grow partitions, delete with the stack).
 *
 * Each states the replication factor and `min.insync.replicas` the cluster gives its topics, even where
 * the service sets them itself (MSK Serverless: `ReplicationSetByService`, and topic-admin sends
 * neither), so the template says what a deployment gets and the local runtime creates them alike.
 */
export class PipelineTopics extends Construct {
  /** The topic-admin function, when the cluster needs one. */
  public readonly adminFunction?: PipelineFunction;

  constructor(scope: Construct, id: string, props: PipelineTopicsProps) {
    super(scope, id);
    const names = props.topics.map((t) => t.name);
    if (new Set(names).size !== names.length)
      throw new Error(`duplicate topic names in [${names.join(', ')}]`);
    const replication = props.cluster.topicReplication;
    const configsOf = (topic: TopicSpec) => ({
      'min.insync.replicas': String(replication.minInsyncReplicas),
      ...topic.configs,
    });

    if (props.cluster.supportsTopicResource) {
      if (!props.cluster.clusterArn) throw new Error('a cluster with topic resources must have a clusterArn');
      for (const topic of props.topics) {
        new msk.CfnTopic(this, logicalName(topic.name), {
          clusterArn: props.cluster.clusterArn,
          topicName: topic.name,
          partitionCount: topic.partitions,
          replicationFactor: replication.replicationFactor,
          configs: encodeConfigs(configsOf(topic)),
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
          ReplicationFactor: replication.replicationFactor,
          Configs: configsOf(topic),
          ...(replication.setByService ? { ReplicationSetByService: true } : {}),
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
