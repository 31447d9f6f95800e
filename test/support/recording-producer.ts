/**
 * Test double for the Kafka boundary: a producer that records what it is asked to send and answers
 * like a broker (per-partition offsets counting up). The handlers' own logic is what is under test;
 * round trips through a real broker belong to the broker and runtime test suites.
 */
import type { Message, ProducerBatch, ProducerRecord, RecordMetadata } from 'kafkajs';

export interface SentRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

export class RecordingProducer {
  readonly sent: SentRecord[] = [];
  /** When set, the next send fails with this error (a broker outage, say). */
  failNext?: Error;
  private readonly nextOffset = new Map<string, number>();

  constructor(private readonly partitions = 3) {}

  /** Kafka's default partitioner is murmur2; any stable hash shows keyed records stay together. */
  private partitionFor(key: Message['key']): number {
    if (key === null || key === undefined) return 0;
    let h = 0;
    for (const byte of Buffer.from(key)) h = (h * 31 + byte) >>> 0;
    return h % this.partitions;
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.sendBatch({
      topicMessages: [{ topic: record.topic, messages: record.messages }],
      acks: record.acks,
    });
  }

  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    const result: RecordMetadata[] = [];
    for (const { topic, messages } of batch.topicMessages ?? []) {
      for (const message of messages) {
        const partition = message.partition ?? this.partitionFor(message.key);
        const id = `${topic}-${partition}`;
        const offset = this.nextOffset.get(id) ?? 0;
        this.nextOffset.set(id, offset + 1);
        const headers: Record<string, string> = {};
        for (const [name, v] of Object.entries(message.headers ?? {})) headers[name] = String(v);
        this.sent.push({
          topic,
          partition,
          offset,
          key: message.key === null || message.key === undefined ? null : String(message.key),
          value: String(message.value),
          headers,
        });
        result.push({
          topicName: topic,
          partition,
          errorCode: 0,
          baseOffset: String(offset),
          logAppendTime: '-1',
          logStartOffset: '0',
        });
      }
    }
    return result;
  }

  on(topic: string): SentRecord[] {
    return this.sent.filter((r) => r.topic === topic);
  }
}
