/**
 * Ledger: the pipeline's sink. Consumes `orders.enriched` and records each order and its customer's
 * running totals in DynamoDB, idempotently (see ledger-writer.ts).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Producer } from 'kafkajs';
import {
  kafkaBatchHandler,
  PoisonRecordError,
  processByPartition,
  splitPoison,
  type KafkaBatchHandler,
  type PoisonPolicy,
} from '../commons/batch';
import { DeadLetters } from '../commons/dead-letter';
import { EnrichedOrderSchema } from '../commons/orders';
import type { LedgerOutcome, LedgerWriter } from './ledger-writer';

export interface LedgerDependencies {
  readonly writer: Pick<LedgerWriter, 'apply' | 'applyInOrder'>;
  readonly producer: () => Promise<Pick<Producer, 'send'>>;
  readonly deadLetterTopic: string;
  readonly policy: PoisonPolicy;
  readonly functionName: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Customers whose records are written at once within a partition (see processByPartition). */
export const LEDGER_KEY_CONCURRENCY = 16;

const OUTCOME_METRICS: Record<LedgerOutcome, string> = {
  applied: 'LedgerApplied',
  replayed: 'LedgerReplaysSkipped',
  'duplicate-order': 'LedgerDuplicateOrders',
};

/** Builds the Lambda handler; values are validated against {@link EnrichedOrderSchema} as they are read. */
export function createLedgerHandler(deps: LedgerDependencies): KafkaBatchHandler {
  return kafkaBatchHandler(EnrichedOrderSchema, async (event) => {
    const counts: Record<LedgerOutcome, number> = { applied: 0, replayed: 0, 'duplicate-order': 0 };
    const deadLetters = new DeadLetters(deps.logger, deps.functionName);

    const response = await processByPartition(event.records, {
      policy: deps.policy,
      // One customer's totals are one item: customers' records are independent of each other's, so
      // their round trips overlap (each customer's still in offset order, which its mark needs), and
      // a customer's new orders of the batch are added to its totals in one update.
      keyConcurrency: LEDGER_KEY_CONCURRENCY,
      processKey: async (records) => {
        const orders = await splitPoison(records, deadLetters.add);
        for (const outcome of await deps.writer.applyInOrder(orders)) {
          counts[outcome] += 1;
        }
      },
      process: async (record) => {
        const order = record.value;
        if (order === null || order === undefined) throw new PoisonRecordError('record has no value');
        counts[await deps.writer.apply(order)] += 1;
      },
      deadLetter: deadLetters.add,
    });

    if (deadLetters.messages.length > 0) {
      const producer = await deps.producer();
      await producer.send({ topic: deps.deadLetterTopic, messages: deadLetters.messages, acks: -1 });
    }
    for (const outcome of Object.keys(counts) as LedgerOutcome[]) {
      deps.metrics.addMetric(OUTCOME_METRICS[outcome], MetricUnit.Count, counts[outcome]);
    }
    deps.metrics.addMetric('DeadLettered', MetricUnit.Count, deadLetters.messages.length);
    return response;
  });
}
