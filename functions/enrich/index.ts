/** Lambda entry point of the enrich function (Kafka event source mapping on `orders`). */
import { kafkaConsumer } from '@aws-lambda-powertools/kafka';
import type { Context } from 'aws-lambda';
import { poisonPolicyFromEnv } from '../commons/batch';
import { getProducer } from '../commons/kafka-client';
import { OrderSchema } from '../commons/orders';
import { logger, metrics } from '../commons/powertools';
import { PIPELINE_TOPICS, topicFromEnv } from '../commons/names';
import { createEnrichHandler } from './enrich';

const enrich = createEnrichHandler({
  producer: () => getProducer(),
  enrichedTopic: topicFromEnv('ENRICHED_TOPIC', PIPELINE_TOPICS.enriched),
  deadLetterTopic: topicFromEnv('DEAD_LETTER_TOPIC', PIPELINE_TOPICS.deadLetter),
  policy: poisonPolicyFromEnv(),
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'enrich',
  logger,
  metrics,
});

export const handler = kafkaConsumer(
  async (event, _context: Context) => {
    try {
      return await enrich(event as Parameters<typeof enrich>[0]);
    } finally {
      metrics.publishStoredMetrics();
    }
  },
  { value: { type: 'json', parserSchema: OrderSchema } },
);
