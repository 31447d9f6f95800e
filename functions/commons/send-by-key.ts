/**
 * Produces a batch's messages with one produce call per message key (so each call writes one
 * partition), all at once. kafkajs 2.2.4 can resolve a send that spans partitions without writing
 * some of them: when a partition's leader moves to a broker that already answered the same call, its
 * retry skips that broker (producer/sendMessages.js keeps each broker's first answer). A call that
 * covers one partition either writes it or fails, and a failed batch is retried by its event source
 * mapping, which the idempotent ledger absorbs. test/conformance/drills.test.ts and
 * test/support/leader-move.ts met the loss on Apache Kafka.
 */
import type { Message, Producer, RecordMetadata } from 'kafkajs';

export interface TopicMessages {
  readonly topic: string;
  readonly messages: readonly Message[];
}

/** Groups messages that share a key (in order); keyless messages go one per group. */
export function byKey(messages: readonly Message[]): Message[][] {
  const groups = new Map<string, Message[]>();
  const out: Message[][] = [];
  for (const message of messages) {
    if (message.key === null || message.key === undefined) {
      out.push([message]);
      continue;
    }
    const id = Buffer.from(message.key).toString('base64');
    let group = groups.get(id);
    if (!group) {
      group = [];
      groups.set(id, group);
      out.push(group);
    }
    group.push(message);
  }
  return out;
}

/** Sends every message with acks=all, one call per topic and key; rejects if any call fails. */
export async function sendByKey(
  producer: Pick<Producer, 'send'>,
  batches: readonly TopicMessages[],
): Promise<RecordMetadata[]> {
  const calls = batches.flatMap(({ topic, messages }) =>
    byKey(messages).map((group) => producer.send({ topic, messages: group, acks: -1 })),
  );
  return (await Promise.all(calls)).flat();
}
