import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { PIPELINE_TOPICS } from '../../functions/commons/names';
import type { WorkshopConfig } from '../config';
import type { IKafkaCluster, KafkaConsumerOptions } from '../kafka/kafka-cluster';
import { PipelineFunction } from './pipeline-function';
import { PipelineMonitoring } from './pipeline-monitoring';
import { PipelineTopics } from './pipeline-topics';

/** Properties of the pipeline stack. */
export interface PipelineStackProps extends StackProps {
  /** The validated workshop configuration. */
  readonly config: WorkshopConfig;
  /** Where the topics live. */
  readonly cluster: IKafkaCluster;
}

/** Consumer group ids, explicit so they are known before deploy and stable across redeploys. */
export function consumerGroupIds(stage: string) {
  return { enrich: `kw-${stage}-enrich`, ledger: `kw-${stage}-ledger` };
}

/**
 * The pipeline: ingest (Function URL) → `orders` → enrich → `orders.enriched` → ledger → DynamoDB,
 * with `orders.dlq` for records that cannot be processed, and alarms plus a dashboard.
 */
export class PipelineStack extends Stack {
  public readonly ingest: PipelineFunction;
  public readonly enrich: PipelineFunction;
  public readonly ledger: PipelineFunction;
  public readonly table: dynamodb.Table;
  public readonly ingestUrl: lambda.FunctionUrl;
  public readonly topics: PipelineTopics;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config, cluster } = props;
    const groups = consumerGroupIds(config.stage);
    const retention = { 'retention.ms': String(7 * 24 * 3_600_000) };

    this.topics = new PipelineTopics(this, 'Topics', {
      cluster,
      topics: [
        { name: PIPELINE_TOPICS.orders, partitions: config.topicPartitions, configs: retention },
        { name: PIPELINE_TOPICS.enriched, partitions: config.topicPartitions, configs: retention },
        {
          name: PIPELINE_TOPICS.deadLetter,
          partitions: 1,
          configs: { 'retention.ms': String(14 * 24 * 3_600_000) },
        },
      ],
    });

    this.table = new dynamodb.Table(this, 'LedgerTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const topicEnvironment = {
      ORDERS_TOPIC: PIPELINE_TOPICS.orders,
      ENRICHED_TOPIC: PIPELINE_TOPICS.enriched,
      DEAD_LETTER_TOPIC: PIPELINE_TOPICS.deadLetter,
    };
    // Enrich: in provisioned mode its mapping's on-failure topic takes poison records; on demand there is
    // no such destination, so enrich writes them to the dead-letter topic itself.
    // Ledger: always dead-letters poison itself and its mapping never skips a batch, even in provisioned
    // mode, because its running totals rely on each partition being applied in order (ledger-writer.ts).
    const enrichPoisonPolicy = config.esmMode === 'provisioned' ? 'report' : 'dead-letter';

    this.ingest = new PipelineFunction(this, 'Ingest', {
      handlerFolder: 'ingest',
      description: 'Validates HTTP orders and produces them to the orders topic',
      cluster,
      environment: topicEnvironment,
      timeout: Duration.seconds(15),
    });
    cluster.grantProduce(this.ingest, PIPELINE_TOPICS.orders);
    this.ingestUrl = this.ingest.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    this.enrich = new PipelineFunction(this, 'Enrich', {
      handlerFolder: 'enrich',
      description: 'Adds totals and a classification to orders',
      cluster,
      environment: { ...topicEnvironment, POISON_POLICY: enrichPoisonPolicy },
      timeout: Duration.minutes(1),
    });
    cluster.grantProduce(this.enrich, PIPELINE_TOPICS.enriched, PIPELINE_TOPICS.deadLetter);

    this.ledger = new PipelineFunction(this, 'Ledger', {
      handlerFolder: 'ledger',
      description: 'Records enriched orders and per-customer totals, idempotently',
      cluster,
      environment: {
        ...topicEnvironment,
        POISON_POLICY: 'dead-letter',
        LEDGER_TABLE_NAME: this.table.tableName,
      },
      timeout: Duration.minutes(1),
    });
    cluster.grantProduce(this.ledger, PIPELINE_TOPICS.deadLetter);
    this.table.grant(this.ledger, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');

    const mapping = (
      topic: string,
      consumerGroupId: string,
      onFailureTopic?: string,
    ): KafkaConsumerOptions => ({
      topic,
      consumerGroupId,
      batchSize: config.batchSize,
      maxBatchingWindow: Duration.seconds(config.batchWindowSeconds),
      provisioned: config.provisioned && { ...config.provisioned, onFailureTopic },
    });
    cluster.addConsumer(
      this.enrich,
      mapping(PIPELINE_TOPICS.orders, groups.enrich, PIPELINE_TOPICS.deadLetter),
    );
    cluster.addConsumer(this.ledger, mapping(PIPELINE_TOPICS.enriched, groups.ledger));
    // Mappings start polling once their topics exist.
    this.enrich.node.addDependency(this.topics);
    this.ledger.node.addDependency(this.topics);

    new PipelineMonitoring(this, 'Monitoring', {
      dashboardName: `kw-${config.stage}-pipeline`,
      ingest: this.ingest,
      consumers: [
        { fn: this.enrich, topic: PIPELINE_TOPICS.orders },
        { fn: this.ledger, topic: PIPELINE_TOPICS.enriched },
      ],
    });

    new CfnOutput(this, 'IngestUrl', {
      value: this.ingestUrl.url,
      description: 'POST orders here (SigV4-signed, AWS_IAM auth)',
    });
    new CfnOutput(this, 'LedgerTableName', { value: this.table.tableName });
  }
}
