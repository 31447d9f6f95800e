/**
 * Enrich: a stream processor. Consumes `orders`, adds totals and a classification, and produces to
 * `orders.enriched` with the same key (so a customer's orders keep their order) and headers naming the
 * source partition and offset (so the ledger can recognise a record it has already applied).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { kafkaConsumer } from '@aws-lambda-powertools/kafka';
import type { ConsumerRecord, ConsumerRecords } from '@aws-lambda-powertools/kafka/types';
import type { Context, MSKEvent } from 'aws-lambda';
import type { Message, Producer } from 'kafkajs';
import {
  PoisonRecordError,
  processByPartition,
  type BatchResponse,
  type PoisonPolicy,
} from '../commons/batch';
import { deadLetterMessage } from '../commons/dead-letter';
import { HEADERS, OrderSchema, type Order } from '../commons/orders';
import { enrichOrder } from './enrich-order';

export interface EnrichDependencies {
  readonly producer: () => Promise<Pick<Producer, 'sendBatch'>>;
  readonly enrichedTopic: string;
  readonly deadLetterTopic: string;
  readonly policy: PoisonPolicy;
  readonly functionName: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * Builds the Lambda handler: Powertools' Kafka consumer decodes each record's base64 key and JSON value
 * and validates the value against {@link OrderSchema} when the record is first read.
 */
export function createEnrichHandler(
  deps: EnrichDependencies,
): (event: MSKEvent, context: Context) => Promise<BatchResponse> {
  const processBatch = async (event: ConsumerRecords<string | undefined, Order>): Promise<BatchResponse> => {
    const enriched: Message[] = [];
    const deadLetters: Message[] = [];

    const response = await processByPartition(event.records, {
      policy: deps.policy,
      process: async (record: ConsumerRecord<string | undefined, Order>) => {
        const order = record.value; // decoding and schema validation happen here; failures are poison
        if (order === null || order === undefined) throw new PoisonRecordError('record has no value');
        const result = enrichOrder(order, record);
        enriched.push({
          key: record.key ?? order.customerId,
          value: JSON.stringify(result),
          headers: {
            [HEADERS.orderId]: order.orderId,
            [HEADERS.contentType]: 'application/json',
            [HEADERS.sourceTopic]: record.topic,
            [HEADERS.sourcePartition]: String(record.partition),
            [HEADERS.sourceOffset]: String(record.offset),
          },
        });
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

    const topicMessages = [
      { topic: deps.enrichedTopic, messages: enriched },
      { topic: deps.deadLetterTopic, messages: deadLetters },
    ].filter((t) => t.messages.length > 0);
    if (topicMessages.length > 0) {
      // One request for the whole batch; if it fails the batch is retried and the ledger absorbs the repeats.
      const producer = await deps.producer();
      await producer.sendBatch({ topicMessages, acks: -1 });
    }

    deps.metrics.addMetric('OrdersEnriched', MetricUnit.Count, enriched.length);
    deps.metrics.addMetric('DeadLettered', MetricUnit.Count, deadLetters.length);
    if (response.batchItemFailures.length > 0) {
      deps.metrics.addMetric('BatchItemFailures', MetricUnit.Count, response.batchItemFailures.length);
      deps.logger.warn('reporting failed records to the event source mapping', {
        failures: response.batchItemFailures,
      });
    }
    return response;
  };
  return kafkaConsumer<string | undefined, Order>(
    async (event) => {
      try {
        return await processBatch(event);
      } finally {
        deps.metrics.publishStoredMetrics();
      }
    },
    { value: { type: 'json', parserSchema: OrderSchema } },
  ) as (event: MSKEvent, context: Context) => Promise<BatchResponse>;
}
