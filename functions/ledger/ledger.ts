/**
 * Ledger: the pipeline's sink. Consumes `orders.enriched` and records each order and its customer's
 * running totals in DynamoDB, idempotently (see ledger-writer.ts).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { kafkaConsumer } from '@aws-lambda-powertools/kafka';
import type { ConsumerRecords } from '@aws-lambda-powertools/kafka/types';
import type { Context, MSKEvent } from 'aws-lambda';
import type { Message, Producer } from 'kafkajs';
import {
  PoisonRecordError,
  processByPartition,
  type BatchResponse,
  type PoisonPolicy,
} from '../commons/batch';
import { deadLetterMessage } from '../commons/dead-letter';
import { EnrichedOrderSchema, type EnrichedOrder } from '../commons/orders';
import type { LedgerOutcome, LedgerWriter } from './ledger-writer';

export interface LedgerDependencies {
  readonly writer: Pick<LedgerWriter, 'apply'>;
  readonly producer: () => Promise<Pick<Producer, 'send'>>;
  readonly deadLetterTopic: string;
  readonly policy: PoisonPolicy;
  readonly functionName: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

const OUTCOME_METRICS: Record<LedgerOutcome, string> = {
  applied: 'LedgerApplied',
  replayed: 'LedgerReplaysSkipped',
  'duplicate-order': 'LedgerDuplicateOrders',
};

/**
 * Builds the Lambda handler: Powertools' Kafka consumer decodes each record and validates its value
 * against {@link EnrichedOrderSchema} when the record is first read.
 */
export function createLedgerHandler(
  deps: LedgerDependencies,
): (event: MSKEvent, context: Context) => Promise<BatchResponse> {
  const processBatch = async (
    event: ConsumerRecords<string | undefined, EnrichedOrder>,
  ): Promise<BatchResponse> => {
    const counts: Record<LedgerOutcome, number> = { applied: 0, replayed: 0, 'duplicate-order': 0 };
    const deadLetters: Message[] = [];

    const response = await processByPartition(event.records, {
      policy: deps.policy,
      process: async (record) => {
        const order = record.value;
        if (order === null || order === undefined) throw new PoisonRecordError('record has no value');
        counts[await deps.writer.apply(order)] += 1;
      },
      deadLetter: async (record, reason) => {
        deps.logger.warn('poison record sent to the dead-letter topic', {
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
          reason: reason.message,
        });
        deadLetters.push(deadLetterMessage(record, reason, deps.functionName));
      },
    });

    if (deadLetters.length > 0) {
      const producer = await deps.producer();
      await producer.send({ topic: deps.deadLetterTopic, messages: deadLetters, acks: -1 });
    }
    for (const outcome of Object.keys(counts) as LedgerOutcome[]) {
      deps.metrics.addMetric(OUTCOME_METRICS[outcome], MetricUnit.Count, counts[outcome]);
    }
    deps.metrics.addMetric('DeadLettered', MetricUnit.Count, deadLetters.length);
    return response;
  };
  return kafkaConsumer<string | undefined, EnrichedOrder>(
    async (event) => {
      try {
        return await processBatch(event);
      } finally {
        deps.metrics.publishStoredMetrics();
      }
    },
    { value: { type: 'json', parserSchema: EnrichedOrderSchema } },
  ) as (event: MSKEvent, context: Context) => Promise<BatchResponse>;
}
