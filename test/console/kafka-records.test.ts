/**
 * Browsing, searching, producing and copying records through the console's cluster source on the
 * embedded broker: pages from the end, the beginning, an offset and a timestamp; a search across a
 * 20,000-record topic that never reads more than 10,000 records per request; JSON, text and hex
 * values; produce with headers and a partition; copy keeping key, value and headers.
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../local/broker/broker';
import type { ClusterSource, MessageRecord } from '../../local/console/api';
import { SCAN_CAP } from '../../local/console/kafka/browse-plan';
import { createClusterSource } from '../../local/console/kafka/cluster-source';

let broker: RunningBroker;
let source: ClusterSource;
let producer: Producer;

beforeAll(async () => {
  broker = await startBroker({ port: 0, autoCreateTopics: false });
  source = await createClusterSource({ bootstrapServers: [broker.bootstrapServers], broker });
  producer = new Kafka({ brokers: [broker.bootstrapServers], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  // pages: 3 partitions, 100 records each, timestamps 1000 ms apart in order of n
  await source.createTopic({ name: 'pages', partitions: 3 });
  const base = 1_700_000_000_000;
  for (let n = 0; n < 300; n++) {
    await producer.send({
      topic: 'pages',
      messages: [{ partition: n % 3, value: `record ${n}`, timestamp: String(base + n * 1000) }],
    });
  }
});

afterAll(async () => {
  await producer.disconnect();
  await source.close();
  await broker.close();
});

const values = (records: readonly MessageRecord[]) => records.map((r) => r.value?.text);

describe('console browse, produce and copy', () => {
  it('GIVEN 300 records on 3 partitions WHEN browsed from the end THEN the newest come back oldest first, and from the beginning the oldest', async () => {
    const end = await source.browse('pages', { limit: 10 });
    expect(values(end.records)).toEqual(Array.from({ length: 10 }, (_, i) => `record ${290 + i}`));
    expect(end.scanned).toBeLessThanOrEqual(30);
    expect(end.partitions.map((p) => p.highWatermark)).toEqual([100, 100, 100]);

    const older = await source.browse('pages', { limit: 10, cursor: end.cursor! });
    expect(values(older.records)).toEqual(Array.from({ length: 10 }, (_, i) => `record ${280 + i}`));

    const start = await source.browse('pages', { from: 'beginning', limit: 5 });
    expect(values(start.records)).toEqual(['record 0', 'record 1', 'record 2', 'record 3', 'record 4']);
    const next = await source.browse('pages', { from: 'beginning', limit: 5, cursor: start.cursor! });
    expect(values(next.records)).toEqual(['record 5', 'record 6', 'record 7', 'record 8', 'record 9']);
  });

  it('GIVEN one partition WHEN browsed from an offset and from a timestamp THEN pages start there', async () => {
    const one = await source.browse('pages', { partition: 1, from: 'offset', offset: 50, limit: 3 });
    expect(one.records.map((r) => [r.partition, r.offset])).toEqual([
      [1, 50],
      [1, 51],
      [1, 52],
    ]);
    expect(values(one.records)).toEqual(['record 151', 'record 154', 'record 157']);

    const at = await source.browse('pages', {
      from: 'timestamp',
      timestamp: 1_700_000_000_000 + 200_500,
      limit: 4,
    });
    expect(values(at.records)).toEqual(['record 201', 'record 202', 'record 203', 'record 204']);

    const last = await source.browse('pages', { partition: 2, from: 'end', limit: 2 });
    expect(last.records.map((r) => r.offset)).toEqual([98, 99]);
    const tail = await source.browse('pages', { partition: 2, from: 'offset', offset: 98, limit: 50 });
    expect(tail.records).toHaveLength(2);
    expect(tail.cursor).toBeNull();
  });

  it('GIVEN 20,000 records WHEN searched with a cursor THEN every match is found and no request reads more than the cap', async () => {
    await source.createTopic({ name: 'haystack', partitions: 2 });
    const batch = 1000;
    for (let start = 0; start < 20_000; start += batch) {
      await producer.send({
        topic: 'haystack',
        messages: Array.from({ length: batch }, (_, i) => {
          const n = start + i;
          return {
            partition: n % 2,
            key: `k${n}`,
            value: n % 2500 === 7 ? `a NEEDLE in ${n}` : `hay ${n}`,
            timestamp: String(1_700_000_000_000 + n),
          };
        }),
      });
    }
    const found: string[] = [];
    const scans: number[] = [];
    let cursor: string | undefined;
    for (let request = 0; request < 10; request++) {
      const page = await source.browse('haystack', { from: 'beginning', search: 'needle', limit: 3, cursor });
      scans.push(page.scanned);
      found.push(...values(page.records).map(String));
      if (!page.cursor) break;
      cursor = page.cursor;
    }
    console.log(`search: ${scans.length} requests scanned ${scans.join(', ')}; found ${found.length}`);
    expect(Math.max(...scans)).toBeLessThanOrEqual(SCAN_CAP);
    expect(scans.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(20_000);
    expect(found.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `a NEEDLE in ${i * 2500 + 7}`).sort());

    const latest = await source.browse('haystack', { search: 'NEEDLE', limit: 2 });
    expect(values(latest.records)).toEqual(['a NEEDLE in 15007', 'a NEEDLE in 17507']);
    expect(latest.scanned).toBeLessThanOrEqual(SCAN_CAP);

    const newest = await source.browse('haystack', { limit: 3 });
    expect(newest.records.map((r) => r.key?.text)).toEqual(['k19997', 'k19998', 'k19999']);
    expect(newest.scanned).toBeLessThanOrEqual(6);
  });

  it('GIVEN JSON, text, markup and binary values WHEN browsed THEN each is decoded as such, markup as plain text', async () => {
    await source.createTopic({ name: 'shapes', partitions: 1 });
    await producer.send({
      topic: 'shapes',
      messages: [
        { key: 'json', value: '{"orderId":"o-1","items":[1,2]}' },
        { key: 'text', value: 'plain words' },
        { key: 'markup', value: '<img src=x onerror=alert(1)>' },
        { key: Buffer.from([0xff, 0x00, 0x10]), value: Buffer.from([0xde, 0xad, 0xbe, 0xef]) },
        { key: 'big', value: 'x'.repeat(100_000) },
        { key: 'null', value: null },
      ],
    });
    const page = await source.browse('shapes', { from: 'beginning' });
    const [json, text, markup, binary, big, nothing] = page.records;
    expect(json.value).toEqual({
      encoding: 'json',
      text: JSON.stringify({ orderId: 'o-1', items: [1, 2] }, null, 2),
      size: 31,
      truncated: false,
    });
    expect(text.value).toMatchObject({ encoding: 'text', text: 'plain words' });
    expect(markup.value).toEqual({
      encoding: 'text',
      text: '<img src=x onerror=alert(1)>',
      size: 28,
      truncated: false,
    });
    expect(binary.key).toMatchObject({ encoding: 'hex', text: 'ff 00 10' });
    expect(binary.value).toMatchObject({ encoding: 'hex', text: 'de ad be ef', size: 4 });
    expect(big.value).toMatchObject({ encoding: 'text', size: 100_000, truncated: true });
    expect(big.value!.text).toHaveLength(64 * 1024);
    expect(nothing.value).toBeNull();
  });

  it('GIVEN a produce with headers and a partition THEN it lands there, and a copy keeps key, value and headers', async () => {
    await source.createTopic({ name: 'orders-src', partitions: 3 });
    await source.createTopic({ name: 'orders-dst', partitions: 1 });
    const produced = await source.produce('orders-src', {
      key: 'o-9',
      value: '{"orderId":"o-9"}',
      headers: [
        { key: 'trace', value: 't-1' },
        { key: 'source', value: 'console' },
      ],
      partition: 2,
    });
    expect(produced).toMatchObject({ topic: 'orders-src', partition: 2, offset: 0 });
    const second = await source.produce('orders-src', { key: 'o-10', value: 'plain', partition: 2 });
    expect(second.offset).toBe(1);

    const [read] = (await source.browse('orders-src', { partition: 2, from: 'beginning' })).records;
    expect(read.key?.text).toBe('o-9');
    expect(read.headers.map((h) => [h.key, h.value?.text])).toEqual([
      ['trace', 't-1'],
      ['source', 'console'],
    ]);

    const copied = await source.copy('orders-src', {
      to: 'orders-dst',
      records: [
        { partition: 2, offset: 0 },
        { partition: 2, offset: 1 },
      ],
    });
    expect(copied.copied.map((c) => [c.from.offset, c.topic, c.offset])).toEqual([
      [0, 'orders-dst', 0],
      [1, 'orders-dst', 1],
    ]);
    const dst = (await source.browse('orders-dst', { from: 'beginning' })).records;
    expect(dst.map((r) => [r.key?.text, r.value?.text])).toEqual([
      ['o-9', JSON.stringify({ orderId: 'o-9' }, null, 2)],
      ['o-10', 'plain'],
    ]);
    expect(dst[0].headers).toEqual(read.headers);

    const tape = await source.tape('orders-src', 2);
    expect(tape).toMatchObject({ logStartOffset: 0, highWatermark: 2 });
    expect(tape.recent.map((r) => r.offset)).toEqual([0, 1]);

    await expect(source.produce('orders-src', { value: 'x', partition: 5 })).rejects.toMatchObject({
      status: 400,
    });
    await expect(source.produce('nowhere', { value: 'x' })).rejects.toMatchObject({ status: 404 });
    await expect(
      source.copy('orders-src', { to: 'orders-dst', records: [{ partition: 2, offset: 99 }] }),
    ).rejects.toMatchObject({
      status: 404,
    });
  });
});
