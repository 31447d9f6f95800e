/** Lambda entry point of the ingest function (Function URL, AWS_IAM auth). */
import { getProducer } from '../commons/kafka-client';
import { logger, metrics } from '../commons/powertools';
import { PIPELINE_TOPICS, topicFromEnv } from '../commons/names';
import { createIngestHandler } from './ingest';

const ingest = createIngestHandler({
  producer: () => getProducer(),
  topic: topicFromEnv('ORDERS_TOPIC', PIPELINE_TOPICS.orders),
  logger,
  metrics,
});

export const handler: typeof ingest = async (event) => {
  try {
    return await ingest(event);
  } finally {
    metrics.publishStoredMetrics();
  }
};
