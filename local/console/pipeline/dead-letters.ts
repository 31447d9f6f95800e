/**
 * What a record on a dead-letter topic says about the record that failed, in either shape the
 * pipeline writes:
 * - a mapping's on-failure destination (provisioned mode): a JSON document whose `payload` is the
 *   Kafka event with the failed record, key, value and headers as AWS encodes them (esm/on-failure.ts);
 * - a function's own dead letter (on-demand mode): the failed record's key, value and headers byte for
 *   byte, plus headers naming where it came from and why (functions/commons/dead-letter.ts).
 * Pure: records in, descriptions out.
 */

/** A record as read from Kafka. */
export interface RawRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly { readonly key: string; readonly value: Buffer | null }[];
}

/** The record that failed, as it was before it failed. */
export interface OriginalRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly { readonly key: string; readonly value: Buffer }[];
}

export interface DeadLetter {
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly original: OriginalRecord;
  /** From the original's `order-id` header, or its value's `orderId`. */
  readonly orderId?: string;
  /** on-failure: the mapping's condition (RetryAttemptsExhausted...); function: the reason it gave. */
  readonly why: string;
  /** Who wrote it: `on-failure` for a mapping's destination, else the function's name. */
  readonly writtenBy: string;
}

/** Headers a function adds to its dead letters (functions/commons/orders.ts HEADERS). */
const ADDED_HEADERS = new Set([
  'source-topic',
  'source-partition',
  'source-offset',
  'dead-letter-reason',
  'dead-letter-function',
]);
const ORDER_ID_HEADER = 'order-id';

/** The dead letter at `partition`/record, or undefined when it is neither shape. */
export function readDeadLetter(partition: number, record: RawRecord): DeadLetter | undefined {
  const header = (name: string) => record.headers.find((h) => h.key === name)?.value?.toString('utf8');
  const sourceTopic = header('source-topic');
  if (sourceTopic !== undefined) {
    const headers = record.headers
      .filter((h) => !ADDED_HEADERS.has(h.key))
      .map((h) => ({ key: h.key, value: h.value ?? Buffer.alloc(0) }));
    return {
      partition,
      offset: record.offset,
      timestamp: record.timestamp,
      original: {
        topic: sourceTopic,
        partition: Number(header('source-partition') ?? 0),
        offset: Number(header('source-offset') ?? -1),
        key: record.key,
        value: record.value,
        headers,
      },
      orderId: orderIdOf(headers, record.value),
      why: header('dead-letter-reason') ?? 'dead-lettered',
      writtenBy: header('dead-letter-function') ?? 'function',
    };
  }
  const doc = parseJson(record.value) as
    | { requestContext?: { condition?: string }; payload?: { records?: Record<string, EventRecordJson[]> } }
    | undefined;
  const records = doc?.payload?.records;
  if (!records || typeof records !== 'object') return undefined;
  const [first] = Object.values(records).flat();
  if (!first || typeof first.topic !== 'string') return undefined;
  const headers = (first.headers ?? []).flatMap((h) =>
    Object.entries(h).map(([key, bytes]) => ({ key, value: Buffer.from(bytes) })),
  );
  const value = first.value === undefined || first.value === null ? null : Buffer.from(first.value, 'base64');
  return {
    partition,
    offset: record.offset,
    timestamp: record.timestamp,
    original: {
      topic: first.topic,
      partition: Number(first.partition),
      offset: Number(first.offset),
      key: first.key ? Buffer.from(first.key, 'base64') : null,
      value,
      headers,
    },
    orderId: orderIdOf(headers, value),
    why: doc?.requestContext?.condition ?? 'on-failure',
    writtenBy: 'on-failure',
  };
}

/** A record in a Kafka event (esm/event.ts EventRecord), as JSON reads it. */
interface EventRecordJson {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key?: string;
  readonly value?: string | null;
  readonly headers?: Record<string, number[]>[];
}

/** An order's id from its record: the `order-id` header, else the JSON value's `orderId`. */
export function orderIdOf(
  headers: readonly { readonly key: string; readonly value: Buffer | null }[],
  value: Buffer | null,
): string | undefined {
  const header = headers.find((h) => h.key === ORDER_ID_HEADER)?.value;
  if (header && header.length > 0) return header.toString('utf8');
  const id = (parseJson(value) as { orderId?: unknown } | undefined)?.orderId;
  return typeof id === 'string' ? id : undefined;
}

/** The order id of a record in a mapping's event (headers as byte arrays, value base64). */
export function eventOrderId(record: {
  readonly value: string;
  readonly headers: Record<string, number[]>[];
}): string | undefined {
  for (const h of record.headers) {
    const bytes = h[ORDER_ID_HEADER];
    if (bytes && bytes.length > 0) return Buffer.from(bytes).toString('utf8');
  }
  return orderIdOf([], record.value ? Buffer.from(record.value, 'base64') : null);
}

function parseJson(bytes: Buffer | null): unknown {
  if (!bytes || bytes.length === 0 || bytes[0] !== 0x7b) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}
