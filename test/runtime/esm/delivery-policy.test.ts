/**
 * The mapping's delivery policy on its own: each outcome of an invocation and what follows it
 * (retries, bisecting, partial batch failures, maximum record age, the on-failure destination, the
 * offsets committed), in on-demand and provisioned mode. The policy is pure, so a scripted function
 * and a clock passed in drive it without sleeps or sockets.
 */
import {
  maxRetries,
  plan,
  react,
  readItemFailures,
  retryPauseMs,
  startDelivery,
  type Delivery,
  type DeliveryRules,
  type Effect,
  type Step,
} from '../../../local/runtime/esm/delivery-policy';
import type { EventRecord, EventSource } from '../../../local/runtime/esm/event';
import {
  batchFailureDocument,
  kafkaFailureDocument,
  type FailedBatch,
} from '../../../local/runtime/esm/on-failure';
import type { InvokeOutcome } from '../../../local/runtime/lambda/function-pool';

const NOW = 1_800_000_000_000;
const TOPIC = 'orders';

const record = (offset: number, timestamp = NOW - 1_000): EventRecord => ({
  topic: TOPIC,
  partition: 0,
  offset,
  timestamp,
  timestampType: 'CREATE_TIME',
  key: Buffer.from(`key-${offset}`).toString('base64'),
  value: Buffer.from(`value-${offset}`).toString('base64'),
  headers: [],
});
const records = (from: number, count: number) => Array.from({ length: count }, (_, i) => record(from + i));

const onDemand: DeliveryRules = {
  provisioned: false,
  retryAttempts: -1,
  bisectBatchOnError: false,
  maxRecordAgeSeconds: -1,
  reportBatchItemFailures: false,
  hasDestination: false,
  maxRetryBackoffMs: 2_000,
};
const provisioned = (overrides: Partial<DeliveryRules> = {}): DeliveryRules => ({
  ...onDemand,
  provisioned: true,
  ...overrides,
});

const ok = (payload: unknown = null): InvokeOutcome => ({ ok: true, payload, durationMs: 1 });
const failed: InvokeOutcome = {
  ok: false,
  kind: 'function',
  error: { errorType: 'Error', errorMessage: 'cannot parse' },
  durationMs: 1,
};
/** A response reporting these offsets of partition 0 failed. */
const failuresPayload = (...offsets: (number | string)[]) => ({
  batchItemFailures: offsets.map((offset) => ({ itemIdentifier: { partition: `${TOPIC}-0`, offset } })),
});
const itemFailures = (...offsets: (number | string)[]) => ok(failuresPayload(...offsets));

const span = (rs: readonly EventRecord[]) =>
  rs.length === 1 ? `${rs[0].offset}` : `${rs[0].offset}-${rs[rs.length - 1].offset}`;
const describeEffect = (e: Effect) =>
  e.kind === 'commit'
    ? `commit ${e.offset}`
    : `destination ${e.failed.condition} ${span(e.failed.records)} after ${e.failed.approximateInvokeCount}` +
      (e.failed.functionError ? ` (${e.failed.functionError})` : '');

/**
 * Runs a delivery to its end as the poller would, `respond` standing in for the function; returns
 * what happened, one line per invocation, effect and pause. Waits move the clock instead of sleeping.
 */
function drive(
  rules: DeliveryRules,
  batch: readonly EventRecord[],
  respond: (records: readonly EventRecord[], call: number, clock: { now: number }) => InvokeOutcome,
  end = batch[batch.length - 1].offset + 1,
): string[] {
  const clock = { now: NOW };
  const trace: string[] = [];
  let step: Step = plan(rules, startDelivery(batch, end), clock.now);
  for (let call = 1; trace.length < 500;) {
    trace.push(...step.effects.map(describeEffect));
    const { then } = step;
    if (then.kind === 'done') return trace;
    if (then.kind === 'invoke') {
      trace.push(`invoke ${span(then.records)}`);
      step = react(rules, step.delivery, respond(then.records, call++, clock));
      continue;
    }
    if (then.kind === 'wait') {
      trace.push(`wait ${then.ms}`);
      clock.now += then.ms;
    }
    step = plan(rules, step.delivery, clock.now);
  }
  throw new Error(`no end after ${trace.length} lines: ${trace.slice(0, 20).join(', ')} …`);
}

/** The invocations a trace holds, as record spans. */
const invocations = (trace: string[]) =>
  trace.filter((l) => l.startsWith('invoke ')).map((l) => l.slice('invoke '.length));

describe('delivery policy', () => {
  describe('retry limits by mode', () => {
    it('GIVEN on-demand mode THEN retries never end, whatever MaximumRetryAttempts and the destination say', () => {
      expect(maxRetries(onDemand)).toBe(-1);
      expect(maxRetries({ ...onDemand, retryAttempts: 2, hasDestination: true })).toBe(-1);
    });

    it('GIVEN provisioned mode THEN MaximumRetryAttempts applies, and infinite retries are capped at 10 only with a destination', () => {
      expect(maxRetries(provisioned({ retryAttempts: 0 }))).toBe(0);
      expect(maxRetries(provisioned({ retryAttempts: 2 }))).toBe(2);
      expect(maxRetries(provisioned({ retryAttempts: -1 }))).toBe(-1);
      expect(maxRetries(provisioned({ retryAttempts: -1, hasDestination: true }))).toBe(10);
      expect(maxRetries(provisioned({ retryAttempts: 50, hasDestination: true }))).toBe(50);
    });

    it('GIVEN failing invocations THEN pauses start at 100 ms and double up to the maximum', () => {
      const rules = provisioned({ maxRetryBackoffMs: 2_000 });
      expect([1, 2, 3, 4, 5, 6, 100, 2_000].map((n) => retryPauseMs(rules, n))).toEqual([
        100, 200, 400, 800, 1_600, 2_000, 2_000, 2_000,
      ]);
      // A maximum below 100 ms caps the doublings, not the first pause.
      expect([1, 2, 3].map((n) => retryPauseMs({ ...rules, maxRetryBackoffMs: 50 }, n))).toEqual([
        100, 50, 50,
      ]);
    });
  });

  describe('a batch that succeeds', () => {
    it('GIVEN a successful invocation THEN every record counts as delivered and the batch end is committed', () => {
      const first = plan(onDemand, startDelivery(records(0, 5), 5), NOW);
      expect(first.effects).toEqual([]);
      expect(first.then).toEqual({ kind: 'invoke', records: records(0, 5) });
      const reaction = react(onDemand, first.delivery, ok());
      expect(reaction).toMatchObject({
        delivered: 5,
        effects: [{ kind: 'commit', offset: 5 }],
        then: { kind: 'done' },
      });
      expect(reaction.functionError).toBeUndefined();
    });

    it('GIVEN records filtered out after the last one that matched THEN the end committed is past them', () => {
      expect(drive(onDemand, records(0, 3), () => ok(), 7)).toEqual(['invoke 0-2', 'commit 7']);
    });

    it('GIVEN a batch whose records were all filtered out THEN its end is committed without an invocation', () => {
      expect(plan(onDemand, startDelivery([], 4), NOW)).toMatchObject({
        effects: [{ kind: 'commit', offset: 4 }],
        then: { kind: 'done' },
      });
    });
  });

  describe('retries', () => {
    it('GIVEN on-demand mode and a function that fails 5 times THEN the same batch is retried whole, nothing committed until it succeeds', () => {
      const trace = drive(
        { ...onDemand, retryAttempts: 1, bisectBatchOnError: true, hasDestination: true },
        records(0, 5),
        (_, call) => (call <= 5 ? failed : ok()),
      );
      expect(trace).toEqual([
        'invoke 0-4',
        'wait 100',
        'invoke 0-4',
        'wait 200',
        'invoke 0-4',
        'wait 400',
        'invoke 0-4',
        'wait 800',
        'invoke 0-4',
        'wait 1600',
        'invoke 0-4',
        'commit 5',
      ]);
    });

    it('GIVEN on-demand mode and a function that never succeeds THEN the batch never reaches a destination', () => {
      let step: Step = plan(onDemand, startDelivery(records(0, 2), 2), NOW);
      for (let attempt = 1; attempt <= 200; attempt++) {
        step = react(onDemand, step.delivery, failed);
        expect(step.effects).toEqual([]);
        expect(step.then.kind).toBe('wait');
        step = plan(onDemand, step.delivery, NOW);
      }
      expect(step.delivery.parts).toEqual([{ records: records(0, 2), attempts: 200 }]);
    });

    it('GIVEN provisioned mode with 2 retries THEN the batch is invoked 3 times and then sent to the destination whole', () => {
      const trace = drive(
        provisioned({ retryAttempts: 2, hasDestination: true }),
        records(0, 4),
        () => failed,
      );
      expect(trace).toEqual([
        'invoke 0-3',
        'wait 100',
        'invoke 0-3',
        'wait 200',
        'invoke 0-3',
        'destination RetryAttemptsExhausted 0-3 after 3 (Unhandled)',
        'commit 4',
      ]);
    });

    it('GIVEN provisioned mode with 0 retries THEN one failure sends the batch to the destination', () => {
      expect(drive(provisioned({ retryAttempts: 0 }), records(0, 2), () => failed)).toEqual([
        'invoke 0-1',
        'destination RetryAttemptsExhausted 0-1 after 1 (Unhandled)',
        'commit 2',
      ]);
    });

    it('GIVEN provisioned mode, infinite retries and a destination THEN the batch is given up after 1 + 10 invocations', () => {
      const trace = drive(
        provisioned({ retryAttempts: -1, hasDestination: true }),
        records(0, 2),
        () => failed,
      );
      expect(invocations(trace)).toHaveLength(11);
      expect(trace.slice(-2)).toEqual([
        'destination RetryAttemptsExhausted 0-1 after 11 (Unhandled)',
        'commit 2',
      ]);
    });

    it('GIVEN a retry that succeeds THEN what follows does not depend on the failures before', () => {
      const trace = drive(provisioned({ retryAttempts: 2 }), records(0, 3), (_, call) =>
        call === 1 ? failed : ok(),
      );
      expect(trace).toEqual(['invoke 0-2', 'wait 100', 'invoke 0-2', 'commit 3']);
    });

    it('GIVEN a timed-out or crashed invocation THEN it fails like a thrown error', () => {
      const timeout: InvokeOutcome = {
        ok: false,
        kind: 'timeout',
        error: { errorType: 'Sandbox.Timedout', errorMessage: 'timed out' },
        durationMs: 3_000,
      };
      const step = plan(provisioned({ retryAttempts: 0 }), startDelivery(records(0, 1), 1), NOW);
      expect(react(provisioned({ retryAttempts: 0 }), step.delivery, timeout)).toMatchObject({
        functionError: 'Unhandled',
        delivered: 0,
      });
    });
  });

  describe('bisecting', () => {
    const rules = provisioned({ retryAttempts: 2, bisectBatchOnError: true, hasDestination: true });
    const poisonAt = (offset: number) => (rs: readonly EventRecord[]) =>
      rs.some((r) => r.offset === offset) ? failed : ok();

    it('GIVEN a failing batch of 8 THEN it is split into halves of 4, and each half again', () => {
      const reaction = react(rules, plan(rules, startDelivery(records(0, 8), 8), NOW).delivery, failed);
      expect(reaction.effects).toEqual([]);
      expect(reaction.then).toEqual({ kind: 'plan' });
      expect(reaction.delivery.parts).toEqual([
        { records: records(0, 4), attempts: 0 },
        { records: records(4, 4), attempts: 0 },
      ]);
    });

    it('GIVEN an odd batch THEN the first half holds the extra record', () => {
      const reaction = react(rules, startDelivery(records(0, 5), 5), failed);
      expect(reaction.delivery.parts.map((p) => span(p.records))).toEqual(['0-2', '3-4']);
    });

    it('GIVEN a poison record at offset 3 of 8 THEN halves are delivered in order, committing as each is done, and the poison record alone uses up its retries', () => {
      expect(drive(rules, records(0, 8), poisonAt(3))).toEqual([
        'invoke 0-7',
        'invoke 0-3',
        'invoke 0-1',
        'commit 2',
        'invoke 2-3',
        'invoke 2',
        'commit 3',
        'invoke 3',
        'wait 100',
        'invoke 3',
        'wait 200',
        'invoke 3',
        'destination RetryAttemptsExhausted 3 after 3 (Unhandled)',
        'commit 4',
        'invoke 4-7',
        'commit 8',
      ]);
    });

    it('GIVEN a half retried before THEN its halves start again with no attempts used', () => {
      // 0-3 fails whole, is split; 0-1 fails once, then fails with offset 0 failing under
      // ReportBatchItemFailures (retried whole, not split), then fails whole and is split.
      const withReports = { ...rules, reportBatchItemFailures: true };
      let step: Step = plan(withReports, startDelivery(records(0, 4), 4), NOW);
      step = react(withReports, step.delivery, failed);
      step = react(withReports, step.delivery, itemFailures(0));
      expect(step.delivery.parts[0]).toEqual({ records: records(0, 2), attempts: 1 });
      expect(step.then).toEqual({ kind: 'wait', ms: 100 });
      step = react(withReports, step.delivery, failed);
      expect(step.delivery.parts.map((p) => [span(p.records), p.attempts])).toEqual([
        ['0', 0],
        ['1', 0],
        ['2-3', 0],
      ]);
    });

    it('GIVEN a single failing record THEN it is retried, not split', () => {
      expect(drive(rules, records(0, 1), () => failed)).toEqual([
        'invoke 0',
        'wait 100',
        'invoke 0',
        'wait 200',
        'invoke 0',
        'destination RetryAttemptsExhausted 0 after 3 (Unhandled)',
        'commit 1',
      ]);
    });

    it('GIVEN on-demand mode with BisectBatchOnFunctionError set THEN the batch is retried whole', () => {
      const step = react({ ...onDemand, bisectBatchOnError: true }, startDelivery(records(0, 8), 8), failed);
      expect(step.delivery.parts).toEqual([{ records: records(0, 8), attempts: 1 }]);
      expect(step.then).toEqual({ kind: 'wait', ms: 100 });
    });

    it('GIVEN a partial batch failure THEN the rest is retried, not split', () => {
      const withReports = { ...rules, reportBatchItemFailures: true };
      const step = react(withReports, startDelivery(records(0, 8), 8), itemFailures(2));
      expect(step.delivery.parts).toEqual([{ records: records(2, 6), attempts: 1 }]);
    });
  });

  describe('partial batch failures (ReportBatchItemFailures)', () => {
    const rules = provisioned({ retryAttempts: 3, reportBatchItemFailures: true });

    it('GIVEN offsets 7 and 5 reported failed THEN 0-4 are committed and count as delivered, and the retry starts at 5', () => {
      const reaction = react(rules, startDelivery(records(0, 10), 10), itemFailures(7, 5));
      expect(reaction).toMatchObject({
        effects: [{ kind: 'commit', offset: 5 }],
        delivered: 5,
        functionError: 'PartialBatchFailure',
        then: { kind: 'wait', ms: 100 },
      });
      expect(reaction.delivery.parts).toEqual([{ records: records(5, 5), attempts: 1 }]);
      expect(react(rules, reaction.delivery, ok({ batchItemFailures: [] }))).toMatchObject({
        delivered: 5,
        effects: [{ kind: 'commit', offset: 10 }],
        then: { kind: 'done' },
      });
    });

    it('GIVEN the first record reported failed THEN nothing is committed and the batch is retried whole', () => {
      const reaction = react(rules, startDelivery(records(0, 3), 3), itemFailures(0, 2));
      expect(reaction.effects).toEqual([]);
      expect(reaction.delivered).toBe(0);
      expect(reaction.delivery.parts).toEqual([{ records: records(0, 3), attempts: 1 }]);
    });

    it('GIVEN partial failures until retries run out THEN the records from the first failed one reach the destination', () => {
      const trace = drive(
        provisioned({ retryAttempts: 1, reportBatchItemFailures: true }),
        records(0, 10),
        () => itemFailures(5),
      );
      expect(trace).toEqual([
        'invoke 0-9',
        'commit 5',
        'wait 100',
        'invoke 5-9',
        'destination RetryAttemptsExhausted 5-9 after 2 (PartialBatchFailure)',
        'commit 10',
      ]);
    });

    it.each([
      ['another partition', { partition: `${TOPIC}-1`, offset: 5 }],
      ['another topic', { partition: `payments-0`, offset: 5 }],
      ['an offset not in the batch', { partition: `${TOPIC}-0`, offset: 42 }],
      ['no offset', { partition: `${TOPIC}-0` }],
    ])(
      'GIVEN an identifier naming %s THEN the whole batch is retried and the identifier reported',
      (_, id) => {
        const payload = {
          batchItemFailures: [
            { itemIdentifier: { partition: `${TOPIC}-0`, offset: 5 } },
            { itemIdentifier: id },
          ],
        };
        const reaction = react(rules, startDelivery(records(0, 10), 10), ok(payload));
        expect(reaction.effects).toEqual([]);
        expect(reaction.unknownItem).toEqual({ identifier: id });
        expect(reaction.functionError).toBe('PartialBatchFailure');
        expect(reaction.delivery.parts).toEqual([{ records: records(0, 10), attempts: 1 }]);
      },
    );

    it.each([
      ['null', null],
      ['an empty list', { batchItemFailures: [] }],
      ['no list', { processed: 3 }],
      ['a string', 'done'],
    ])('GIVEN a response holding %s THEN the whole batch succeeded', (_, payload) => {
      expect(readItemFailures(records(0, 3), payload)).toEqual({ kind: 'none' });
    });

    it('GIVEN offsets written as strings THEN they are read as numbers, the lowest first', () => {
      expect(readItemFailures(records(0, 10), failuresPayload('6', '4'))).toEqual({
        kind: 'from',
        offset: 4,
      });
    });

    it('GIVEN ReportBatchItemFailures off THEN a response listing failures is a success', () => {
      const reaction = react(
        { ...rules, reportBatchItemFailures: false },
        startDelivery(records(0, 10), 10),
        itemFailures(5),
      );
      expect(reaction).toMatchObject({ delivered: 10, effects: [{ kind: 'commit', offset: 10 }] });
    });

    it('GIVEN on-demand mode with ReportBatchItemFailures THEN partial failures are honoured there too', () => {
      const trace = drive({ ...onDemand, reportBatchItemFailures: true }, records(0, 10), (_, call) =>
        call === 1 ? itemFailures(5) : ok(),
      );
      expect(trace).toEqual(['invoke 0-9', 'commit 5', 'wait 100', 'invoke 5-9', 'commit 10']);
    });
  });

  describe('maximum record age', () => {
    const rules = provisioned({ maxRecordAgeSeconds: 60, hasDestination: true });
    const stale = (offset: number) => record(offset, NOW - 120_000);

    it('GIVEN stale records among fresh ones THEN the stale ones go to the destination unprocessed, the rest is invoked', () => {
      const step = plan(rules, startDelivery([stale(0), stale(1), record(2)], 3), NOW);
      expect(step.effects).toEqual([
        {
          kind: 'destination',
          failed: {
            records: [stale(0), stale(1)],
            condition: 'RecordAgeExceeded',
            approximateInvokeCount: 0,
          },
        },
      ]);
      expect(step.then).toEqual({ kind: 'invoke', records: [record(2)] });
      expect(react(rules, step.delivery, ok())).toMatchObject({
        delivered: 1,
        effects: [{ kind: 'commit', offset: 3 }],
      });
    });

    it('GIVEN a record exactly the maximum age old THEN it is still invoked', () => {
      const step = plan(rules, startDelivery([record(0, NOW - 60_000)], 1), NOW);
      expect(step.effects).toEqual([]);
      expect(step.then.kind).toBe('invoke');
    });

    it('GIVEN a batch all stale THEN it goes to the destination and its end is committed, with no invocation', () => {
      expect(drive(rules, [stale(0), stale(1)], () => ok())).toEqual([
        'destination RecordAgeExceeded 0-1 after 0',
        'commit 2',
      ]);
    });

    it('GIVEN records that grow too old while their batch is retried THEN they leave for the destination with the invocations made', () => {
      const trace = drive(
        provisioned({ maxRecordAgeSeconds: 60, maxRetryBackoffMs: 40_000 }),
        [record(0, NOW - 59_000), record(1, NOW)],
        () => failed,
      );
      expect(trace).toEqual([
        'invoke 0-1',
        'wait 100',
        'invoke 0-1',
        'wait 200',
        'invoke 0-1',
        'wait 400',
        'invoke 0-1',
        'wait 800',
        'destination RecordAgeExceeded 0 after 4',
        'invoke 1',
        'wait 1600',
        'invoke 1',
        'wait 3200',
        'invoke 1',
        'wait 6400',
        'invoke 1',
        'wait 12800',
        'invoke 1',
        'wait 25600',
        'invoke 1',
        'wait 40000',
        'destination RecordAgeExceeded 1 after 10',
        'commit 2',
      ]);
    });

    it('GIVEN a bisected batch whose second half grows too old while the first is handled THEN it is committed past, unprocessed', () => {
      const bisecting = { ...rules, bisectBatchOnError: true };
      const ageing = [record(0, NOW), record(1, NOW), record(2, NOW - 59_000), record(3, NOW - 59_000)];
      // Each invocation takes 1 s: the records at 2-3 are 60 s old once the first half is done.
      const trace = drive(bisecting, ageing, (_, call, clock) => {
        clock.now += 1_000;
        return call === 1 ? failed : ok();
      });
      expect(trace).toEqual([
        'invoke 0-3',
        'invoke 0-1',
        'commit 2',
        'destination RecordAgeExceeded 2-3 after 0',
        'commit 4',
      ]);
    });

    it('GIVEN on-demand mode or no maximum age THEN old records are invoked like the rest', () => {
      for (const r of [{ ...onDemand, maxRecordAgeSeconds: 60 }, provisioned({ maxRecordAgeSeconds: -1 })]) {
        const step = plan(r, startDelivery([stale(0)], 1), NOW);
        expect(step.effects).toEqual([]);
        expect(step.then).toEqual({ kind: 'invoke', records: [stale(0)] });
      }
    });
  });

  describe('destination records', () => {
    const source: EventSource = {
      kind: 'msk',
      arn: 'arn:aws:kafka:local:000000000000:cluster/test/1',
      bootstrapServers: '127.0.0.1:9092',
    };
    const functionArn = 'arn:aws:lambda:local:000000000000:function:enrich';
    const exhausted = () => {
      const rules = provisioned({ retryAttempts: 1, reportBatchItemFailures: true, hasDestination: true });
      let step: Step = plan(rules, startDelivery(records(0, 4), 4), NOW);
      step = react(rules, step.delivery, failed);
      // A whole failure, then a retry (the last allowed) that fails from offset 1.
      step = react(rules, plan(rules, step.delivery, NOW).delivery, itemFailures(3, 1));
      const destination = step.effects.find((e) => e.kind === 'destination');
      if (destination?.kind !== 'destination')
        throw new Error(`no destination in ${JSON.stringify(step.effects)}`);
      return destination.failed;
    };

    it('GIVEN retries exhausted after a partial failure THEN the destination gets the records from the first failed one, with the invocations made and the error kind', () => {
      expect(exhausted()).toEqual({
        records: records(1, 3),
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 2,
        functionError: 'PartialBatchFailure',
      });
    });

    it('GIVEN those records and a Kafka on-failure topic THEN each record becomes one document as AWS shapes it', () => {
      const batch: FailedBatch = { ...exhausted(), functionArn, source };
      const doc = kafkaFailureDocument(batch, batch.records[0], 'request-1');
      expect(doc).toMatchObject({
        requestContext: {
          requestId: 'request-1',
          functionArn,
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: 2,
        },
        responseContext: {
          statusCode: 200,
          executedVersion: '$LATEST',
          functionError: 'PartialBatchFailure',
        },
        version: '1.0',
        KafkaBatchInfo: {
          batchSize: 1,
          eventSourceArn: source.arn,
          bootstrapServers: source.bootstrapServers,
          recordInfo: { offset: '1', timestamp: String(NOW - 1_000) },
        },
        payload: { eventSource: 'aws:kafka', records: { [`${TOPIC}-0`]: [record(1)] } },
      });
    });

    it('GIVEN stale records and an SQS destination THEN one document covers them, with their offsets and times', () => {
      const rules = provisioned({ maxRecordAgeSeconds: 60, hasDestination: true });
      const old = [record(0, NOW - 180_000), record(1, NOW - 120_000)];
      const [effect] = plan(rules, startDelivery([...old, record(2)], 3), NOW).effects;
      if (effect.kind !== 'destination') throw new Error('expected records for the destination');
      const doc = batchFailureDocument({ ...effect.failed, functionArn, source }, 'request-2', false);
      expect(doc.requestContext).toMatchObject({ condition: 'RecordAgeExceeded', approximateInvokeCount: 0 });
      expect(doc.responseContext.functionError).toBe('Unhandled');
      expect(doc.KafkaBatchInfo).toMatchObject({
        batchSize: 2,
        recordsInfo: {
          [`${TOPIC}-0`]: {
            firstRecordOffset: '0',
            lastRecordOffset: '1',
            firstRecordTimestamp: new Date(NOW - 180_000).toISOString(),
            lastRecordTimestamp: new Date(NOW - 120_000).toISOString(),
          },
        },
      });
      expect(doc).not.toHaveProperty('payload');
    });
  });

  it('GIVEN a delivery WHEN the policy plans and reacts THEN the delivery given is left as it was', () => {
    const rules = provisioned({
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      maxRecordAgeSeconds: 60,
    });
    const delivery: Delivery = startDelivery([record(0, NOW - 120_000), ...records(1, 5)], 6);
    const before = JSON.stringify(delivery);
    plan(rules, delivery, NOW);
    react(rules, delivery, failed);
    react(rules, delivery, itemFailures(3));
    react(rules, delivery, ok());
    expect(JSON.stringify(delivery)).toBe(before);
  });
});
