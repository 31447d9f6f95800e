/**
 * What a mapping does with a batch until it is done with: invoke, retry, bisect, commit past records
 * that succeeded, send records to the on-failure destination. Pure: `plan` and `react` take the
 * delivery as an immutable value (attempt counts included) and return the next one with the effects
 * to carry out in order; the poller does the I/O and the waiting.
 *
 * - On-demand mode retries a failing batch whole until it succeeds, blocking the partition.
 *   Provisioned mode adds MaximumRetryAttempts (not counting the first invocation; -1 is infinite,
 *   capped at 10 with an on-failure destination, as AWS does), BisectBatchOnFunctionError,
 *   MaximumRecordAgeInSeconds and the on-failure destination (records are dropped without one).
 * - ReportBatchItemFailures is read in either mode. AWS does not document where a Kafka mapping
 *   resumes after a partial failure; this follows Kinesis's rule: commit below the lowest failed
 *   offset and retry from it. An identifier that is not in the batch fails the whole batch.
 * - Bisecting splits a batch that failed whole (not one with a partial failure) into halves handled
 *   in order. As for Kinesis (AWS documents no Kafka rule), splitting does not use up retries: each
 *   half starts with none made.
 * - Records older than the maximum age go to the destination before each invocation, unprocessed.
 */
import type { InvokeOutcome } from '../lambda/function-pool';
import type { EventRecord } from './event';
import type { FailedBatch } from './on-failure';

/** The mapping settings the policy follows. */
export interface DeliveryRules {
  /** Provisioned pollers unlock retry attempts, bisecting, record age and the destination. */
  readonly provisioned: boolean;
  /** -1: until success. */
  readonly retryAttempts: number;
  readonly bisectBatchOnError: boolean;
  /** -1: no limit. */
  readonly maxRecordAgeSeconds: number;
  readonly reportBatchItemFailures: boolean;
  /** Whether an on-failure destination is set. */
  readonly hasDestination: boolean;
  /** Longest pause between retries of a failing batch. */
  readonly maxRetryBackoffMs: number;
}

/** Records invoked together, and how many invocations they have had. */
export interface Part {
  readonly records: readonly EventRecord[];
  readonly attempts: number;
}

/** One batch on its way: the part in hand first, then the halves a bisection left waiting. */
export interface Delivery {
  readonly parts: readonly Part[];
  /** The offset after the batch's last record (filtered-out ones too), committed once all is handled. */
  readonly end: number;
}

/** Records for the on-failure destination, as the policy knows them. */
export type FailedRecords = Pick<
  FailedBatch,
  'records' | 'condition' | 'approximateInvokeCount' | 'functionError'
>;

/** I/O the poller carries out, in order, before what `then` says. */
export type Effect =
  | { readonly kind: 'commit'; readonly offset: number }
  | { readonly kind: 'destination'; readonly failed: FailedRecords };

/** What comes after the effects. */
export type Then =
  /** Invoke the function with these records (the first part's), then `react` to the outcome. */
  | { readonly kind: 'invoke'; readonly records: readonly EventRecord[] }
  /** Pause, then `plan` again: a retry. */
  | { readonly kind: 'wait'; readonly ms: number }
  /** `plan` again at once: the next part. */
  | { readonly kind: 'plan' }
  /** The batch is done with. */
  | { readonly kind: 'done' };

export interface Step {
  readonly effects: readonly Effect[];
  readonly delivery: Delivery;
  readonly then: Then;
}

/** A step after an invocation, with what the poller counts and logs. */
export interface Reaction extends Step {
  /** Records the function handled: the whole part, or those before the first failed one. */
  readonly delivered: number;
  /** Set when the invocation failed, whole or in part: how the destination will name the error. */
  readonly functionError?: 'Unhandled' | 'PartialBatchFailure';
  /** Set when batchItemFailures named a record not in the batch, which failed it whole. */
  readonly unknownItem?: { readonly identifier: unknown };
}

/** How a response reads under ReportBatchItemFailures. */
export type ItemFailures =
  | { readonly kind: 'none' }
  | { readonly kind: 'from'; readonly offset: number }
  | { readonly kind: 'unknown'; readonly identifier: unknown };

/** The first pause between retries; each further one doubles, up to the rules' maximum. */
const FIRST_RETRY_PAUSE_MS = 100;
/** Retries allowed for -1 (infinite) when an on-failure destination is set, as AWS caps them. */
const RETRIES_WITH_DESTINATION = 10;

/** Retries after the first invocation; -1 for no limit (on-demand mode always retries). */
export function maxRetries(rules: DeliveryRules): number {
  if (!rules.provisioned) return -1;
  return rules.retryAttempts === -1 && rules.hasDestination ? RETRIES_WITH_DESTINATION : rules.retryAttempts;
}

/**
 * The pause after a part's `attempts`-th failing invocation: 100 ms, then doubling up to the maximum
 * (which caps the doublings, not the first pause).
 */
export function retryPauseMs(rules: DeliveryRules, attempts: number): number {
  return attempts <= 1
    ? FIRST_RETRY_PAUSE_MS
    : Math.min(FIRST_RETRY_PAUSE_MS * 2 ** (attempts - 1), rules.maxRetryBackoffMs);
}

/** A delivery of `records` (the batch's records that passed the filters), whose last offset is `end - 1`. */
export function startDelivery(records: readonly EventRecord[], end: number): Delivery {
  return { parts: records.length > 0 ? [{ records, attempts: 0 }] : [], end };
}

/**
 * What to do before the next invocation: records past the maximum age go to the destination; a part
 * left empty is done with. Ends in `invoke`, or in `plan`/`done` when the part expired whole.
 */
export function plan(rules: DeliveryRules, delivery: Delivery, now: number): Step {
  const [part, ...waiting] = delivery.parts;
  if (!part) return finished([], delivery);
  if (!rules.provisioned || rules.maxRecordAgeSeconds < 0) {
    return { effects: [], delivery, then: { kind: 'invoke', records: part.records } };
  }
  const oldest = now - rules.maxRecordAgeSeconds * 1000;
  const expired = part.records.filter((r) => r.timestamp < oldest);
  if (expired.length === 0) return { effects: [], delivery, then: { kind: 'invoke', records: part.records } };
  const effects: Effect[] = [
    {
      kind: 'destination',
      failed: { records: expired, condition: 'RecordAgeExceeded', approximateInvokeCount: part.attempts },
    },
  ];
  const fresh = part.records.filter((r) => r.timestamp >= oldest);
  if (fresh.length === 0) return finished(effects, { ...delivery, parts: waiting });
  const next: Delivery = { ...delivery, parts: [{ records: fresh, attempts: part.attempts }, ...waiting] };
  return { effects, delivery: next, then: { kind: 'invoke', records: fresh } };
}

/** What follows the invocation of the first part: done with it, a retry, or its two halves. */
export function react(rules: DeliveryRules, delivery: Delivery, outcome: InvokeOutcome): Reaction {
  const [part, ...waiting] = delivery.parts;
  if (!part) throw new Error('react: the delivery has no part in hand');
  const attempts = part.attempts + 1;
  let records = part.records;
  let failedFrom: number | undefined;
  let functionError: 'Unhandled' | 'PartialBatchFailure' = 'Unhandled';
  let unknownItem: { readonly identifier: unknown } | undefined;
  if (outcome.ok) {
    const failures: ItemFailures = rules.reportBatchItemFailures
      ? readItemFailures(records, outcome.payload)
      : { kind: 'none' };
    if (failures.kind === 'none') {
      return { ...finished([], { ...delivery, parts: waiting }), delivered: records.length };
    }
    if (failures.kind === 'unknown') unknownItem = { identifier: failures.identifier };
    failedFrom = failures.kind === 'from' ? failures.offset : records[0].offset;
    functionError = 'PartialBatchFailure';
  }
  const effects: Effect[] = [];
  let delivered = 0;
  if (failedFrom !== undefined && failedFrom > records[0].offset) {
    // Records before the first failed one succeeded: commit them and go on from there.
    const from = failedFrom;
    delivered = records.filter((r) => r.offset < from).length;
    effects.push({ kind: 'commit', offset: from });
    records = records.filter((r) => r.offset >= from);
  }
  const failure = { delivered, functionError, ...(unknownItem ? { unknownItem } : {}) };
  if (rules.provisioned && rules.bisectBatchOnError && records.length > 1 && failedFrom === undefined) {
    const half = Math.ceil(records.length / 2);
    const halves: Part[] = [
      { records: records.slice(0, half), attempts: 0 },
      { records: records.slice(half), attempts: 0 },
    ];
    return {
      effects,
      delivery: { ...delivery, parts: [...halves, ...waiting] },
      then: { kind: 'plan' },
      ...failure,
    };
  }
  const retries = maxRetries(rules);
  if (retries >= 0 && attempts - 1 >= retries) {
    effects.push({
      kind: 'destination',
      failed: {
        records,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: attempts,
        functionError,
      },
    });
    return { ...finished(effects, { ...delivery, parts: waiting }), ...failure };
  }
  return {
    effects,
    delivery: { ...delivery, parts: [{ records, attempts }, ...waiting] },
    then: { kind: 'wait', ms: retryPauseMs(rules, attempts) },
    ...failure,
  };
}

/**
 * The lowest offset a response's batchItemFailures names; `none` when it names nothing (an empty or
 * null response: the batch succeeded), `unknown` for the first identifier not in `records`.
 */
export function readItemFailures(records: readonly EventRecord[], payload: unknown): ItemFailures {
  const failures = (payload as { batchItemFailures?: unknown } | null)?.batchItemFailures;
  if (!Array.isArray(failures) || failures.length === 0) return { kind: 'none' };
  const key = `${records[0].topic}-${records[0].partition}`;
  let lowest = Infinity;
  for (const f of failures) {
    const id = (f as { itemIdentifier?: { partition?: unknown; offset?: unknown } })?.itemIdentifier;
    const offset = Number(id?.offset);
    if (id?.partition !== key || !records.some((r) => r.offset === offset)) {
      return { kind: 'unknown', identifier: id };
    }
    lowest = Math.min(lowest, offset);
  }
  return { kind: 'from', offset: lowest };
}

/** The first part is done with: commit up to the next part, or the batch's end when none is left. */
function finished(effects: readonly Effect[], delivery: Delivery): Step {
  const [next] = delivery.parts;
  return next
    ? {
        effects: [...effects, { kind: 'commit', offset: next.records[0].offset }],
        delivery,
        then: { kind: 'plan' },
      }
    : { effects: [...effects, { kind: 'commit', offset: delivery.end }], delivery, then: { kind: 'done' } };
}
