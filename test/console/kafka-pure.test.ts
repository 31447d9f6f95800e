/**
 * The console cluster source's pure parts: decoding bytes for the page, the consumer protocol's
 * assignment bytes, browse planning and cursors, and the lag history's rebalance detection.
 */
import { Writer } from '../../local/kafka/primitives';
import { ConsoleRequestError } from '../../local/console/api';
import {
  SCAN_CAP,
  assemble,
  decodeCursor,
  encodeCursor,
  plan,
  startPosition,
} from '../../local/console/kafka/browse-plan';
import { decodeAssignment } from '../../local/console/kafka/consumer-protocol';
import { MAX_TEXT, decodeBytes } from '../../local/console/kafka/decode';
import { LagHistory } from '../../local/console/kafka/lag-history';

describe('decodeBytes', () => {
  it('GIVEN bytes THEN objects and arrays are JSON, scalars and markup text, control bytes hex', () => {
    expect(decodeBytes(Buffer.from('[1,{"a":2}]'))).toEqual({
      encoding: 'json',
      text: '[\n  1,\n  {\n    "a": 2\n  }\n]',
      size: 11,
      truncated: false,
    });
    expect(decodeBytes(Buffer.from('42'))?.encoding).toBe('text');
    expect(decodeBytes(Buffer.from('{not json'))?.encoding).toBe('text');
    expect(decodeBytes(Buffer.from('<script>x</script>'))).toMatchObject({
      encoding: 'text',
      text: '<script>x</script>',
    });
    expect(decodeBytes(Buffer.from('tab\tand\nnewline é'))?.encoding).toBe('text');
    expect(decodeBytes(Buffer.from([0x61, 0x00, 0x62]))).toMatchObject({ encoding: 'hex', text: '61 00 62' });
    expect(decodeBytes(Buffer.from([0xc3]))).toMatchObject({ encoding: 'hex', text: 'c3' });
    expect(decodeBytes(null)).toBeNull();
  });

  it('GIVEN very large values THEN the text is cut at 64 KiB and says so', () => {
    const hex = decodeBytes(Buffer.alloc(100_000, 1))!;
    expect(hex.truncated).toBe(true);
    expect(hex.text.length).toBeLessThanOrEqual(MAX_TEXT);
    const emoji = decodeBytes(Buffer.from('😀'.repeat(40_000)))!;
    expect(emoji).toMatchObject({ encoding: 'text', truncated: true, size: 160_000 });
    expect(emoji.text.length).toBe(MAX_TEXT);
  });
});

describe('decodeAssignment', () => {
  it('GIVEN a consumer assignment THEN topics and partitions come back sorted; other bytes give none', () => {
    const w = new Writer().int16(1).int32(2);
    w.nullableString('b').int32(2).int32(3).int32(1);
    w.nullableString('a').int32(1).int32(0);
    w.nullableBytes(null);
    expect(decodeAssignment(w.toBuffer())).toEqual([
      { topic: 'a', partitions: [0] },
      { topic: 'b', partitions: [1, 3] },
    ]);
    expect(decodeAssignment(Buffer.alloc(0))).toEqual([]);
    expect(decodeAssignment(Buffer.from('not an assignment at all'))).toEqual([]);
  });
});

describe('browse planning', () => {
  const ranges = [
    { partition: 0, logStartOffset: 0, highWatermark: 100 },
    { partition: 1, logStartOffset: 40, highWatermark: 50 },
  ];

  it('GIVEN a cursor THEN it round-trips, and one the console did not make is a 400', () => {
    const at = { direction: 'backward' as const, positions: { 0: 12, 1: 40 } };
    expect(decodeCursor(encodeCursor(at))).toEqual(at);
    for (const bad of ['', 'abc', Buffer.from('{"d":"x","p":{}}').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(ConsoleRequestError);
    }
  });

  it('GIVEN from end THEN windows are the last `limit` offsets; beginning and offset start forward, clamped', () => {
    expect(plan(startPosition('end', ranges), ranges, 20, false)).toEqual([
      { partition: 0, from: 80, to: 100 },
      { partition: 1, from: 40, to: 50 },
    ]);
    expect(plan(startPosition('beginning', ranges), ranges, 5, false)).toEqual([
      { partition: 0, from: 0, to: 5 },
      { partition: 1, from: 40, to: 45 },
    ]);
    expect(startPosition('offset', ranges, { offset: 45 }).positions).toEqual({ 0: 45, 1: 45 });
    expect(startPosition('offset', ranges, { offset: 500 }).positions).toEqual({ 0: 100, 1: 50 });
    expect(startPosition('timestamp', ranges, { offsets: new Map([[0, 7]]) }).positions).toEqual({
      0: 7,
      1: 50,
    });
    const searching = plan(startPosition('beginning', ranges), ranges, 5, true);
    expect(searching.reduce((n, w) => n + (w.to - w.from), 0)).toBeLessThanOrEqual(SCAN_CAP);
  });

  it('GIVEN more matches than the limit THEN the oldest (forward) or newest (backward) are kept and the cursor resumes at the first dropped', () => {
    const forward = startPosition('beginning', ranges);
    const windows = plan(forward, ranges, 3, true);
    const found = [
      { partition: 0, offset: 1, timestamp: 10 },
      { partition: 1, offset: 41, timestamp: 20 },
      { partition: 0, offset: 5, timestamp: 30 },
      { partition: 1, offset: 44, timestamp: 40 },
      { partition: 0, offset: 9, timestamp: 50 },
    ];
    const f = assemble(forward, ranges, windows, found, 3);
    expect(f.records.map((r) => r.timestamp)).toEqual([10, 20, 30]);
    expect(f.next?.positions).toEqual({ 0: 9, 1: 44 });

    const backward = startPosition('end', ranges);
    const b = assemble(backward, ranges, plan(backward, ranges, 3, true), found, 3);
    expect(b.records.map((r) => r.timestamp)).toEqual([30, 40, 50]);
    expect(b.next?.positions).toEqual({ 0: 2, 1: 42 });

    const done = assemble(forward, ranges, plan(forward, ranges, 500, false), [], 500);
    expect(done.next).toBeNull();
  });
});

describe('LagHistory', () => {
  const obs = (at: number, generation: number | null, members: [string, string[]][], lag = 0) => ({
    at,
    state: 'Stable',
    generation,
    members: members.map(([memberId, partitions]) => ({ memberId, clientId: 'c', partitions })),
    lag,
    partitions: { 't-0': lag },
  });

  it('GIVEN samples THEN only the last 10 minutes are kept', () => {
    const h = new LagHistory();
    for (let s = 0; s <= 700; s += 100) h.observe('g', obs(s * 1000, 1, [['a', ['t-0']]], s));
    expect(h.samples('g').map((x) => x.at / 1000)).toEqual([100, 200, 300, 400, 500, 600, 700]);
  });

  it('GIVEN the same assignment THEN no event; a new generation or a moved partition THEN one each', () => {
    const h = new LagHistory();
    h.observe('g', obs(1, null, []));
    h.observe('g', obs(2, null, [['a', ['t-0', 't-1']]]));
    h.observe('g', obs(3, null, [['a', ['t-1', 't-0']]]));
    h.observe(
      'g',
      obs(4, null, [
        ['a', ['t-0']],
        ['b', ['t-1']],
      ]),
    );
    h.observe(
      'g',
      obs(5, 7, [
        ['a', ['t-0']],
        ['b', ['t-1']],
      ]),
    );
    expect(h.rebalances('g').map((e) => e.at)).toEqual([2, 4, 5]);
    for (let i = 0; i < 60; i++) h.observe('g', obs(10 + i, 8 + i, [['a', ['t-0']]]));
    expect(h.rebalances('g')).toHaveLength(50);
    h.retain(new Set());
    expect(h.samples('g')).toEqual([]);
  });
});
