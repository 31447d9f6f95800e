/** Lambda entry point of the ingest function (Function URL, AWS_IAM auth). */
import { getProducer } from '../commons/kafka-client';
import { PIPELINE_TOPICS, topicFromEnv } from '../commons/names';
import { instrumented, logger, metrics } from '../commons/powertools';
import { createIngestHandler } from './ingest';

export const handler = instrumented(
  createIngestHandler({
    producer: getProducer,
    topic: topicFromEnv('ORDERS_TOPIC', PIPELINE_TOPICS.orders),
    clusterArn: process.env.KAFKA_CLUSTER_ARN,
    logger,
    metrics,
  }),
  { logger, metrics },
);
