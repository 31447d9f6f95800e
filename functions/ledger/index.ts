/** Lambda entry point of the ledger function (Kafka event source mapping on `orders.enriched`). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { poisonPolicyFromEnv } from '../commons/batch';
import { PIPELINE_TOPICS, topicFromEnv } from '../commons/names';
import { instrumented, logger, metrics } from '../commons/powertools';
import { createLedgerHandler } from './ledger';
import { LedgerWriter } from './ledger-writer';

const tableName = process.env.LEDGER_TABLE_NAME;
if (!tableName) throw new Error('LEDGER_TABLE_NAME is not set: the ledger needs its DynamoDB table');

export const handler = instrumented(
  createLedgerHandler({
    // DYNAMODB_ENDPOINT points the SDK at a local DynamoDB-compatible store when running offline.
    writer: new LedgerWriter(
      new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT || undefined }),
      tableName,
    ),
    // The ledger writes to Kafka only to dead-letter a poison record: kafkajs and the client settings
    // (kafka-client.ts) are loaded on the first one, not at every cold start.
    producer: () =>
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require('../commons/kafka-client') as typeof import('../commons/kafka-client')).getProducer(),
    deadLetterTopic: topicFromEnv('DEAD_LETTER_TOPIC', PIPELINE_TOPICS.deadLetter),
    policy: poisonPolicyFromEnv(),
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'ledger',
    logger,
    metrics,
  }),
  { logger, metrics },
);
