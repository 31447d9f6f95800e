/**
 * Which fetched records form a partition's next invocation. A batch is ready when it holds BatchSize
 * records, when its event would pass the payload cap, or when the batching window, counted from the
 * first record buffered, has run out. Pure: the buffer is an immutable value and the caller passes
 * the time in, so the rules are tested without timers or a broker.
 */
import type { KafkaRecord } from '../kafka/records';
import { estimatedEventBytes } from './event';

/** What bounds a batch. */
export interface BatchLimits {
  /** Most records in one invocation (the mapping's BatchSize). */
  readonly batchSize: number;
  /** Invocation payload cap in bytes. */
  readonly maxPayloadBytes: number;
  /** The batching window: how long the first buffered record may wait for others. */
  readonly windowMs: number;
}

/** A record with its estimated size in the invocation event, worked out once when it is buffered. */
export interface SizedRecord {
  readonly record: KafkaRecord;
  readonly bytes: number;
}

/** Records fetched and not yet delivered, oldest first. */
export interface Buffered {
  readonly records: readonly SizedRecord[];
  /** The records' estimated size in an event, envelope not counted. */
  readonly bytes: number;
  /** When the batching window closes (epoch ms); only meaningful while records are buffered. */
  readonly deadline: number;
}

/** Room an event takes around its records (source, ARN, brokers, the records key). */
const EVENT_ENVELOPE_BYTES = 200;

export const EMPTY_BUFFER: Buffered = { records: [], bytes: 0, deadline: 0 };

/** `buffered` with `fetched` appended; a buffer that was empty opens its window at `now`. */
export function addFetched(
  limits: BatchLimits,
  buffered: Buffered,
  fetched: readonly KafkaRecord[],
  now: number,
): Buffered {
  if (fetched.length === 0) return buffered;
  const sized = fetched.map((record) => ({ record, bytes: estimatedEventBytes(record) }));
  return {
    records: [...buffered.records, ...sized],
    bytes: sized.reduce((sum, s) => sum + s.bytes, buffered.bytes),
    deadline: buffered.records.length === 0 ? now + limits.windowMs : buffered.deadline,
  };
}

/** Whether a batch should go now: the buffer is full (records or bytes) or its window has run out. */
export function isReady(limits: BatchLimits, buffered: Buffered, now: number): boolean {
  const full = buffered.records.length >= limits.batchSize || buffered.bytes >= limits.maxPayloadBytes;
  const due = buffered.records.length > 0 && now >= buffered.deadline;
  return full || due;
}

/** How long a fetch may wait for more records: `idleMs` with nothing buffered, else until the window closes. */
export function fetchWaitMs(buffered: Buffered, now: number, idleMs: number): number {
  return buffered.records.length === 0 ? idleMs : buffered.deadline - now;
}

/**
 * The next batch: up to BatchSize records whose event stays under the payload cap (one record at
 * least, however large), and what stays buffered.
 */
export function takeBatch(
  limits: BatchLimits,
  buffered: Buffered,
): { readonly records: KafkaRecord[]; readonly rest: Buffered } {
  let bytes = EVENT_ENVELOPE_BYTES;
  let count = 0;
  while (count < buffered.records.length && count < limits.batchSize) {
    const size = buffered.records[count].bytes;
    if (count > 0 && bytes + size > limits.maxPayloadBytes) break;
    bytes += size;
    count++;
  }
  return {
    records: buffered.records.slice(0, count).map((s) => s.record),
    rest: {
      records: buffered.records.slice(count),
      bytes: buffered.bytes - (bytes - EVENT_ENVELOPE_BYTES),
      deadline: buffered.deadline,
    },
  };
}

/** After a delivery: records left buffered get a window of their own, counted from `now`. */
export function reopenWindow(limits: BatchLimits, buffered: Buffered, now: number): Buffered {
  return buffered.records.length > 0 ? { ...buffered, deadline: now + limits.windowMs } : buffered;
}
