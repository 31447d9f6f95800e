/**
 * Per-partition processing of a Kafka event source batch.
 *
 * Records of one partition are handled strictly in offset order. When one fails for good (it cannot be
 * decoded or validated), what happens next depends on the mapping's mode:
 * - `dead-letter` (on-demand mappings): the function writes the record to the dead-letter topic itself
 *   and carries on. On-demand mappings retry a failing batch until it succeeds, so without this a poison
 *   record would block its partition forever.
 * - `report` (provisioned mappings): the function stops that partition at the failed record and reports it
 *   in `batchItemFailures`; the mapping retries from there and, once retries run out, hands the record to
 *   its on-failure destination. Later records of the partition are not touched in this invocation, so
 *   nothing is processed twice.
 * Any other error (a broker or table that is unreachable) is thrown: the whole batch is delivered again,
 * which the idempotent steps downstream absorb.
 *
 * With `keyConcurrency` (dead-letter policy only), a partition's records are processed per key: each
 * key's records strictly in offset order, up to that many keys at once. Kafka orders records only per
 * partition, but a producer that keys by entity (the pipeline keys by customer) needs only each key's
 * order; a function whose writes for one key never touch another's (the ledger) then spends one
 * round trip's wait on many keys instead of one. The report policy keeps offset order: it stops at the
 * first failed record, and nothing after it may have been processed.
 */
import { kafkaConsumer } from '@aws-lambda-powertools/kafka';
import { KafkaConsumerError } from '@aws-lambda-powertools/kafka/errors';
import type { ConsumerRecord, ConsumerRecords } from '@aws-lambda-powertools/kafka/types';
import type { Context, MSKEvent } from 'aws-lambda';
import type * as z from 'zod/mini';

export type PoisonPolicy = 'dead-letter' | 'report';

/** A record that can never be processed; thrown by per-record steps to mark it as poison. */
export class PoisonRecordError extends Error {
  public override readonly name = 'PoisonRecordError';
}

export interface BatchItemFailure {
  itemIdentifier: { partition: string; offset: number };
}

/** The response a function returns to a mapping with ReportBatchItemFailures. */
export interface BatchResponse {
  batchItemFailures: BatchItemFailure[];
}

export interface PartitionBatchOptions<R> {
  readonly policy: PoisonPolicy;
  /** Processes one record; throws {@link PoisonRecordError} (or a decoding error) for poison. */
  readonly process: (record: R) => Promise<void>;
  /** Sends one poison record to the dead-letter topic (policy `dead-letter`). */
  readonly deadLetter: (record: R, reason: Error) => Promise<void>;
  /** Keys processed at once within a partition (dead-letter policy); 1, the default, is offset order. */
  readonly keyConcurrency?: number;
  /**
   * Processes one key's records (in offset order) together instead of `process` one by one, where a
   * function can combine them (the ledger adds a customer's new orders to its totals in one update).
   * Used with `keyConcurrency` only; it hands poison to `deadLetter` itself ({@link splitPoison}).
   */
  readonly processKey?: (records: readonly R[]) => Promise<void>;
}

/** Poison: our own verdict, or Powertools failing to decode or validate the record's value. */
export function isPoison(error: unknown): error is Error {
  return error instanceof PoisonRecordError || error instanceof KafkaConsumerError;
}

type AnyRecord = Pick<ConsumerRecord<unknown, unknown>, 'topic' | 'partition' | 'offset'> & {
  readonly originalKey?: string | null;
};

/** Groups records by `<topic>-<partition>`, keeping each partition's order. */
export function groupByPartition<R extends AnyRecord>(records: readonly R[]): Map<string, R[]> {
  const groups = new Map<string, R[]>();
  for (const record of records) {
    const id = `${record.topic}-${record.partition}`;
    const group = groups.get(id);
    if (group) group.push(record);
    else groups.set(id, [record]);
  }
  for (const group of groups.values()) group.sort((a, b) => a.offset - b.offset);
  return groups;
}

/**
 * Splits one partition's records (in offset order) by key, each key's records keeping their order.
 * Records without a key form one group of their own.
 */
export function groupByKey<R extends AnyRecord>(records: readonly R[]): R[][] {
  const groups = new Map<string | null | undefined, R[]>();
  for (const record of records) {
    const group = groups.get(record.originalKey);
    if (group) group.push(record);
    else groups.set(record.originalKey, [record]);
  }
  return [...groups.values()];
}

/** Runs `work` on each item, at most `limit` at once; rejects with the first error, once all settled. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  let failed = false;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !failed) {
      try {
        await work(items[next++]);
      } catch (error) {
        failed = true; // the batch fails as a whole: starting more keys would only be repeated
        throw error;
      }
    }
  });
  const results = await Promise.allSettled(workers);
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}

/** Runs the batch partition by partition (partitions in parallel); returns the items to report. */
export async function processByPartition<R extends AnyRecord>(
  records: readonly R[],
  options: PartitionBatchOptions<R>,
): Promise<BatchResponse> {
  const keyConcurrency = options.policy === 'dead-letter' ? (options.keyConcurrency ?? 1) : 1;
  const failures = await Promise.all(
    [...groupByPartition(records)].map(async ([partition, group]): Promise<BatchItemFailure | undefined> => {
      if (keyConcurrency > 1) {
        await eachLimited(groupByKey(group), keyConcurrency, async (keyRecords) => {
          if (options.processKey) return options.processKey(keyRecords);
          for (const record of keyRecords) {
            try {
              await options.process(record);
            } catch (error) {
              if (!isPoison(error)) throw error;
              await options.deadLetter(record, error);
            }
          }
        });
        return undefined;
      }
      for (const record of group) {
        try {
          await options.process(record);
        } catch (error) {
          if (!isPoison(error)) throw error;
          if (options.policy === 'report') return { itemIdentifier: { partition, offset: record.offset } };
          await options.deadLetter(record, error);
        }
      }
      return undefined;
    }),
  );
  return { batchItemFailures: failures.filter((f): f is BatchItemFailure => f !== undefined) };
}

/**
 * The values of a key's records, poison (a value that cannot be decoded, fails validation or is
 * missing) handed to `deadLetter`: what a {@link PartitionBatchOptions.processKey} starts with.
 */
export async function splitPoison<R extends { readonly value: unknown }>(
  records: readonly R[],
  deadLetter: (record: R, reason: Error) => Promise<void>,
): Promise<NonNullable<R['value']>[]> {
  const values: NonNullable<R['value']>[] = [];
  for (const record of records) {
    try {
      // Powertools decodes and validates a value when it is first read.
      const value = record.value;
      if (value === null || value === undefined) throw new PoisonRecordError('record has no value');
      values.push(value as NonNullable<R['value']>);
    } catch (error) {
      if (!isPoison(error)) throw error;
      await deadLetter(record, error);
    }
  }
  return values;
}

/** Reads the poison policy a function was deployed with (`POISON_POLICY`). */
export function poisonPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): PoisonPolicy {
  const value = env.POISON_POLICY ?? 'dead-letter';
  if (value !== 'dead-letter' && value !== 'report') {
    throw new Error(`invalid POISON_POLICY "${value}": expected dead-letter or report`);
  }
  return value;
}

/** A Kafka event source handler as Lambda calls it. */
export type KafkaBatchHandler = (event: MSKEvent, context: Context) => Promise<BatchResponse>;

/**
 * Wraps a batch processor for Lambda: Powertools' Kafka consumer decodes each record's base64 key
 * and JSON value and validates the value against `valueSchema` when the record is first read.
 */
export function kafkaBatchHandler<S extends z.ZodMiniType>(
  valueSchema: S,
  processBatch: (event: ConsumerRecords<string | undefined, z.infer<S>>) => Promise<BatchResponse>,
): KafkaBatchHandler {
  return kafkaConsumer<string | undefined, z.infer<S>>(processBatch, {
    value: { type: 'json', parserSchema: valueSchema },
  }) as KafkaBatchHandler;
}
