/**
 * The mapping's batcher on its own: which buffered records form the next invocation, with the time
 * passed in, so the batching window is tested without timers or a broker.
 */
import {
  addFetched,
  EMPTY_BUFFER,
  fetchWaitMs,
  isReady,
  reopenWindow,
  takeBatch,
  type BatchLimits,
  type Buffered,
} from '../../../local/runtime/esm/batcher';
import { estimatedEventBytes } from '../../../local/runtime/esm/event';
import type { KafkaRecord } from '../../../local/runtime/kafka/records';

const record = (offset: number, valueBytes = 10): KafkaRecord => ({
  offset,
  timestamp: 1_000 + offset,
  timestampType: 'CREATE_TIME',
  key: null,
  value: Buffer.alloc(valueBytes, 'x'),
  headers: [],
});
const records = (from: number, count: number, valueBytes?: number) =>
  Array.from({ length: count }, (_, i) => record(from + i, valueBytes));
const offsets = (rs: readonly KafkaRecord[]) => rs.map((r) => r.offset);
const limits = (overrides: Partial<BatchLimits> = {}): BatchLimits => ({
  batchSize: 100,
  maxPayloadBytes: 6 * 1024 * 1024,
  windowMs: 500,
  ...overrides,
});

describe('batcher', () => {
  it('GIVEN an empty buffer WHEN records arrive THEN the window opens then, sized records are kept in order', () => {
    const fetched = records(0, 3);
    const buffered = addFetched(limits(), EMPTY_BUFFER, fetched, 10_000);
    expect(buffered.deadline).toBe(10_500);
    expect(buffered.records.map((s) => s.record)).toEqual(fetched);
    expect(buffered.bytes).toBe(fetched.reduce((sum, r) => sum + estimatedEventBytes(r), 0));
  });

  it('GIVEN records buffered WHEN more arrive THEN the window still counts from the first record', () => {
    const first = addFetched(limits(), EMPTY_BUFFER, records(0, 1), 10_000);
    const second = addFetched(limits(), first, records(1, 2), 10_300);
    expect(second.deadline).toBe(10_500);
    expect(offsets(second.records.map((s) => s.record))).toEqual([0, 1, 2]);
  });

  it('GIVEN a fetch that returned nothing THEN the buffer is unchanged, its window too', () => {
    const buffered = addFetched(limits(), EMPTY_BUFFER, records(0, 1), 10_000);
    expect(addFetched(limits(), buffered, [], 20_000)).toBe(buffered);
    expect(addFetched(limits(), EMPTY_BUFFER, [], 20_000)).toBe(EMPTY_BUFFER);
  });

  it('GIVEN a buffer short of BatchSize THEN it is ready only once its window has run out', () => {
    const buffered = addFetched(limits({ windowMs: 1_000 }), EMPTY_BUFFER, records(0, 3), 10_000);
    expect(isReady(limits(), buffered, 10_999)).toBe(false);
    expect(isReady(limits(), buffered, 11_000)).toBe(true);
  });

  it('GIVEN BatchSize records buffered THEN the batch is ready before the window runs out', () => {
    const l = limits({ batchSize: 10, windowMs: 60_000 });
    expect(isReady(l, addFetched(l, EMPTY_BUFFER, records(0, 9), 0), 1)).toBe(false);
    expect(isReady(l, addFetched(l, EMPTY_BUFFER, records(0, 10), 0), 1)).toBe(true);
  });

  it('GIVEN buffered records at the payload cap THEN the batch is ready before the window runs out', () => {
    const fetched = records(0, 2, 1_000);
    const size = estimatedEventBytes(fetched[0]);
    const atCap = limits({ maxPayloadBytes: 2 * size, windowMs: 60_000 });
    const overCap = limits({ maxPayloadBytes: 2 * size + 1, windowMs: 60_000 });
    expect(isReady(atCap, addFetched(atCap, EMPTY_BUFFER, fetched, 0), 1)).toBe(true);
    expect(isReady(overCap, addFetched(overCap, EMPTY_BUFFER, fetched, 0), 1)).toBe(false);
  });

  it('GIVEN an empty buffer THEN it is never ready, whatever the time', () => {
    expect(isReady(limits({ windowMs: 0 }), EMPTY_BUFFER, Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it('GIVEN nothing buffered THEN a fetch waits the idle time; GIVEN records THEN only until the window closes', () => {
    expect(fetchWaitMs(EMPTY_BUFFER, 10_000, 500)).toBe(500);
    const buffered = addFetched(limits({ windowMs: 1_000 }), EMPTY_BUFFER, records(0, 1), 10_000);
    expect(fetchWaitMs(buffered, 10_250, 500)).toBe(750);
  });

  it('GIVEN 25 records and BatchSize 10 THEN batches take 10, 10 and 5 in order, and the bytes left follow', () => {
    const l = limits({ batchSize: 10 });
    let buffered: Buffered = addFetched(l, EMPTY_BUFFER, records(0, 25), 0);
    const batches: number[][] = [];
    while (buffered.records.length > 0) {
      const { records: batch, rest } = takeBatch(l, buffered);
      batches.push(offsets(batch));
      expect(rest.bytes).toBe(rest.records.reduce((sum, s) => sum + s.bytes, 0));
      buffered = rest;
    }
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(batches.flat()).toEqual([...Array(25).keys()]);
    expect(buffered.bytes).toBe(0);
  });

  it('GIVEN records whose event would pass the payload cap THEN the batch stops at the last that fits', () => {
    const fetched = records(0, 5, 1_000);
    const size = estimatedEventBytes(fetched[0]);
    // The event's envelope (200 bytes) counts towards the cap: room for three records and the envelope.
    const l = limits({ maxPayloadBytes: 200 + 3 * size });
    const { records: batch, rest } = takeBatch(l, addFetched(l, EMPTY_BUFFER, fetched, 0));
    expect(offsets(batch)).toEqual([0, 1, 2]);
    expect(offsets(rest.records.map((s) => s.record))).toEqual([3, 4]);
    const tighter = limits({ maxPayloadBytes: 200 + 3 * size - 1 });
    expect(offsets(takeBatch(tighter, addFetched(tighter, EMPTY_BUFFER, fetched, 0)).records)).toEqual([
      0, 1,
    ]);
  });

  it('GIVEN a first record larger than the payload cap THEN it is sent alone rather than never', () => {
    const l = limits({ maxPayloadBytes: 100 });
    const { records: batch, rest } = takeBatch(l, addFetched(l, EMPTY_BUFFER, records(0, 2, 1_000), 0));
    expect(offsets(batch)).toEqual([0]);
    expect(rest.records).toHaveLength(1);
  });

  it('GIVEN records left after a batch THEN their window is counted again from the end of the delivery', () => {
    const l = limits({ batchSize: 2, windowMs: 1_000 });
    const { rest } = takeBatch(l, addFetched(l, EMPTY_BUFFER, records(0, 3), 10_000));
    expect(rest.deadline).toBe(11_000);
    const reopened = reopenWindow(l, rest, 15_000);
    expect(reopened.deadline).toBe(16_000);
    expect(isReady(l, reopened, 15_999)).toBe(false);
    expect(reopenWindow(l, EMPTY_BUFFER, 15_000)).toBe(EMPTY_BUFFER);
  });

  it('GIVEN a 1 s window WHEN 3 records arrive 100 ms apart THEN one batch holds all 3', () => {
    const l = limits({ windowMs: 1_000 });
    let buffered = EMPTY_BUFFER;
    for (const [i, at] of [0, 100, 200].entries()) {
      expect(isReady(l, buffered, at)).toBe(false);
      buffered = addFetched(l, buffered, [record(i)], at);
    }
    expect(isReady(l, buffered, 999)).toBe(false);
    expect(offsets(takeBatch(l, buffered).records)).toEqual([0, 1, 2]);
  });

  it('GIVEN a buffer WHEN a batch is taken THEN the buffer given is left as it was', () => {
    const l = limits({ batchSize: 2 });
    const buffered = addFetched(l, EMPTY_BUFFER, records(0, 5), 0);
    const before = JSON.stringify(buffered);
    takeBatch(l, buffered);
    addFetched(l, buffered, records(5, 1), 1);
    reopenWindow(l, buffered, 2);
    expect(JSON.stringify(buffered)).toBe(before);
  });
});
