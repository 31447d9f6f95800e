/** Lambda entry point of the enrich function (Kafka event source mapping on `orders`). */
import { poisonPolicyFromEnv } from '../commons/batch';
import { getProducer } from '../commons/kafka-client';
import { PIPELINE_TOPICS, topicFromEnv } from '../commons/names';
import { instrumented, logger, metrics } from '../commons/powertools';
import { createEnrichHandler } from './enrich';

export const handler = instrumented(
  createEnrichHandler({
    producer: getProducer,
    enrichedTopic: topicFromEnv('ENRICHED_TOPIC', PIPELINE_TOPICS.enriched),
    deadLetterTopic: topicFromEnv('DEAD_LETTER_TOPIC', PIPELINE_TOPICS.deadLetter),
    policy: poisonPolicyFromEnv(),
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'enrich',
    logger,
    metrics,
  }),
  { logger, metrics },
);
