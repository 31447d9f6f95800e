/**
 * The events local functions receive have the shapes AWS sends: checked against Powertools' schemas
 * (runtime validation) and @types/aws-lambda (the assignments below are type-checked by tsc).
 */
import {
  KafkaMskEventSchema,
  KafkaSelfManagedEventSchema,
  LambdaFunctionUrlSchema,
} from '@aws-lambda-powertools/parser/schemas';
import type { LambdaFunctionURLEvent, MSKEvent } from 'aws-lambda';
import type { InvokeOutcome } from '../../local/runtime/lambda/function-pool';
import { startFunctionUrl, type RunningUrl } from '../../local/runtime/url-server';
import { startMappingHarness, type MappingHarness } from '../support/mapping-harness';

describe('event shapes', () => {
  describe('Kafka mapping events', () => {
    let h: MappingHarness;
    beforeAll(async () => {
      h = await startMappingHarness();
      await h.createTopic('shaped', 2);
      await h.producer.send({
        topic: 'shaped',
        acks: -1,
        messages: [
          { key: 'customer-1', value: '{"a":1}', headers: { 'trace-id': 'abc', empty: '' }, partition: 1 },
          { value: 'no key', partition: 1 },
        ],
      });
    });
    afterAll(async () => {
      await h.close();
    });

    it('GIVEN an MSK mapping THEN the event parses with KafkaMskEventSchema and types as MSKEvent', async () => {
      h.poll('shaped', () => null);
      await h.until(() => h.invocations.length > 0, 'an invocation');
      const event: MSKEvent = h.invocations[0].event as MSKEvent;
      const parsed = KafkaMskEventSchema.parse(event);
      const [first, second] = parsed.records['shaped-1'];
      expect(first).toMatchObject({
        topic: 'shaped',
        partition: 1,
        offset: 0,
        key: 'customer-1',
        value: '{"a":1}',
      });
      expect(first.timestampType).toBe('CREATE_TIME');
      expect(first.headers).toEqual([{ 'trace-id': 'abc' }, { empty: '' }]);
      expect(second.key).toBeUndefined();
      expect(event.eventSource).toBe('aws:kafka');
      expect(event.eventSourceArn).toMatch(/^arn:aws:kafka:/);
      expect(event.bootstrapServers).toBe(h.broker.bootstrapServers);
    });

    it('GIVEN a self-managed mapping THEN the event parses with KafkaSelfManagedEventSchema and has no ARN', async () => {
      h.invocations.length = 0;
      h.poll('shaped', () => null, {
        source: { kind: 'self-managed', bootstrapServers: h.broker.bootstrapServers },
      });
      await h.until(() => h.invocations.length > 0, 'an invocation');
      const event = h.invocations[0].event;
      expect(KafkaSelfManagedEventSchema.parse(event).eventSource).toBe('SelfManagedKafka');
      expect('eventSourceArn' in event).toBe(false);
    });
  });

  describe('Function URL events and responses', () => {
    let url: RunningUrl;
    let reply: (event: LambdaFunctionURLEvent) => InvokeOutcome;
    const seen: LambdaFunctionURLEvent[] = [];
    beforeAll(async () => {
      url = await startFunctionUrl(
        {
          invoke: async (event) => {
            seen.push(event as LambdaFunctionURLEvent);
            return reply(event as LambdaFunctionURLEvent);
          },
        },
        { port: 0, host: '127.0.0.1', apiId: 'ingest' },
      );
    });
    afterAll(async () => {
      await url.close();
    });

    it('GIVEN a POST with query, cookies and a JSON body THEN the event is payload format 2.0', async () => {
      reply = () => ({
        ok: true,
        payload: { statusCode: 202, headers: { 'X-Order': '1' }, body: '{"ok":true}' },
        durationMs: 1,
      });
      const res = await fetch(`${url.url}orders?a=1&a=2&b=x`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: 'c1=v1; c2=v2', 'x-multi': 'one' },
        body: '{"customerId":"c"}',
      });
      expect(res.status).toBe(202);
      expect(res.headers.get('x-order')).toBe('1');
      expect(await res.json()).toEqual({ ok: true });
      const event = seen[seen.length - 1];
      const parsed = LambdaFunctionUrlSchema.parse(event);
      expect(parsed.rawPath).toBe('/orders');
      expect(event).toMatchObject({
        version: '2.0',
        routeKey: '$default',
        rawQueryString: 'a=1&a=2&b=x',
        queryStringParameters: { a: '1,2', b: 'x' },
        cookies: ['c1=v1', 'c2=v2'],
        body: '{"customerId":"c"}',
        isBase64Encoded: false,
        requestContext: {
          http: { method: 'POST', path: '/orders' },
          stage: '$default',
          accountId: '000000000000',
        },
      });
      expect(event.headers['content-type']).toBe('application/json');
      expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    });

    it('GIVEN a binary body THEN it arrives base64-encoded', async () => {
      reply = () => ({ ok: true, payload: null, durationMs: 1 });
      await fetch(url.url, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.from([0, 1, 2, 255]),
      });
      const event = seen[seen.length - 1];
      expect(event.isBase64Encoded).toBe(true);
      expect(Buffer.from(event.body!, 'base64')).toEqual(Buffer.from([0, 1, 2, 255]));
    });

    it('GIVEN a result without statusCode THEN it is 200 JSON; GIVEN a function error THEN 502', async () => {
      reply = () => ({ ok: true, payload: { hello: 'world' }, durationMs: 1 });
      const ok = await fetch(url.url);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe('application/json');
      expect(await ok.json()).toEqual({ hello: 'world' });
      reply = () => ({
        ok: false,
        kind: 'function',
        error: { errorType: 'TypeError', errorMessage: 'x' },
        durationMs: 1,
      });
      const failed = await fetch(url.url);
      expect(failed.status).toBe(502);
      expect(failed.headers.get('x-amzn-errortype')).toBe('TypeError');
    });

    it('GIVEN a response Node cannot write THEN 502 and the server keeps serving', async () => {
      reply = () => ({ ok: true, payload: { statusCode: 1000, body: 'x' }, durationMs: 1 });
      const bad = await fetch(url.url);
      expect(bad.status).toBe(502);
      expect(await bad.text()).toMatch(/statusCode 1000 is not an HTTP status/);
      reply = () => ({
        ok: true,
        payload: { statusCode: 200, headers: { 'x-bad': 'a\nb' }, body: 'x' },
        durationMs: 1,
      });
      expect((await fetch(url.url)).status).toBe(502);
      reply = () => ({ ok: true, payload: { statusCode: 204 }, durationMs: 1 });
      expect((await fetch(url.url)).status).toBe(204);
    });

    it('GIVEN a body over 6 MB THEN 413 and the function is not invoked', async () => {
      const before = seen.length;
      const res = await fetch(url.url, { method: 'POST', body: Buffer.alloc(6 * 1024 * 1024 + 1, 97) });
      expect(res.status).toBe(413);
      expect(seen.length).toBe(before);
    });
  });
});
