/**
 * On-failure destinations of a Kafka mapping (provisioned mode), with the record shapes AWS documents:
 * - a Kafka topic (`kafka://topic`): one JSON document per failed record, keyed with the original key,
 *   carrying that record in `payload`;
 * - SQS, SNS: one document per failed batch; S3 adds `payload`, the whole event as a JSON string.
 * SQS, SNS and S3 are not emulated: their documents are appended to files under the runtime's
 * destinations folder, one JSON document per line, where a user can read them.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { Producer } from 'kafkajs';
import type { LocalOnFailureDestination } from '../assembly';
import { kafkaEvent, type EventRecord, type EventSource } from './event';

export type FailureCondition = 'RetryAttemptsExhausted' | 'MaximumPayloadSizeExceeded' | 'RecordAgeExceeded';

/** Where a mapping's failed records go, as the assembly reads it from the template. */
export type OnFailureTarget = LocalOnFailureDestination;

export interface FailedBatch {
  readonly records: readonly EventRecord[];
  readonly condition: FailureCondition;
  readonly functionArn: string;
  readonly approximateInvokeCount: number;
  readonly functionError?: string;
  readonly source: EventSource;
}

function contexts(batch: FailedBatch, requestId: string) {
  return {
    requestContext: {
      requestId,
      functionArn: batch.functionArn,
      condition: batch.condition,
      approximateInvokeCount: batch.approximateInvokeCount,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      functionError: batch.functionError ?? 'Unhandled',
    },
    version: '1.0',
    timestamp: new Date().toISOString(),
  };
}

/** The document for one failed record on a Kafka on-failure topic. */
export function kafkaFailureDocument(batch: FailedBatch, record: EventRecord, requestId: string) {
  return {
    ...contexts(batch, requestId),
    KafkaBatchInfo: {
      batchSize: 1,
      eventSourceArn: batch.source.arn,
      bootstrapServers: batch.source.bootstrapServers,
      payloadSize: Buffer.byteLength(JSON.stringify(record)),
      recordInfo: { offset: String(record.offset), timestamp: String(record.timestamp) },
    },
    payload: kafkaEvent(batch.source, { [`${record.topic}-${record.partition}`]: [record] }),
  };
}

/** The document for a failed batch sent to SQS or SNS (S3 adds the event as `payload`). */
export function batchFailureDocument(batch: FailedBatch, requestId: string, withPayload: boolean) {
  const recordsInfo: Record<string, Record<string, string>> = {};
  const grouped: Record<string, EventRecord[]> = {};
  for (const r of batch.records) (grouped[`${r.topic}-${r.partition}`] ??= []).push(r);
  for (const [key, rs] of Object.entries(grouped)) {
    recordsInfo[key] = {
      firstRecordOffset: String(rs[0].offset),
      lastRecordOffset: String(rs[rs.length - 1].offset),
      firstRecordTimestamp: new Date(rs[0].timestamp).toISOString(),
      lastRecordTimestamp: new Date(rs[rs.length - 1].timestamp).toISOString(),
    };
  }
  const payload = JSON.stringify(kafkaEvent(batch.source, grouped));
  return {
    ...contexts(batch, requestId),
    KafkaBatchInfo: {
      batchSize: batch.records.length,
      eventSourceArn: batch.source.arn,
      bootstrapServers: batch.source.bootstrapServers,
      payloadSize: Buffer.byteLength(payload),
      recordsInfo,
    },
    ...(withPayload ? { payload } : {}),
  };
}

/** Writes failed batches to their destination. */
export class OnFailureWriter {
  constructor(
    private readonly target: OnFailureTarget,
    private readonly producer: () => Promise<Producer>,
    private readonly destinationsDir: string,
  ) {}

  /** Where a user finds what was written (a topic name or a file). */
  describe(): string {
    return this.target.kind === 'kafka' ? `topic ${this.target.topic}` : this.filePath();
  }

  async write(batch: FailedBatch, requestId: string): Promise<void> {
    if (this.target.kind === 'kafka') {
      const producer = await this.producer();
      await producer.send({
        topic: this.target.topic,
        acks: -1,
        messages: batch.records.map((r) => ({
          key: r.key === undefined ? null : Buffer.from(r.key, 'base64'),
          value: JSON.stringify(kafkaFailureDocument(batch, r, requestId)),
        })),
      });
      return;
    }
    const doc = batchFailureDocument(batch, requestId, this.target.kind === 's3');
    await mkdir(this.destinationsDir, { recursive: true });
    await appendFile(this.filePath(), `${JSON.stringify(doc)}\n`);
  }

  private filePath(): string {
    const target = this.target as { kind: string; arn: string };
    const name = target.arn.split(/[:/]/).pop() || target.kind;
    return path.join(this.destinationsDir, `${target.kind}-${name}.jsonl`);
  }
}
