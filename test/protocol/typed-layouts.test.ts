/**
 * Message layouts carry their types: what a decoder yields and what an encoder takes are inferred from
 * the declarations in local/kafka/messages/. The `@ts-expect-error` lines are the proof that a misspelt
 * or mistyped field fails the type-check (`tsc --noEmit`, part of `npm test`): if one of them compiled,
 * the directive itself would be the error. The runtime assertions check the types tell the truth.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ApiHandler } from '../../local/broker/handlers/api';
import { decodeMessage, encodeMessage } from '../../local/kafka/message-codec';
import { ProduceSchema } from '../../local/kafka/messages/00-produce';
import { MetadataSchema } from '../../local/kafka/messages/03-metadata';
import { Reader } from '../../local/kafka/primitives';
import type { MessageOf, RequestInput, RequestOf, ResponseInput } from '../../local/kafka/schema';

type ProduceRequest = RequestOf<typeof ProduceSchema>;
type ProduceResponse = ResponseInput<typeof ProduceSchema>;

function decodeProduce(version: number, body: RequestInput<typeof ProduceSchema>): ProduceRequest {
  const bytes = encodeMessage(ProduceSchema.request, version, body).toBuffer();
  return decodeMessage(ProduceSchema.request, version, new Reader(bytes)) as ProduceRequest;
}

describe('typed message layouts', () => {
  test('GIVEN a Produce request WHEN decoded THEN each field has the type its declaration gives', () => {
    const request = decodeProduce(9, {
      Acks: -1,
      TimeoutMs: 1500,
      TopicData: [{ Name: 'orders', PartitionData: [{ Index: 2, Records: Buffer.from([1, 2, 3]) }] }],
    });
    const acks: number = request.Acks;
    const transactionalId: string | null = request.TransactionalId;
    const records: Buffer | null = request.TopicData[0].PartitionData[0].Records;
    expect(acks).toBe(-1);
    expect(transactionalId).toBeNull();
    expect(records).toEqual(Buffer.from([1, 2, 3]));
    // @ts-expect-error a misspelt field does not exist on the decoded request
    expect(request.Akcs).toBeUndefined();
  });

  test('GIVEN a response layout THEN required fields, misspelt names and wrong types fail to compile', () => {
    const answer: ProduceResponse = { Responses: [], ThrottleTimeMs: 0 };
    // @ts-expect-error ThrottleTimeMs has no declared default, so a response must give it
    const missing: ProduceResponse = { Responses: [] };
    // @ts-expect-error a misspelt field is refused rather than encoded as its default
    const misspelt: ProduceResponse = { Responses: [], ThrottleTimeMs: 0, ThrottleTime: 0 };
    // @ts-expect-error an int32 field takes a number
    const mistyped: ProduceResponse = { Responses: [], ThrottleTimeMs: '0' };
    expect([answer, missing, misspelt, mistyped]).toHaveLength(4);
  });

  test('GIVEN nullable and int64 fields THEN their types say so', () => {
    type Broker = MessageOf<typeof MetadataSchema.response>['Brokers'][number];
    const rack: Broker['Rack'] = null;
    // @ts-expect-error Rack is nullable, so it is not a plain string
    const notNullable: string = rack as Broker['Rack'];
    type Partition = ResponseInput<typeof ProduceSchema>['Responses'][number]['PartitionResponses'][number];
    // @ts-expect-error BaseOffset is an int64: a bigint, not a number
    const offset: Partition['BaseOffset'] = 0;
    expect([rack, notNullable, offset]).toHaveLength(3);
  });

  test('GIVEN a handler typed by its schema THEN its response is checked against the layout', () => {
    const handler: ApiHandler<typeof ProduceSchema> = {
      key: 0,
      name: 'Produce',
      schema: ProduceSchema,
      minVersion: 3,
      maxVersion: 11,
      handle(): ProduceResponse {
        // @ts-expect-error a response with a field the layout does not have is refused
        return { Responses: [], ThrottleTimeMs: 0, Throttled: true };
      },
    };
    expect(handler.key).toBe(0);
  });

  // TypeScript checks an object literal for unknown fields only against a declared type: a handler's
  // inferred return type would let a misspelt optional field through, so every handler declares it.
  test('GIVEN every API handler THEN its handle method declares the response type it returns', () => {
    const folder = path.join(__dirname, '..', '..', 'local', 'broker', 'handlers');
    const files = readdirSync(folder).filter((f) => /^\d+-.*\.ts$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(25);
    const undeclared = files.filter((f) => {
      const source = readFileSync(path.join(folder, f), 'utf8');
      return !/\bhandle\([^)]*\):\s*(Promise<)?[A-Z]\w*(<typeof \w+Schema>)?/.test(source);
    });
    expect(undeclared).toEqual([]);
  });
});
