/**
 * The local event source mapping against the embedded broker, each documented behaviour a test.
 * Records are written by kafkajs; the function is an in-process handler recording its events.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { FetchNotice } from '../../local/runtime/esm/mapping-poller';
import type { batchFailureDocument, kafkaFailureDocument } from '../../local/runtime/esm/on-failure';
import { startMappingHarness, valueOf, type MappingHarness } from '../support/mapping-harness';

describe('event source mapping poller', () => {
  let h: MappingHarness;
  beforeEach(async () => {
    h = await startMappingHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const produce = (topic: string, values: string[], partition = 0, timestamp?: number) =>
    h.producer.send({
      topic,
      acks: -1,
      messages: values.map((value) => ({ value, partition, timestamp: timestamp?.toString() })),
    });
  const numbered = (n: number, prefix = 'r') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

  it('GIVEN 25 waiting records and batch size 10 WHEN polled THEN batches hold 10, 10 and 5 in order', async () => {
    await h.createTopic('sized');
    await produce('sized', numbered(25));
    const poller = h.poll('sized', () => null, { batchSize: 10 });
    await h.until(() => h.invocations.flatMap((i) => i.offsets).length === 25, '25 records');
    expect(h.invocations.map((i) => i.offsets.length)).toEqual([10, 10, 5]);
    expect(h.invocations.flatMap((i) => i.offsets)).toEqual([...Array(25).keys()]);
    await h.untilCommitted(poller.spec.consumerGroupId, 'sized', 25);
  });

  it('GIVEN a 1 s window WHEN 3 records arrive 100 ms apart THEN one invocation holds all 3', async () => {
    await h.createTopic('windowed');
    h.poll('windowed', () => null, { batchWindowMs: 1000 });
    await new Promise((r) => setTimeout(r, 300)); // the poller is waiting on an empty partition
    for (const v of ['a', 'b', 'c']) {
      await produce('windowed', [v]);
      await new Promise((r) => setTimeout(r, 100));
    }
    await h.until(() => h.invocations.length > 0, 'an invocation');
    await new Promise((r) => setTimeout(r, 200));
    expect(h.invocations).toHaveLength(1);
    expect(h.invocations[0].records.map(valueOf)).toEqual(['a', 'b', 'c']);
  });

  it('GIVEN a record produced during an invocation THEN it is fetched before that invocation ends, and its window runs meanwhile', async () => {
    await h.createTopic('prefetched');
    await produce('prefetched', ['first']);
    const fetchedDuring: number[] = [];
    const poller: ReturnType<MappingHarness['poll']> = h.poll(
      'prefetched',
      async (_event, call) => {
        if (call !== 1) return null;
        // The next record arrives while this batch is in flight; the poller reads on, as AWS's does.
        const seen = new Promise<void>((resolve) =>
          poller.on('fetched', (n: FetchNotice) => {
            fetchedDuring.push(n.nextOffset);
            if (n.nextOffset === 2) resolve();
          }),
        );
        await produce('prefetched', ['second']);
        await seen;
        return null;
      },
      { batchWindowMs: 500 },
    );
    await h.until(() => h.invocations.length === 2, 'two invocations');
    expect(fetchedDuring).toContain(2);
    expect(h.invocations.map((i) => i.records.map(valueOf))).toEqual([['first'], ['second']]);
    await h.untilCommitted(poller.spec.consumerGroupId, 'prefetched', 2);
  });

  it('GIVEN 3 partitions and a slow handler THEN each partition is delivered in order, never two batches at once', async () => {
    await h.createTopic('ordered', 3);
    for (let p = 0; p < 3; p++) await produce('ordered', numbered(60, `p${p}-`), p);
    const inFlight = new Set<number>();
    let overlapped = false;
    h.poll(
      'ordered',
      async (event) => {
        const partition = Object.values(event.records)[0][0].partition;
        if (inFlight.has(partition)) overlapped = true;
        inFlight.add(partition);
        await new Promise((r) => setTimeout(r, Math.random() * 15));
        inFlight.delete(partition);
        return null;
      },
      { batchSize: 7 },
    );
    await h.until(() => h.invocations.flatMap((i) => i.offsets).length === 180, '180 records');
    expect(overlapped).toBe(false);
    for (let p = 0; p < 3; p++) {
      const seen = h.invocations.filter((i) => i.partition === p).flatMap((i) => i.records.map(valueOf));
      expect(seen).toEqual(numbered(60, `p${p}-`));
    }
    // Several partitions were in flight together: a partition is not held up by the others.
    expect(new Set(h.invocations.slice(0, 6).map((i) => i.partition)).size).toBeGreaterThan(1);
  });

  it('GIVEN a handler that throws twice THEN the same batch comes again and the offset does not advance', async () => {
    await h.createTopic('retried');
    await produce('retried', numbered(5));
    const committedDuringFailures: number[] = [];
    const poller = h.poll('retried', async (_event, call) => {
      committedDuringFailures.push(await h.committed(poller.spec.consumerGroupId, 'retried'));
      if (call <= 2) throw new Error(`failure ${call}`);
      return null;
    });
    await h.until(() => h.invocations.length === 3, '3 invocations');
    expect(h.invocations.map((i) => i.offsets)).toEqual([
      [0, 1, 2, 3, 4],
      [0, 1, 2, 3, 4],
      [0, 1, 2, 3, 4],
    ]);
    await h.until(() => committedDuringFailures.length === 3, 'the third handler to read the offset');
    expect(committedDuringFailures).toEqual([0, 0, 0]);
    await h.untilCommitted(poller.spec.consumerGroupId, 'retried', 5);
  });

  it('GIVEN provisioned mode with 2 retries, bisect and a Kafka on-failure topic THEN the poison record reaches orders.dlq and later records flow', async () => {
    await h.createTopic('orders');
    await h.createTopic('orders.dlq');
    await produce('orders', ['ok0', 'ok1', 'ok2', 'poison', 'ok4', 'ok5', 'ok6', 'ok7']);
    const succeeded: string[] = [];
    const poller = h.poll(
      'orders',
      (event) => {
        const values = Object.values(event.records).flat().map(valueOf);
        if (values.includes('poison')) throw new Error('cannot parse');
        succeeded.push(...values);
        return null;
      },
      { provisioned: true, retryAttempts: 2, bisectBatchOnError: true, onFailure: 'kafka://orders.dlq' },
    );
    await h.until(() => poller.stats.recordsToDestination === 1, 'the poison record on the DLQ');
    await produce('orders', ['later']);
    await h.until(() => succeeded.includes('later'), 'a later record');
    expect(succeeded).toEqual(['ok0', 'ok1', 'ok2', 'ok4', 'ok5', 'ok6', 'ok7', 'later']);
    // The poison record alone was invoked 1 + 2 retries times.
    expect(
      h.invocations.filter((i) => i.records.length === 1 && valueOf(i.records[0]) === 'poison'),
    ).toHaveLength(3);

    const consumer = h.kafka.consumer({ groupId: 'dlq-reader', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders.dlq', fromBeginning: true });
    const doc = await new Promise<ReturnType<typeof kafkaFailureDocument>>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => resolve(JSON.parse(message.value!.toString())),
      });
    });
    await consumer.disconnect();
    expect(doc.requestContext.condition).toBe('RetryAttemptsExhausted');
    expect(doc.requestContext.approximateInvokeCount).toBe(3);
    expect(doc.KafkaBatchInfo).toMatchObject({ batchSize: 1, recordInfo: { offset: '3' } });
    const dead = doc.payload.records['orders-0'][0];
    expect(Buffer.from(dead.value, 'base64').toString()).toBe('poison');
    await h.untilCommitted(poller.spec.consumerGroupId, 'orders', 9);
  });

  it('GIVEN provisioned mode with a maximum record age THEN older records go to the destination unprocessed', async () => {
    await h.createTopic('aged');
    await h.createTopic('aged.dlq');
    const old = Date.now() - 120_000;
    await produce('aged', ['stale0', 'stale1'], 0, old);
    await produce('aged', ['fresh']);
    const poller = h.poll('aged', () => null, {
      provisioned: true,
      maxRecordAgeSeconds: 60,
      onFailure: 'kafka://aged.dlq',
    });
    await h.untilCommitted(poller.spec.consumerGroupId, 'aged', 3);
    expect(h.invocations.flatMap((i) => i.records.map(valueOf))).toEqual(['fresh']);
    expect(poller.stats.recordsToDestination).toBe(2);
  });

  it('GIVEN an SQS on-failure destination THEN the failed batch is written where a user can read it', async () => {
    await h.createTopic('to-sqs');
    await produce('to-sqs', ['a', 'b']);
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-dest-'));
    const poller = h.poll(
      'to-sqs',
      () => {
        throw new Error('always');
      },
      {
        provisioned: true,
        retryAttempts: 1,
        onFailure: 'arn:aws:sqs:us-east-1:000000000000:orders-failures',
        destinationsDir: dir,
      },
    );
    await h.until(() => poller.stats.recordsToDestination === 2, 'the batch at the destination');
    const doc = JSON.parse(
      readFileSync(path.join(dir, 'sqs-orders-failures.jsonl'), 'utf8').trim(),
    ) as ReturnType<typeof batchFailureDocument>;
    expect(doc.requestContext).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 2,
    });
    expect(doc.KafkaBatchInfo).toMatchObject({
      batchSize: 2,
      recordsInfo: { 'to-sqs-0': { firstRecordOffset: '0', lastRecordOffset: '1' } },
    });
    expect(h.invocations).toHaveLength(2);
  });

  it('GIVEN ReportBatchItemFailures WHEN offset 5 fails THEN 0-4 are committed and the next batch starts at 5', async () => {
    await h.createTopic('partial');
    await produce('partial', numbered(10));
    let committedAtRetry = -2;
    const poller = h.poll(
      'partial',
      async (_event, call) => {
        if (call === 1)
          return { batchItemFailures: [{ itemIdentifier: { partition: 'partial-0', offset: 5 } }] };
        if (call === 2) committedAtRetry = await h.committed(poller.spec.consumerGroupId, 'partial');
        return { batchItemFailures: [] };
      },
      { provisioned: true, retryAttempts: 3, reportBatchItemFailures: true },
    );
    await h.until(() => h.invocations.length === 2, '2 invocations');
    expect(h.invocations[1].offsets).toEqual([5, 6, 7, 8, 9]);
    await h.until(() => committedAtRetry !== -2, 'the retry to read the offset');
    expect(committedAtRetry).toBe(5);
    await h.untilCommitted(poller.spec.consumerGroupId, 'partial', 10);
  });

  it('GIVEN a filter on value THEN other records are skipped but committed', async () => {
    await h.createTopic('filtered');
    await produce('filtered', [
      JSON.stringify({ kind: 'keep', n: 1 }),
      JSON.stringify({ kind: 'drop', n: 2 }),
      'not json',
      JSON.stringify({ kind: 'keep', n: 3 }),
    ]);
    const poller = h.poll('filtered', () => null, { filters: ['{"value":{"kind":["keep"]}}'] });
    await h.untilCommitted(poller.spec.consumerGroupId, 'filtered', 4);
    expect(h.invocations.flatMap((i) => i.records.map((r) => JSON.parse(valueOf(r)).n))).toEqual([1, 3]);
    expect(poller.stats.recordsFiltered).toBe(2);
  });

  it('GIVEN records before the mapping starts THEN TRIM_HORIZON reads them, LATEST only newer ones, AT_TIMESTAMP from the time', async () => {
    await h.createTopic('positions');
    const base = Date.now() - 60_000;
    for (let i = 0; i < 4; i++) await produce('positions', [`old${i}`], 0, base + i * 1000);
    const byMapping = new Map<string, string[]>();
    const handlerFor = (name: string) => (event: { records: Record<string, { value: string }[]> }) => {
      const list = byMapping.get(name) ?? [];
      list.push(
        ...Object.values(event.records)
          .flat()
          .map((r) => Buffer.from(r.value, 'base64').toString()),
      );
      byMapping.set(name, list);
      return null;
    };
    const trim = h.poll('positions', handlerFor('trim'), { startingPosition: 'TRIM_HORIZON' });
    const latest = h.poll('positions', handlerFor('latest'), { startingPosition: 'LATEST' });
    const at = h.poll('positions', handlerFor('at'), {
      startingPosition: 'AT_TIMESTAMP',
      startingTimestampMs: base + 2000,
    });
    // LATEST has settled on its start once its group holds a committed offset.
    await h.untilCommitted(latest.spec.consumerGroupId, 'positions', 4);
    await produce('positions', ['new']);
    for (const p of [trim, latest, at]) {
      await h.untilCommitted(p.spec.consumerGroupId, 'positions', 5);
    }
    expect(byMapping.get('trim')).toEqual(['old0', 'old1', 'old2', 'old3', 'new']);
    expect(byMapping.get('latest')).toEqual(['new']);
    expect(byMapping.get('at')).toEqual(['old2', 'old3', 'new']);
  });
});
