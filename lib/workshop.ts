import { Tags, Validations, type App, type Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { WorkshopConfig } from './config';
import type { IKafkaCluster } from './kafka/kafka-cluster';
import { KafkaStack } from './kafka/kafka-stack';
import { SelfManagedKafkaCluster } from './kafka/self-managed-kafka-cluster';
import { NetworkStack } from './network/network-stack';
import { PipelineStack } from './pipeline/pipeline-stack';
import { PROJECT_TAG, stackNames } from './stack-names';
import { SelfDestruct } from './teardown/self-destruct';

export interface WorkshopStacks {
  readonly network?: NetworkStack;
  readonly kafka?: KafkaStack;
  readonly pipeline: PipelineStack;
  /** Every stack, in deployment order. */
  readonly all: readonly Stack[];
}

/**
 * Builds every stack of the workshop from one configuration. Environment-agnostic: no account or
 * region, no lookups, so synth needs no credentials.
 */
export function buildWorkshop(
  app: App,
  config: WorkshopConfig,
  options: { nag?: boolean } = {},
): WorkshopStacks {
  const names = stackNames(config.stage);
  let network: NetworkStack | undefined;
  let kafka: KafkaStack | undefined;
  let cluster: IKafkaCluster;

  if (config.cluster === 'self-managed') {
    // It deploys nothing, so it needs no stack of its own: it sits beside the pipeline stack that uses it.
    cluster = new SelfManagedKafkaCluster(app, 'SelfManagedKafka', {
      bootstrapServers: config.bootstrapServers,
    });
  } else {
    network = new NetworkStack(app, names.network, {
      description: 'Serverless Kafka workshop: VPC and endpoints',
    });
    kafka = new KafkaStack(app, names.kafka, {
      description: `Serverless Kafka workshop: MSK ${config.cluster} cluster`,
      kind: config.cluster,
      clusterName: `kw-${config.stage}`,
      kafkaVersion: config.kafkaVersion,
      vpc: network.vpc,
      vpcSubnets: network.privateSubnets,
    });
    cluster = kafka.cluster;
  }

  const pipeline = new PipelineStack(app, names.pipeline, {
    description: 'Serverless Kafka workshop: ingest, enrich and ledger functions, topics and table',
    config,
    cluster,
  });

  const all: Stack[] = [network, kafka, pipeline].filter((s): s is NonNullable<typeof s> => s !== undefined);
  for (const stack of all) {
    Tags.of(stack).add('project', PROJECT_TAG);
    Tags.of(stack).add('stage', config.stage);
    Tags.of(stack).add('owner', config.owner);
    Tags.of(stack).add('expires-at', config.expiresAt);
  }
  if (config.selfDestruct) {
    // A stack can go once every stack deployed after it (which may import from it) is gone.
    all.forEach((stack, index) => {
      new SelfDestruct(stack, 'SelfDestruct', {
        expiresAt: config.expiresAt,
        waitFor: all.slice(index + 1).map((later) => later.stackName),
      });
    });
  }
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { network, kafka, pipeline, all };
}
