/**
 * Idempotent-producer state of one partition: for each producer id, its epoch, the last sequence
 * number appended, and its last five batches, so a batch the client resends after a lost response is
 * recognised and answered with its original offset instead of being written twice (Kafka keeps five,
 * the most a producer may have in flight).
 *
 * As in Kafka, a producer the partition has no state for may start at any sequence number: its state
 * may have gone with the records that carried it (retention, DeleteRecords), so a gap cannot be told
 * from a producer the partition never saw. Known producers must continue without gaps, and start
 * again at 0 when their epoch goes up.
 */
import { ErrorCode } from '../../kafka/errors';
import type { BatchInfo } from '../../kafka/record-batch';

const RECENT = 5;

interface RecentBatch {
  readonly firstSequence: number;
  readonly lastSequence: number;
  readonly baseOffset: number;
  /** Its max timestamp as stored, which Kafka answers a resend with as LogAppendTimeMs. */
  readonly timestamp: bigint;
}

interface ProducerEntry {
  epoch: number;
  lastSequence: number;
  readonly recent: RecentBatch[];
}

/** What to do with an incoming batch. */
export type SequenceCheck =
  | { readonly kind: 'append' }
  | { readonly kind: 'duplicate'; readonly baseOffset: number; readonly timestamp: bigint }
  | { readonly kind: 'error'; readonly code: number; readonly message: string };

const APPEND: SequenceCheck = { kind: 'append' };

/** Sequence numbers wrap at 2^31 - 1 back to 0. */
const nextSequence = (s: number) => (s === 0x7fffffff ? 0 : s + 1);

export class ProducerStates {
  private readonly producers = new Map<bigint, ProducerEntry>();

  /** Decides whether `batch` is new, a resend, or out of order. Non-idempotent batches always append. */
  check(
    batch: Pick<BatchInfo, 'producerId' | 'producerEpoch' | 'baseSequence' | 'lastOffsetDelta'>,
  ): SequenceCheck {
    if (batch.producerId < 0n) return APPEND;
    const entry = this.producers.get(batch.producerId);
    const first = batch.baseSequence;
    const last = (first + batch.lastOffsetDelta) % 0x80000000;
    if (!entry) return APPEND;
    if (batch.producerEpoch > entry.epoch) {
      return first === 0
        ? APPEND
        : {
            kind: 'error',
            code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
            message: `producer ${batch.producerId} must start at sequence 0 in epoch ${batch.producerEpoch}, got ${first}`,
          };
    }
    if (batch.producerEpoch < entry.epoch) {
      return {
        kind: 'error',
        code: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `epoch ${batch.producerEpoch} is older than ${entry.epoch}`,
      };
    }
    const resent = entry.recent.find((r) => r.firstSequence === first && r.lastSequence === last);
    if (resent) return { kind: 'duplicate', baseOffset: resent.baseOffset, timestamp: resent.timestamp };
    if (first !== nextSequence(entry.lastSequence)) {
      return {
        kind: 'error',
        code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `producer ${batch.producerId} sent sequence ${first}, expected ${nextSequence(entry.lastSequence)}`,
      };
    }
    return APPEND;
  }

  /** Forgets every producer (before the state is rebuilt from a truncated log). */
  clear(): void {
    this.producers.clear();
  }

  /** Records an appended batch (also used to rebuild the state from a recovered log). */
  record(
    producerId: bigint,
    epoch: number,
    firstSequence: number,
    lastOffsetDelta: number,
    baseOffset: number,
    timestamp: bigint,
  ): void {
    if (producerId < 0n) return;
    let entry = this.producers.get(producerId);
    if (!entry || epoch > entry.epoch) {
      entry = { epoch, lastSequence: -1, recent: [] };
      this.producers.set(producerId, entry);
    }
    const lastSequence = (firstSequence + lastOffsetDelta) % 0x80000000;
    entry.lastSequence = lastSequence;
    entry.recent.push({ firstSequence, lastSequence, baseOffset, timestamp });
    if (entry.recent.length > RECENT) entry.recent.shift();
  }
}
