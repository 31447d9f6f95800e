/**
 * The event a Kafka event source mapping sends its function, shaped as AWS documents it (and as
 * @types/aws-lambda's MSKEvent and Powertools' Kafka schemas read it): records grouped under
 * `<topic>-<partition>`, keys and values base64, header values as byte arrays.
 */
import type { KafkaRecord } from '../kafka/records';

export interface EventRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: 'CREATE_TIME' | 'LOG_APPEND_TIME';
  key?: string;
  value: string;
  headers: Record<string, number[]>[];
}

export interface KafkaEvent {
  eventSource: 'aws:kafka' | 'SelfManagedKafka';
  eventSourceArn?: string;
  bootstrapServers: string;
  records: Record<string, EventRecord[]>;
}

/** Where the event says it came from. */
export interface EventSource {
  readonly kind: 'msk' | 'self-managed';
  /** The cluster ARN (MSK only). */
  readonly arn?: string;
  readonly bootstrapServers: string;
}

export function eventRecord(topic: string, partition: number, r: KafkaRecord): EventRecord {
  const out: EventRecord = {
    topic,
    partition,
    offset: r.offset,
    timestamp: r.timestamp,
    timestampType: r.timestampType,
    value: r.value ? r.value.toString('base64') : '',
    headers: r.headers.map((h) => ({ [h.key]: h.value ? [...h.value] : [] })),
  };
  if (r.key) out.key = r.key.toString('base64');
  return out;
}

export function kafkaEvent(source: EventSource, records: Record<string, EventRecord[]>): KafkaEvent {
  return source.kind === 'msk'
    ? {
        eventSource: 'aws:kafka',
        eventSourceArn: source.arn,
        bootstrapServers: source.bootstrapServers,
        records,
      }
    : { eventSource: 'SelfManagedKafka', bootstrapServers: source.bootstrapServers, records };
}

/**
 * About how many bytes a record adds to an event's JSON: base64 grows key and value by 4/3, plus the
 * field names and numbers. Used to fill batches up to the payload cap without serialising twice.
 */
export function estimatedEventBytes(r: KafkaRecord): number {
  let headers = 0;
  for (const h of r.headers) headers += h.key.length + 8 + (h.value?.length ?? 0) * 4;
  return Math.ceil(((r.value?.length ?? 0) + (r.key?.length ?? 0)) * 1.34) + headers + 150;
}
