import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { HANDLERS } from '../../local/broker/handlers';
import { batch as oneRecordBatch } from '../support/record-batches';
import { crc32c, crc32cPortable } from '../../local/kafka/crc32c';
import { PartitionLog } from '../../local/broker/log/partition-log';
import {
  assignBaseOffset,
  checkRecords,
  parseBatches,
  InvalidBatchError,
  readBatch,
  readRecords,
} from '../../local/kafka/record-batch';
import { recordBatch } from '../conformance/batch-builder';
import { decodeMessage, encodeMessage } from '../../local/kafka/message-codec';
import { ApiVersionsSchema } from '../../local/kafka/messages/18-api-versions';
import { MetadataSchema } from '../../local/kafka/messages/03-metadata';
import { ProtocolError, Reader, Writer } from '../../local/kafka/primitives';

const hex = (w: Writer) => w.toBuffer().toString('hex');

describe('primitives', () => {
  test.each([
    [0, '00'],
    [1, '02'],
    [-1, '01'],
    [63, '7e'],
    [-64, '7f'],
    [64, '8001'],
    [300, 'd804'],
    [-2147483648, 'ffffffff0f'],
  ])('zig-zag varint %d is %s', (value, bytes) => {
    expect(hex(new Writer().varint(value))).toBe(bytes);
    expect(new Reader(Buffer.from(bytes, 'hex')).varint()).toBe(value);
  });

  test.each([
    [0n, '00'],
    [-1n, '01'],
    [1_700_000_000_000n, '80a0abfef962'],
    [-9223372036854775808n, 'ffffffffffffffffff01'],
  ])('zig-zag varlong %s is %s', (value, bytes) => {
    expect(hex(new Writer().varlong(value))).toBe(bytes);
    expect(new Reader(Buffer.from(bytes, 'hex')).varlong()).toBe(value);
  });

  test('classic and compact strings, including null', () => {
    expect(hex(new Writer().nullableString('kw'))).toBe('00026b77');
    expect(hex(new Writer().nullableString(null))).toBe('ffff');
    expect(hex(new Writer().compactNullableString('kw'))).toBe('036b77');
    expect(hex(new Writer().compactNullableString(null))).toBe('00');
    expect(new Reader(Buffer.from('036b77', 'hex')).compactNullableString()).toBe('kw');
  });

  test('truncated input and impossible lengths are protocol errors, never crashes', () => {
    expect(() => new Reader(Buffer.from('0005616263', 'hex')).nullableString()).toThrow(ProtocolError);
    expect(() => new Reader(Buffer.from('fffe', 'hex')).nullableString()).toThrow(/invalid string length -2/);
    expect(() => new Reader(Buffer.from('7fffffff00', 'hex')).arrayLength(false)).toThrow(
      /array of 2147483647 elements/,
    );
    expect(() => new Reader(Buffer.from('ffffffffff7f', 'hex')).uvarint()).toThrow(
      /varint longer than 5 bytes/,
    );
  });
});

describe('message codec', () => {
  test('ApiVersions v0 response, byte for byte', () => {
    const body = { ErrorCode: 0, ApiKeys: [{ ApiKey: 18, MinVersion: 0, MaxVersion: 4 }] };
    // error_code int16, array int32 count, then (int16, int16, int16)
    expect(encodeMessage(ApiVersionsSchema.response, 0, body).toBuffer().toString('hex')).toBe(
      '0000' + '00000001' + '0012' + '0000' + '0004',
    );
  });

  test('ApiVersions v3 response: compact array, throttle time, and an empty tagged-field section per struct', () => {
    const body = { ErrorCode: 0, ApiKeys: [{ ApiKey: 18, MinVersion: 0, MaxVersion: 4 }], ThrottleTimeMs: 0 };
    expect(encodeMessage(ApiVersionsSchema.response, 3, body).toBuffer().toString('hex')).toBe(
      '0000' + '02' + '0012' + '0000' + '0004' + '00' + '00000000' + '00',
    );
  });

  test('tagged fields are written only when set, and read back by tag', () => {
    const body = { ErrorCode: 0, ApiKeys: [], ThrottleTimeMs: 0, FinalizedFeaturesEpoch: 7n };
    const bytes = encodeMessage(ApiVersionsSchema.response, 3, body).toBuffer();
    // ... '01' one tagged field, tag 1, size 8, int64 7
    expect(bytes.toString('hex').endsWith('01' + '01' + '08' + '0000000000000007')).toBe(true);
    const back = decodeMessage(ApiVersionsSchema.response, 3, new Reader(bytes));
    expect(back.FinalizedFeaturesEpoch).toBe(7n);
    expect(back.ZkMigrationReady).toBe(false);
  });

  test.each([0, 1, 4, 9, 10, 12])(
    'Metadata request v%d round-trips, with defaults for fields the version lacks',
    (version) => {
      const request = {
        Topics: [{ TopicId: Buffer.alloc(16), Name: 'orders' }],
        AllowAutoTopicCreation: false,
        IncludeTopicAuthorizedOperations: false,
      };
      const back = decodeMessage(
        MetadataSchema.request,
        version,
        new Reader(encodeMessage(MetadataSchema.request, version, request).toBuffer()),
      );
      expect((back.Topics as { Name: string }[])[0].Name).toBe('orders');
      expect(back.AllowAutoTopicCreation).toBe(version >= 4 ? false : true);
    },
  );

  test('a version outside the declared range is refused', () => {
    expect(() => decodeMessage(MetadataSchema.request, 13, new Reader(Buffer.alloc(4)))).toThrow(
      /v13 is not supported/,
    );
  });
});

describe('record batches', () => {
  test('CRC-32C matches the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
    expect(crc32cPortable(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  test('the native and portable CRC-32C agree on any bytes and any sub-range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const buf = Buffer.from(bytes);
        const start = bytes.length ? a % bytes.length : 0;
        const end = start + (bytes.length ? b % (bytes.length - start + 1) : 0);
        expect(crc32c(buf, start, end)).toBe(crc32cPortable(buf, start, end));
      }),
    );
  });

  /** A minimal valid batch: one uncompressed record with key "k" and value "v". */
  const batch = () =>
    oneRecordBatch(Buffer.from('v'), { key: Buffer.from('k'), timestamp: 1_700_000_000_000n });

  test('a valid batch parses, and assigning its offset leaves the CRC valid', () => {
    const buf = batch();
    const [info] = parseBatches(buf);
    expect(info).toMatchObject({ recordCount: 1, lastOffsetDelta: 0, compression: 0, transactional: false });
    assignBaseOffset(info.bytes, 42);
    expect(buf.readBigInt64BE(0)).toBe(42n);
    expect(() => parseBatches(buf)).not.toThrow();
  });

  test('a flipped byte inside the CRC range is rejected as corrupt', () => {
    const buf = batch();
    buf[buf.length - 2] ^= 0xff;
    expect(() => parseBatches(buf)).toThrow(InvalidBatchError);
    expect(() => parseBatches(buf)).toThrow(/CRC mismatch/);
  });

  test('records are read alike from uncompressed and gzip batches: offsets, timestamps, keys', () => {
    const records = [
      { key: 'a', value: 'first', timestamp: 1_700_000_000_050n },
      { value: 'no key', timestamp: 1_700_000_000_010n },
      { key: 'c', value: 'third', timestamp: 1_700_000_000_060n },
    ];
    const expected = [
      { index: 0, offsetDelta: 0, timestamp: 1_700_000_000_050n, hasKey: true },
      { index: 1, offsetDelta: 1, timestamp: 1_700_000_000_010n, hasKey: false },
      { index: 2, offsetDelta: 2, timestamp: 1_700_000_000_060n, hasKey: true },
    ];
    expect(readRecords(recordBatch({ records }))).toEqual(expected);
    expect(readRecords(recordBatch({ records, compression: 'gzip' }))).toEqual(expected);
  });

  test('records that do not parse as the header says are refused; other codecs are not read', () => {
    const two = [{ value: 'x' }, { value: 'y' }];
    expect(checkRecords(recordBatch({ records: two }))).toBe(true);
    expect(() => checkRecords(recordBatch({ records: two, payload: Buffer.from('not records') }))).toThrow(
      InvalidBatchError,
    );
    expect(() => checkRecords(recordBatch({ records: two, recordCount: 3, lastOffsetDelta: 2 }))).toThrow(
      /do not parse/,
    );
    const extra = recordBatch({ records: two, recordCount: 1, lastOffsetDelta: 0 });
    expect(() => checkRecords(extra)).toThrow(/follow the batch's 1 records/);
    expect(checkRecords(recordBatch({ records: two, compression: 'zstd' }))).toBe(false);
  });

  test('old message formats are refused with a clear reason', () => {
    const buf = batch();
    buf.writeInt8(1, 16);
    expect(() => parseBatches(buf)).toThrow(/message format v1 is not supported/);
  });
});

describe('timestamp lookups in a partition log', () => {
  const T = 1_700_000_000_000n;
  const append = (log: PartitionLog, times: bigint[], compression: 'none' | 'gzip') =>
    log.append(
      [
        readBatch(
          recordBatch({ records: times.map((timestamp) => ({ value: 'v', timestamp })), compression }),
        ),
      ],
      Date.now(),
      false,
    );

  test('a timestamp finds its record inside gzip batches as inside uncompressed ones', () => {
    for (const compression of ['none', 'gzip'] as const) {
      const log = new PartitionLog();
      append(log, [T, T + 10n, T + 20n], compression);
      append(log, [T + 30n, T + 40n], compression);
      expect(log.offsetForTimestamp(T + 10n)).toEqual({ offset: 1, timestamp: T + 10n });
      expect(log.offsetForTimestamp(T + 25n)).toEqual({ offset: 3, timestamp: T + 30n });
      expect(log.offsetForTimestamp(T + 41n)).toBeUndefined();
    }
  });

  test('the max timestamp is the first record carrying it, in the first batch that reaches it', () => {
    const log = new PartitionLog();
    append(log, [T, T + 50n, T + 20n, T + 50n], 'gzip');
    append(log, [T + 50n], 'none');
    expect(log.maxTimestampOffset()).toEqual({ offset: 1, timestamp: T + 50n });
  });
});

describe('SKIPPED.md', () => {
  test('lists exactly the APIs and versions the broker advertises', () => {
    const text = readFileSync(path.join(__dirname, '..', '..', 'local', 'broker', 'SKIPPED.md'), 'utf8');
    const listed = [...text.matchAll(/^\| (\w+) \((\d+)\)\s*\| (\d+)–(\d+)\s*\|$/gm)].map(
      (m) => `${m[1]} ${m[2]} ${m[3]}-${m[4]}`,
    );
    const advertised = [...HANDLERS.values()].map(
      (h) => `${h.name} ${h.key} ${h.minVersion}-${h.maxVersion}`,
    );
    expect(listed.sort()).toEqual(advertised.sort());
  });
});
