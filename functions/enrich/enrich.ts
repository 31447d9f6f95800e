/**
 * Enrich: a stream processor. Consumes `orders`, adds totals and a classification, and produces to
 * `orders.enriched` with the same key (so a customer's orders keep their order) and headers naming the
 * source partition and offset (so the ledger can recognise a record it has already applied).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Message, Producer } from 'kafkajs';
import {
  kafkaBatchHandler,
  PoisonRecordError,
  processByPartition,
  type KafkaBatchHandler,
  type PoisonPolicy,
} from '../commons/batch';
import { DeadLetters } from '../commons/dead-letter';
import { HEADERS, OrderSchema } from '../commons/orders';
import { sendByKey } from '../commons/send-by-key';
import { enrichOrder } from './enrich-order';

export interface EnrichDependencies {
  readonly producer: () => Promise<Pick<Producer, 'send'>>;
  readonly enrichedTopic: string;
  readonly deadLetterTopic: string;
  readonly policy: PoisonPolicy;
  readonly functionName: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Builds the Lambda handler; record values are validated against {@link OrderSchema} as they are read. */
export function createEnrichHandler(deps: EnrichDependencies): KafkaBatchHandler {
  return kafkaBatchHandler(OrderSchema, async (event) => {
    const enriched: Message[] = [];
    const deadLetters = new DeadLetters(deps.logger, deps.functionName);

    const response = await processByPartition(event.records, {
      policy: deps.policy,
      process: async (record) => {
        const order = record.value; // decoding and schema validation happen here; failures are poison
        if (order === null || order === undefined) throw new PoisonRecordError('record has no value');
        enriched.push({
          // The key's bytes as received, so the record lands in the same partition of orders.enriched.
          key: record.originalKey ? Buffer.from(record.originalKey, 'base64') : null,
          value: JSON.stringify(enrichOrder(order, record)),
          headers: {
            [HEADERS.orderId]: order.orderId,
            [HEADERS.contentType]: 'application/json',
            [HEADERS.sourceTopic]: record.topic,
            [HEADERS.sourcePartition]: String(record.partition),
            [HEADERS.sourceOffset]: String(record.offset),
          },
        });
      },
      deadLetter: deadLetters.add,
    });

    const topicMessages = [
      { topic: deps.enrichedTopic, messages: enriched },
      { topic: deps.deadLetterTopic, messages: deadLetters.messages },
    ].filter((t) => t.messages.length > 0);
    if (topicMessages.length > 0) {
      // One call per key, so a leader move cannot drop a partition unnoticed (send-by-key.ts); if any
      // fails the batch is retried and the ledger absorbs the repeats.
      await sendByKey(await deps.producer(), topicMessages);
    }

    deps.metrics.addMetric('OrdersEnriched', MetricUnit.Count, enriched.length);
    deps.metrics.addMetric('DeadLettered', MetricUnit.Count, deadLetters.messages.length);
    if (response.batchItemFailures.length > 0) {
      deps.metrics.addMetric('BatchItemFailures', MetricUnit.Count, response.batchItemFailures.length);
      deps.logger.warn('reporting failed records to the event source mapping', {
        failures: response.batchItemFailures,
      });
    }
    return response;
  });
}
